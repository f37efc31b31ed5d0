/** The method's three-class ordinal scale (paper, section III.C). */
export type Verdict = "SUCCESS" | "WARNING" | "FAILURE";

const RANK: Record<Verdict, number> = { SUCCESS: 0, WARNING: 1, FAILURE: 2 };

/** FAILURE takes precedence over WARNING, WARNING over SUCCESS. */
export function worst(verdicts: Iterable<Verdict>): Verdict {
  let w: Verdict = "SUCCESS";
  for (const v of verdicts) if (RANK[v] > RANK[w]) w = v;
  return w;
}

export function rank(v: Verdict): number {
  return RANK[v];
}

/** The stable exit status for a verdict (README: 0 SUCCESS, 10 WARNING, 20 FAILURE). */
export function exitCodeFor(v: Verdict): number {
  return v === "SUCCESS" ? 0 : v === "WARNING" ? 10 : 20;
}
