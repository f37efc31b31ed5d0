import type { Command, CommandContext } from "../command.js";
import { UserError } from "../../errors.js";
import { runSession } from "../../campaign/session.js";
import { buildReportModel, getReporter } from "../../report/index.js";
import { exitCodeFor } from "../../method/verdict.js";
import { formatClock } from "../../campaign/progress.js";

/** Prints the run's report (table or json) and returns the campaign's exit status. */
export function printReport(ctx: CommandContext, store: Parameters<typeof buildReportModel>[0]): number {
  const model = buildReportModel(store);
  ctx.out(getReporter(ctx.format === "json" ? "json" : "table")!.render(model));
  return exitCodeFor(model.verdict);
}

export const runCommand: Command = {
  name: "run",
  summary: "Run a campaign (Sequence 1, then Sequence 2 for every guest, pair, route and cycle) and print its report",
  usage: "CAMPAIGN.yaml [--output DIR] [--concurrency N] | --resume RUN [--output DIR]",
  options: { resume: { type: "string" }, output: { type: "string" }, concurrency: { type: "string" } },
  formats: ["table", "json"],
  async run(ctx) {
    const resume = typeof ctx.options.resume === "string" ? ctx.options.resume : undefined;
    const [file, ...extra] = ctx.positionals;
    if (resume && file) throw new UserError(`give a campaign file or --resume RUN, not both ('${file}')`);
    if (!resume && !file) throw new UserError("give a campaign file (e.g. campaigns/demo.yaml), or --resume RUN");
    if (extra.length) throw new UserError(`unexpected argument '${extra[0]}'`);
    let concurrency: number | undefined;
    if (typeof ctx.options.concurrency === "string") {
      concurrency = Number(ctx.options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UserError(`--concurrency '${ctx.options.concurrency}': a whole number from 1 to 64`);
    }
    const r = await runSession({
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
