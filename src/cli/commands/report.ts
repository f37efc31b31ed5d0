import { writeFile } from "node:fs/promises";
import type { Command } from "../command.js";
import { UserError, errorMessage } from "../../errors.js";
import { RunStore, listRuns, latestRun } from "../../campaign/store.js";
import { REPORTERS, getReporter, buildReportModel } from "../../report/index.js";
import { exitCodeFor } from "../../method/verdict.js";
import { renderTable } from "../../util/table.js";

export const DEFAULT_OUTPUT_DIR = "./tiosa-runs";

export const reportCommand: Command = {
  name: "report",
  summary: "Report a campaign run: HS x HUT matrices, summary, per-test results and evidence",
  usage: "[RUN] [--output DIR] [--out FILE] [--list]   (RUN: a run id in DIR or a run directory; default: the latest run)",
  options: { output: { type: "string" }, out: { type: "string" }, list: { type: "boolean" } },
  formats: REPORTERS.map((r) => r.name),
  async run(ctx) {
    const outputDir = typeof ctx.options.output === "string" ? ctx.options.output : DEFAULT_OUTPUT_DIR;
    if (ctx.positionals.length > 1) throw new UserError(`expected at most one run, got ${ctx.positionals.length}: ${ctx.positionals.join(" ")}`);
    if (ctx.options.list) {
      const runs = listRuns(outputDir);
      if (ctx.format === "json") ctx.out(JSON.stringify(runs, null, 2));
      else if (runs.length === 0) ctx.err(`no runs in '${outputDir}'`);
      else ctx.out(renderTable(["Run", "Campaign", "Started", "Finished", "State"], runs.map((r) => [r.id, r.campaign ?? "", r.startedAt ?? "", r.finishedAt ?? "", r.error ? `unreadable: ${r.error}` : r.state ?? ""])));
      return 0;
    }
    let ref = ctx.positionals[0];
    if (!ref) {
      const latest = latestRun(outputDir);
      if (!latest) throw new UserError(`no run in '${outputDir}'`, "name a run (id or directory), or pass --output DIR where `tiosa run` wrote its runs");
      ref = latest.dir;
    }
    const reporter = getReporter(ctx.format)!;
    const store = RunStore.open(ref, { outputDir, readonly: true });
    let text: string;
    let verdict;
    try {
      const model = buildReportModel(store);
      if (!model.run.complete) ctx.err(`tiosa report: run ${model.run.id} is not finished (${model.progress.done + model.progress.failed}/${model.progress.jobs} jobs); reporting what it has`);
      text = reporter.render(model);
      verdict = model.verdict;
    } finally {
      store.close();
    }
    if (typeof ctx.options.out === "string") {
      try {
        await writeFile(ctx.options.out, text);
      } catch (e) {
        throw new UserError(`--out '${ctx.options.out}': ${errorMessage(e)}`);
      }
      ctx.err(`tiosa report: wrote ${ctx.format} report to ${ctx.options.out}`);
    } else ctx.out(text);
    return exitCodeFor(verdict);
  },
};
