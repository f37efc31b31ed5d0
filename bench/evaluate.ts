/**
 * Evaluation throughput: how long do 100,000 test rows take to evaluate and aggregate?
 * Target (issue 2): under 1 s. Prints the median of several runs and, side by side, the
 * time of merely deep-copying the same snapshots (a floor no evaluator can beat), so the
 * ratio says how much the rules cost over touching the data at all.
 */
import { evaluate } from "../src/evaluate/evaluate.js";
import { baseSnapshot, variant } from "../test/support/snapshots.js";
import type { Snapshot } from "../src/snapshot/schema.js";

const ROWS_TARGET = 100_000;
const source = baseSnapshot();
const rowsPerEvaluation = evaluate(source, source).tests.length;
const evaluations = Math.ceil(ROWS_TARGET / rowsPerEvaluation);

// Varied targets, so no branch is always taken: renamed NICs, changed memory, lost pings...
const edits: ((s: Snapshot) => void)[] = [
  () => {},
  (s) => { s.guest!.interfaces![0]!.name = "ens4"; },
  (s) => { s.guest!.memory!.totalBytes *= 1.05; },
  (s) => { s.guest!.icmp!.private!.received = 2; },
  (s) => { s.guest!.firewall!.rules.pop(); },
  (s) => { s.guest!.kernel!.release = "6.1.0-51-amd64"; },
  (s) => { s.hypervisorTests["1.2.b"] = { result: "failed", detail: "bad scsi device lun" }; },
  (s) => { s.guest = null; },
];
const targets = Array.from({ length: evaluations }, (_, i) => variant(edits[i % edits.length]!));

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

let rows = 0;
const evalRuns: number[] = [], copyRuns: number[] = [];
for (let run = 0; run < 7; run++) {
  evalRuns.push(time(() => { rows = 0; for (const t of targets) rows += evaluate(source, t).tests.length; }));
  copyRuns.push(time(() => { for (const t of targets) structuredClone(t); }));
}
const e = median(evalRuns), c = median(copyRuns);
console.log(`evaluate: ${rows} rows in ${evaluations} evaluations`);
console.log(`  median ${e.toFixed(1)} ms (7 runs: ${evalRuns.map((x) => x.toFixed(0)).join(", ")} ms), ${Math.round(rows / (e / 1000)).toLocaleString("en")} rows/s`);
console.log(`  structuredClone of the same targets (floor): median ${c.toFixed(1)} ms; evaluate/copy ratio ${(e / c).toFixed(2)}`);
console.log(`  target < 1000 ms for 100,000 rows: ${e < 1000 ? "met" : "NOT met"} (${(1000 / e).toFixed(1)}x headroom)`);
