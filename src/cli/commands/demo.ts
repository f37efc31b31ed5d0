import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "../command.js";
import { UserError, errorMessage } from "../../errors.js";
import { runSession } from "../../campaign/session.js";
import { buildReportModel, getReporter } from "../../report/index.js";
import { exitCodeFor } from "../../method/verdict.js";
import { formatClock } from "../../campaign/progress.js";

/** campaigns/ of this installation (dist/src/cli/commands -> the package root). */
export function campaignsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../../campaigns");
}

export const demoCommand: Command = {
  name: "demo",
  summary: "Build the guest images and run the demo campaign (campaigns/demo.yaml) on the local libvirt; --paper runs the paper's experiment (campaigns/paper.yaml), --full every route (campaigns/full.yaml)",
  usage: "[--paper | --full] [--output DIR] [--html FILE]",
  options: { full: { type: "boolean" }, paper: { type: "boolean" }, output: { type: "string" }, html: { type: "string" } },
  formats: ["table", "json"],
  async run(ctx) {
    if (ctx.positionals.length) throw new UserError(`unexpected argument '${ctx.positionals[0]}' (use --paper for the paper's experiment, --full for every route)`);
    if (ctx.options.full && ctx.options.paper) throw new UserError("--paper and --full are two campaigns: give one");
    const file = join(campaignsDir(), ctx.options.paper ? "paper.yaml" : ctx.options.full ? "full.yaml" : "demo.yaml");
    ctx.err(`tiosa demo: campaign ${file}`);
    const r = await runSession({
      campaignFile: file, ...(typeof ctx.options.output === "string" ? { outputDir: ctx.options.output } : {}),
      signal: ctx.signal, err: ctx.err, progress: process.stderr,
    });
    try {
      if (r.state === "aborted") {
        ctx.err(`tiosa demo: interrupted after ${formatClock(r.seconds * 1000)}; continue with: tiosa run --resume ${r.store.dir}`);
        return 130;
      }
      const model = buildReportModel(r.store);
      const html = typeof ctx.options.html === "string" ? ctx.options.html : join(r.store.dir, "report.html");
      try {
        await writeFile(html, getReporter("html")!.render(model));
      } catch (e) {
        throw new UserError(`--html '${html}': ${errorMessage(e)}`);
      }
      ctx.out(getReporter(ctx.format === "json" ? "json" : "table")!.render(model));
      ctx.err(`tiosa demo: ${model.summary.text}`);
      ctx.err(`tiosa demo: finished in ${formatClock(r.seconds * 1000)}; HTML report: ${html}; all formats: tiosa report ${r.store.dir} --format html|md|junit|json`);
      return exitCodeFor(model.verdict);
    } finally {
      r.store.close();
    }
  },
};
