import type { Command } from "../command.js";
import { describeKind } from "../../routes/artifacts.js";
import { discoverRoutes, parseFamily } from "../../routes/discover.js";
import { renderTable } from "../../util/table.js";
import { UserError } from "../../errors.js";

export const routesCommand: Command = {
  name: "routes",
  summary: "List the conversion routes (export, convert, import) from one hypervisor family to another",
  usage: "--from FAMILY --to FAMILY [--max-steps N] [--format table|json]   (families: kvm, vmware, hyperv, xen)",
  options: {
    from: { type: "string" },
    to: { type: "string" },
    "max-steps": { type: "string" },
  },
  async run(ctx) {
    const from = parseFamily(ctx.options["from"] as string | undefined, "--from");
    const to = parseFamily(ctx.options["to"] as string | undefined, "--to");
    const maxRaw = ctx.options["max-steps"] as string | undefined;
    const maxSteps = maxRaw === undefined ? undefined : Number(maxRaw);
    if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 8)) {
      throw new UserError(`--max-steps ${maxRaw}: expected a whole number from 1 to 8`);
    }
    const routes = discoverRoutes(from, to, { maxSteps });
    if (ctx.format === "json") {
      ctx.out(JSON.stringify({
        from, to, count: routes.length,
        routes: routes.map((r) => ({
          id: r.id, name: r.name, slow: r.slow, binaries: r.binaries,
          ...(r.description ? { description: r.description } : {}),
          ...(r.outline ? { outline: r.outline } : {}),
          steps: r.steps.map((s) => ({ tool: s.tool.id, name: s.tool.name, input: s.input, output: s.output })),
        })),
      }, null, 2));
    } else {
      ctx.out(renderTable(["#", "Route", "Steps", "Slow", "Id"], routes.map((r, i) => [
        String(i + 1), r.name, String(r.steps.length), r.slow ? "yes" : "", r.id,
      ]), { maxWidth: [3, 110, 5, 4, 100] }));
      // Whole-method routes (adapt) say what their tools do inside.
      for (const r of routes.filter((x) => x.description || x.outline)) {
        ctx.out(`\n${r.id}: ${r.description ?? r.name}${(r.outline ?? []).map((o, i) => `\n  ${i + 1}. ${o}`).join("")}`);
      }
      ctx.out(`\n${routes.length} route(s) from ${describeKind(`vm:${from}`)} to ${describeKind(`vm:${to}`)}; use an Id with \`tiosa migrate --route\`.`);
    }
    return 0;
  },
};
