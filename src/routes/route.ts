import type { ArtifactKind, Family } from "./artifacts.js";
import type { ToolSpec } from "./tool.js";

/**
 * A route as discovery returns it (src/routes/discover.ts) and whole-method routes build it
 * (src/routes/adapt.ts): its own module so that neither imports the other for the type.
 */

export interface RouteStep {
  tool: ToolSpec;
  input: ArtifactKind;
  output: ArtifactKind;
}

export interface Route {
  /**
   * Stable: the tool ids joined by "+" (same tools, same id, whatever else is installed);
   * a whole-method route that is not a chain the search found has its own id (`adapt`).
   */
  id: string;
  /** Human: the tool names joined by " -> ". */
  name: string;
  /** What the route does, when its tool names do not say it (the adapt route). */
  description?: string;
  /** What happens in order, when a tool does several things (adapt: ADAPT_ROUTE_STEPS, then the define); else the tool names. */
  outline?: readonly string[];
  from: Family;
  to: Family;
  steps: RouteStep[];
  /** Some step takes minutes (virt-v2v). */
  slow: boolean;
  binaries: string[];
}
