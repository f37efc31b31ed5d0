import type { Verdict } from "../method/verdict.js";

/**
 * Outcome of one test row. `N/A` means there was nothing to compare: the source
 * snapshot has no baseline for it (not captured, or deliberately not requested).
 * N/A rows are shown but, like waived rows, leave the aggregation.
 */
export type RowVerdict = Verdict | "N/A";

export interface TestRow {
  id: string;
  name: string;
  level: "hypervisor" | "os" | "application";
  verdict: RowVerdict;
  /** The verdict the paper's rule gave before any cap from the rules profile. */
  ruleVerdict?: RowVerdict;
  /** Short, printable source and target values. */
  source: string;
  target: string;
  /** One line: why this verdict. */
  reason: string;
  waived?: { justification: string; expires?: string };
  capped?: { max: Verdict; justification: string };
}

export interface Aggregate {
  id: "3.1.a" | "3.2.a" | "3.3.a";
  verdict: RowVerdict;
  reason: string;
}

export interface Evaluation {
  verdict: Verdict;
  hypervisor: Aggregate;
  os: Aggregate;
  overall: Aggregate;
  tests: TestRow[];
  /** Waivers in the rules file whose date has passed: they no longer apply. */
  expiredWaivers: string[];
}
