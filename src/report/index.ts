import type { Reporter } from "./reporter.js";
import { tableReporter } from "./reporters/table.js";
import { jsonReporter } from "./reporters/json.js";
import { junitReporter } from "./reporters/junit.js";
import { htmlReporter } from "./reporters/html.js";
import { mdReporter } from "./reporters/md.js";

/** The registry; the first is the default. A new format is one module plus one entry here. */
export const REPORTERS: readonly Reporter[] = [tableReporter, jsonReporter, junitReporter, htmlReporter, mdReporter];

export function getReporter(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.name === name);
}

export { buildReportModel } from "./model.js";
export type { Reporter } from "./reporter.js";
