import { rank, worst, type Verdict } from "../method/verdict.js";
import type { Evaluation, RowVerdict } from "../evaluate/types.js";

/**
 * Stability (paper, IV.B: "every test case demands at least 3 execution cycles and according
 * evaluations showing stable, identical results"): a cell's route is stable when every cycle
 * gave the same verdict for every test; otherwise it is unstable, the tests that flipped are
 * listed, and it counts as its worst cycle. Pure.
 */

export interface CycleOutcome {
  cycle: number;
  /** null while the cycle has not finished. */
  verdict: Verdict | null;
  evaluation: Evaluation | null;
  /** The Sequence 2 step that failed before an evaluation existed. */
  failedStep: { no: number; name: string; detail: string | null } | null;
}

export interface Flip {
  /** A test id, or `step N` when a cycle stopped at a step the others passed. */
  test: string;
  name: string;
  /** Per finished cycle, in cycle order; "-" where the cycle has no value for it. */
  verdicts: { cycle: number; verdict: RowVerdict | "-" }[];
}

export interface Stability {
  stable: boolean;
  /** Fewer than two finished cycles: nothing to compare. */
  shown: boolean;
  cyclesFinished: number;
  flipped: Flip[];
  /** The cycle the route counts as (the first of the worst ones); null when none finished. */
  worstCycle: number | null;
  verdict: Verdict | null;
}

function signature(c: CycleOutcome): Map<string, { name: string; verdict: RowVerdict }> {
  const m = new Map<string, { name: string; verdict: RowVerdict }>();
  if (c.evaluation) {
    for (const t of c.evaluation.tests) m.set(t.id, { name: t.name, verdict: t.verdict });
  } else if (c.failedStep) {
    m.set(`step ${c.failedStep.no}`, { name: c.failedStep.name, verdict: "FAILURE" });
  }
  return m;
}

export function routeStability(cycles: readonly CycleOutcome[]): Stability {
  const done = [...cycles].filter((c) => c.verdict !== null).sort((a, b) => a.cycle - b.cycle);
  if (done.length === 0) return { stable: true, shown: false, cyclesFinished: 0, flipped: [], worstCycle: null, verdict: null };
  const sigs = done.map(signature);
  const keys: string[] = [];
  for (const s of sigs) for (const k of s.keys()) if (!keys.includes(k)) keys.push(k);
  const flipped: Flip[] = [];
  for (const k of keys) {
    const values = sigs.map((s) => s.get(k)?.verdict ?? "-");
    if (new Set(values).size > 1) {
      const name = sigs.map((s) => s.get(k)?.name).find((n) => n) ?? k;
      flipped.push({ test: k, name, verdicts: done.map((c, i) => ({ cycle: c.cycle, verdict: values[i]! })) });
    }
  }
  const verdicts = done.map((c) => c.verdict!);
  // A different overall verdict with identical tests cannot happen; keep it visible if it does.
  if (flipped.length === 0 && new Set(verdicts).size > 1) {
    flipped.push({ test: "verdict", name: "Overall verdict", verdicts: done.map((c) => ({ cycle: c.cycle, verdict: c.verdict! })) });
  }
  const w = worst(verdicts);
  const worstCycle = done.find((c) => rank(c.verdict!) === rank(w))!.cycle;
  return { stable: flipped.length === 0, shown: done.length >= 2, cyclesFinished: done.length, flipped, worstCycle, verdict: w };
}
