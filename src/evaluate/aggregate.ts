import type { Aggregate, TestRow } from "./types.js";
import type { Verdict } from "../method/verdict.js";

/** Rows that take part in aggregation: not waived, and with something compared. */
const counted = (rows: TestRow[]) => rows.filter((r) => !r.waived && r.verdict !== "N/A") as (TestRow & { verdict: Verdict })[];

const ids = (rows: TestRow[]) => rows.map((r) => r.id).join(", ");

/**
 * 3.1.a: SUCCESS if every 1.x is SUCCESS; FAILURE if Launch (1.1.a) or Terminate (1.1.g)
 * failed; WARNING otherwise -- so a failed Attach Volume alone makes a WARNING, as in the paper.
 */
export function aggregateHypervisor(rows: TestRow[]): Aggregate {
  const c = counted(rows.filter((r) => r.level === "hypervisor"));
  if (c.length === 0) return { id: "3.1.a", verdict: "N/A", reason: "no hypervisor test was compared" };
  const fatal = c.filter((r) => (r.id === "1.1.a" || r.id === "1.1.g") && r.verdict === "FAILURE");
  if (fatal.length) return { id: "3.1.a", verdict: "FAILURE", reason: `${fatal.map((r) => `${r.id} ${r.name}`).join(" and ")} failed` };
  const notOk = c.filter((r) => r.verdict !== "SUCCESS");
  if (notOk.length === 0) return { id: "3.1.a", verdict: "SUCCESS", reason: `all ${c.length} hypervisor tests successful` };
  return { id: "3.1.a", verdict: "WARNING", reason: `not successful: ${ids(notOk)}` };
}

/**
 * 3.2.a: SUCCESS if every 2.x (and application check) is SUCCESS; FAILURE if one failed or
 * could not be performed (rules turn "not performed on the target" into FAILURE); else WARNING.
 */
export function aggregateOs(rows: TestRow[]): Aggregate {
  const c = counted(rows.filter((r) => r.level === "os" || r.level === "application"));
  if (c.length === 0) return { id: "3.2.a", verdict: "N/A", reason: "no OS or application test was compared" };
  const failed = c.filter((r) => r.verdict === "FAILURE");
  if (failed.length) return { id: "3.2.a", verdict: "FAILURE", reason: `failed or not performed: ${ids(failed)}` };
  const warned = c.filter((r) => r.verdict === "WARNING");
  if (warned.length) return { id: "3.2.a", verdict: "WARNING", reason: `warnings: ${ids(warned)}` };
  return { id: "3.2.a", verdict: "SUCCESS", reason: `all ${c.length} OS and application tests successful` };
}

/** 3.3.a: FAILURE if 3.1 or 3.2 failed, WARNING if one warned, SUCCESS if both succeeded. */
export function aggregateOverall(hypervisor: Aggregate, os: Aggregate): Aggregate {
  const parts = [hypervisor, os].filter((a) => a.verdict !== "N/A");
  if (parts.length === 0) return { id: "3.3.a", verdict: "N/A", reason: "nothing was compared" };
  const f = parts.filter((a) => a.verdict === "FAILURE");
  if (f.length) return { id: "3.3.a", verdict: "FAILURE", reason: f.map((a) => `${a.id} FAILURE`).join(", ") };
  const w = parts.filter((a) => a.verdict === "WARNING");
  if (w.length) return { id: "3.3.a", verdict: "WARNING", reason: w.map((a) => `${a.id} WARNING`).join(", ") };
  return { id: "3.3.a", verdict: "SUCCESS", reason: parts.map((a) => `${a.id} SUCCESS`).join(", ") };
}
