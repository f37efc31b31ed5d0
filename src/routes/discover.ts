import { UserError } from "../errors.js";
import { FAMILIES, isFamily, type ArtifactKind, type Family } from "./artifacts.js";
import { adaptRouteBetween } from "./adapt.js";
import type { ToolSpec } from "./tool.js";
import type { Route, RouteStep } from "./route.js";
import { knownFamilies } from "../hypervisor/families/index.js";
import { toolsFor } from "./tools/index.js";

export type { Route, RouteStep } from "./route.js";

interface DiscoverOptions {
  /** Longest chain considered (export and import included). Default 5. */
  maxSteps?: number;
  tools?: readonly ToolSpec[];
  /** List the adapt route (src/routes/adapt.ts) after the chains. Default true. */
  adapt?: boolean;
}

/**
 * Every chain of tools from a stopped VM of family `from` to a VM defined on family `to`,
 * up to `maxSteps`. Pure: no tool is run or looked up. Chains that only add work are
 * dropped: an artifact kind is never produced twice (except by a guest-rewriting tool such
 * as virt-v2v, at most once per route), two format conversions never follow each other
 * (qemu-img goes from any format to any other in one step), and no tool is fed through a
 * detour when an earlier artifact of the chain was already what it takes.
 *
 * The `adapt` route (src/routes/adapt.ts) comes last, after every chain, so the first route
 * of a pair (`tiosa migrate` without --route, a campaign's `onePerPair`) stays a plain one.
 */
export function discoverRoutes(from: Family, to: Family, opts: DiscoverOptions = {}): Route[] {
  const maxSteps = opts.maxSteps ?? 5;
  // A family loaded from a family file brings its own exporter and importer (from its
  // `exchange`, or its disk format), so routes reach it like a built-in one.
  const tools = (opts.tools ?? toolsFor(knownFamilies())).filter((t) =>
    (t.onlyFrom === undefined || t.onlyFrom.includes(from)) && (t.onlyToward === undefined || t.onlyToward.includes(to)));
  const start: ArtifactKind = `vm:${from}`;
  const goal: ArtifactKind = `vm:${to}`;
  const found = new Map<string, Route>();

  const walk = (kind: ArtifactKind, steps: RouteStep[], seen: Set<ArtifactKind>, rewrote: boolean) => {
    if (steps.length >= maxSteps) return;
    const last = steps[steps.length - 1];
    for (const tool of tools) {
      if (!tool.inputs.includes(kind)) continue;
      const out = tool.output;
      if (out.startsWith("vm:") && out !== goal) continue;
      if (out !== goal && seen.has(out) && !tool.transformsGuest) continue;
      if (tool.transformsGuest && rewrote) continue;
      if (last?.tool.isFormatConversion && tool.isFormatConversion) continue;
      // A detour: this tool could have taken an artifact produced earlier in the chain.
      // Artifacts from before a guest rewrite (virt-v2v) hold the old guest, so they do not count.
      let rewriteAt = -1;
      steps.forEach((s, i) => { if (s.tool.transformsGuest) rewriteAt = i; });
      if (steps.slice(rewriteAt + 1, -1).some((s) => tool.inputs.includes(s.output))) continue;
      const next = [...steps, { tool, input: kind, output: out }];
      if (out === goal) {
        const route = makeRoute(from, to, next);
        found.set(route.id, route);
        continue;
      }
      walk(out, next, new Set([...seen, out]), rewrote || tool.transformsGuest === true);
    }
  };
  walk(start, [], new Set([start]), false);
  const chains = [...found.values()].sort((a, b) => a.steps.length - b.steps.length || a.id.localeCompare(b.id));
  const adapt = opts.adapt === false ? null : adaptRouteBetween(from, to);
  return adapt && adapt.steps.length <= maxSteps ? [...chains, adapt] : chains;
}

function makeRoute(from: Family, to: Family, steps: RouteStep[]): Route {
  return {
    id: steps.map((s) => s.tool.id).join("+"),
    name: steps.map((s) => s.tool.name).join(" -> "),
    from, to, steps,
    slow: steps.some((s) => s.tool.slow === true),
    binaries: [...new Set(steps.flatMap((s) => s.tool.binaries))].sort(),
  };
}

export function parseFamily(s: string | undefined, option: string): Family {
  if (!s) throw new UserError(`${option} is required; one of: ${FAMILIES.join(", ")}`);
  const f = s.toLowerCase();
  if (!isFamily(f)) throw new UserError(`${option} ${s}: unknown family; one of: ${FAMILIES.join(", ")}`);
  return f;
}

export function findRoute(from: Family, to: Family, id: string): Route {
  const routes = discoverRoutes(from, to);
  const r = routes.find((x) => x.id === id);
  if (!r) throw new UserError(`route ${id}: no such route from ${from} to ${to}; known: ${routes.map((x) => x.id).join(", ")}`);
  return r;
}
