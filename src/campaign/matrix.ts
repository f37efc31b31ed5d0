import { rank, type Verdict } from "../method/verdict.js";

/**
 * A matrix cell (one guest from HS to HUT) shows its best route, as the paper's Figures 3-5
 * show one verdict per pair: a VM can move if at least one route moves it. No route at all
 * is a tool-support failure; a cell whose routes have not finished has no result yet.
 */

export interface RouteVerdict {
  route: string;
  /** The route's worst cycle; null while no cycle finished. */
  verdict: Verdict | null;
  stable: boolean;
  /**
   * How far the counted cycle got: the last Sequence 2 step that finished (11 with an
   * evaluation). Among equal verdicts the route that got further is shown: its failure says
   * more (a guest that did not boot after a conversion, rather than the conversion failing).
   */
  reached?: number;
}

export type CellStatus = "result" | "no-route" | "pending";

export interface CellVerdict {
  status: CellStatus;
  verdict: Verdict | null;
  bestRoute: string | null;
}

export function cellVerdict(routes: readonly RouteVerdict[]): CellVerdict {
  if (routes.length === 0) return { status: "no-route", verdict: "FAILURE", bestRoute: null };
  const finished = routes.filter((r) => r.verdict !== null);
  if (finished.length === 0) return { status: "pending", verdict: null, bestRoute: null };
  // Best verdict first; among equals a stable route, then the one that got further, then plan order.
  const best = [...finished].sort((a, b) => rank(a.verdict!) - rank(b.verdict!) || Number(b.stable) - Number(a.stable) || (b.reached ?? 0) - (a.reached ?? 0))[0]!;
  return { status: "result", verdict: best.verdict, bestRoute: best.route };
}
