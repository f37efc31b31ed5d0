import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { computeGolden } from "./os-tests-golden.js";

/**
 * Records test/fixtures/os-tests/golden.json from the code as it is:
 * `npx tsc -p tsconfig.json && node dist/test/support/os-tests-golden-record.js`.
 * Run it only when a change of verdicts, texts or schemas is intended.
 */
const out = fileURLToPath(new URL("../../../test/fixtures/os-tests/golden.json", import.meta.url));
writeFileSync(out, JSON.stringify(computeGolden(), null, 2) + "\n");
console.log(`wrote ${out}`);
