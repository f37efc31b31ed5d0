import type { Command, CommandContext } from "../command.js";
import { UserError } from "../../errors.js";
import { runSession } from "../../campaign/session.js";
import { buildReportModel, getReporter } from "../../report/index.js";
import { exitCodeFor } from "../../method/verdict.js";
import { formatClock } from "../../campaign/progress.js";
import { loadCampaign } from "../../campaign/spec.js";
import { planCampaign, type Plan } from "../../campaign/plan.js";
import { planRoutes } from "../../campaign/routes.js";
import { renderTable } from "../../util/table.js";

/** What a campaign will do, in words: cells, their routes, and how many jobs of each kind. */
export function describePlan(plan: Plan): string {
  const count = (k: string) => plan.jobs.filter((j) => j.kind === k).length;
  const rows = plan.cells.map((c) => [c.guest, `${c.hs} -> ${c.hut}`, c.routes.length ? c.routes.map((r) => r.id).join(", ") : "NO ROUTE"]);
  return [
    renderTable(["Guest", "HS -> HUT", "Routes"], rows),
    "",
    `${plan.cells.length} cell(s); ${count("readiness")} Sequence 1 job(s), ${count("capture")} source capture(s), ${count("case")} case(s) over ${plan.cycles} cycle(s).`,
    "Nothing was run (--plan). Each case boots the guest on the target; under TCG one takes minutes (docs/campaigns.md).",
  ].join("\n");
}

/** Prints the run's report (table or json) and returns the campaign's exit status. */
export function printReport(ctx: CommandContext, store: Parameters<typeof buildReportModel>[0]): number {
  const model = buildReportModel(store);
  ctx.out(getReporter(ctx.format === "json" ? "json" : "table")!.render(model));
  return exitCodeFor(model.verdict);
}

export const runCommand: Command = {
  name: "run",
  summary: "Run a campaign (Sequence 1, then Sequence 2 for every guest, pair, route and cycle) and print its report",
  usage: "CAMPAIGN.yaml [--output DIR] [--concurrency N] [--plan] [--queue redis://HOST:PORT] | --resume RUN [--output DIR] [--queue URL]",
  options: { resume: { type: "string" }, output: { type: "string" }, concurrency: { type: "string" }, plan: { type: "boolean" }, queue: { type: "string" } },
  formats: ["table", "json"],
  async run(ctx) {
    const resume = typeof ctx.options.resume === "string" ? ctx.options.resume : undefined;
    const [file, ...extra] = ctx.positionals;
    if (resume && file) throw new UserError(`give a campaign file or --resume RUN, not both ('${file}')`);
    if (!resume && !file) throw new UserError("give a campaign file (e.g. campaigns/demo.yaml), or --resume RUN");
    if (extra.length) throw new UserError(`unexpected argument '${extra[0]}'`);
    if (ctx.options.plan === true) {
      if (!file) throw new UserError("--plan takes a campaign file, not --resume");
      const plan = planCampaign(await loadCampaign(file), planRoutes);
      ctx.out(ctx.format === "json" ? JSON.stringify(plan, null, 2) : describePlan(plan));
      return 0;
    }
    let concurrency: number | undefined;
    if (typeof ctx.options.concurrency === "string") {
      concurrency = Number(ctx.options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UserError(`--concurrency '${ctx.options.concurrency}': a whole number from 1 to 64`);
    }
    // Jobs go to BullMQ queues on this Redis, for `tiosa worker`s to run (docs/scale-out.md).
    const queue = typeof ctx.options.queue === "string" ? (await import("../../campaign/queue/redis.js")).parseQueueUrl(ctx.options.queue) : undefined;
    const r = await runSession({
      ...(queue ? { queue } : {}),
      ...(file ? { campaignFile: file } : {}), ...(resume ? { resume } : {}),
      ...(typeof ctx.options.output === "string" ? { outputDir: ctx.options.output } : {}),
      ...(concurrency ? { concurrency } : {}),
      signal: ctx.signal, err: ctx.err, progress: process.stderr,
    });
    try {
      ctx.err(`tiosa run: ${r.store.id} ${r.state} in ${formatClock(r.seconds * 1000)}; results in ${r.store.dir}`);
      if (r.state === "aborted") {
        ctx.err(`tiosa run: interrupted; continue with: tiosa run --resume ${r.store.dir}`);
        return 130;
      }
      return printReport(ctx, r.store);
    } finally {
      r.store.close();
    }
  },
};
