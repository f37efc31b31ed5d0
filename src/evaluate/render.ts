import { renderTable } from "../util/table.js";
import type { Evaluation } from "./types.js";

/** The human table of one evaluation: a row per test, then the three Table IV aggregates. */
export function renderEvaluationTable(e: Evaluation): string {
  const rows = e.tests.map((r) => [
    r.id, r.name, r.waived ? `${r.verdict} (waived)` : r.verdict, r.source, r.target,
    r.waived ? `${r.reason} [waived: ${r.waived.justification}]` : r.reason,
  ]);
  const table = renderTable(["ID", "Test", "Verdict", "Source", "Target", "Reason"], rows, { maxWidth: [9, 28, 17, 34, 34, 80] });
  const agg = [e.hypervisor, e.os, e.overall].map((a) => `${a.id} ${a.id === "3.1.a" ? "Hypervisor" : a.id === "3.2.a" ? "OS        " : "Overall   "}  ${a.verdict.padEnd(7)}  ${a.reason}`);
  return `${table}\n\n${agg.join("\n")}\n\nVerdict: ${e.verdict}`;
}
