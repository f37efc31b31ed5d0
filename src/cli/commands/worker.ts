import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "../command.js";
import { UserError } from "../../errors.js";

/**
 * `tiosa worker --queue URL --serves NAME[,NAME]`: runs the queued jobs of those hypervisors
 * for every run a coordinator (`tiosa run --queue URL`) puts on that Redis, until stopped
 * (Ctrl-C or SIGTERM: its running jobs are undone and taken again by a worker).
 */
export const workerCommand: Command = {
  name: "worker",
  summary: "Run queued campaign jobs for the hypervisors this machine serves (tiosa run --queue)",
  usage: "--queue redis://[:PASSWORD@]HOST:PORT --serves NAME[,NAME] [--work-dir DIR]",
  options: { queue: { type: "string" }, serves: { type: "string" }, "work-dir": { type: "string" } },
  formats: ["table", "json"],
  async run(ctx) {
    if (ctx.positionals.length) throw new UserError(`unexpected argument '${ctx.positionals[0]}'`);
    if (typeof ctx.options.queue !== "string") throw new UserError("give the queue's Redis with --queue redis://[:PASSWORD@]HOST:PORT");
    const { parseQueueUrl } = await import("../../campaign/queue/redis.js");
    const { runWorker, parseServes } = await import("../../campaign/queue/worker.js");
    const redis = parseQueueUrl(ctx.options.queue);
    const serves = parseServes(typeof ctx.options.serves === "string" ? ctx.options.serves : undefined);
    const workDir = typeof ctx.options["work-dir"] === "string" ? ctx.options["work-dir"] : join(process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "tiosa", "worker");
    await runWorker({
      redis, serves, workDir, signal: ctx.signal,
      log: (m) => ctx.err(ctx.format === "json" ? JSON.stringify({ at: new Date().toISOString(), message: m }) : m),
    });
    return 0;
  },
};
