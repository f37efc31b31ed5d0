import { discoverRoutes } from "../routes/discover.js";
import { isFamily } from "../routes/artifacts.js";
import type { DiscoverRoutes } from "./plan.js";

/**
 * Route discovery (src/routes) in the planner's shape. A family loaded from a family file
 * gets routes like a built-in one (its exporter and importer come from the file); a name no
 * family has gets none: a tool-support failure.
 * A route's steps are its outline where it has one (adapt: what its preparation does, then the define).
 */
export const planRoutes: DiscoverRoutes = (from, to) => {
  if (!isFamily(from) || !isFamily(to)) return [];
  return discoverRoutes(from, to).map((r) => ({
    id: r.id, name: r.name, steps: [...(r.outline ?? r.steps.map((s) => s.tool.name))],
    importConverts: r.steps.at(-1)?.tool.transformsGuest === true,
    chain: r.steps,
  }));
};
