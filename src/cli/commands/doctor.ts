import type { Command } from "../command.js";
import { runChecks } from "../../doctor/checks.js";
import { renderTable } from "../../util/table.js";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "Say what is missing or broken on this machine for tiosa, and how to fix it",
  usage: "[--format table|json]",
  async run(ctx) {
    const results = await runChecks(ctx.signal);
    const failed = results.filter((r) => r.status === "fail").length;
    if (ctx.format === "json") ctx.out(JSON.stringify({ ok: failed === 0, checks: results }, null, 2));
    else {
      ctx.out(renderTable(["Check", "Status", "Detail", "Fix"], results.map((r) => [r.name, r.status.toUpperCase(), r.detail, r.fix ?? ""]), { maxWidth: [20, 6, 90, 60], wrap: true }));
      ctx.out(failed ? `\n${failed} problem(s): fix them, or run scripts/setup.sh` : "\nReady.");
    }
    // Not a verdict: 0 when usable, 2 when something needed is missing (the machine is the bad input).
    return failed ? 2 : 0;
  },
};
