import type { Command } from "../command.js";
import { ExitCode } from "../../errors.js";
import { openDriver } from "../../hypervisor/open.js";
import { oneUri } from "../hypervisor-support.js";

export const cleanupCommand: Command = {
  name: "cleanup",
  summary: "Remove what dead tiosa runs left on a hypervisor (marked domains, their volumes, pools, networks)",
  usage: "URI [--format table|json]",
  async run(ctx) {
    const uri = oneUri(ctx, "cleanup");
    const driver = openDriver(uri);
    await driver.connect(ctx.signal);
    const report = await driver.cleanup({ allRuns: true });
    if (ctx.format === "json") ctx.out(JSON.stringify(report, null, 2));
    else {
      ctx.out(report.removed.length ? `Removed:\n${report.removed.map((r) => `  ${r}`).join("\n")}` : `Nothing of tiosa's left on ${uri}.`);
      if (report.failed.length) ctx.out(`Could not remove:\n${report.failed.map((f) => `  ${f.object}: ${f.error}`).join("\n")}`);
    }
    return report.failed.length ? ExitCode.INTERNAL : ExitCode.SUCCESS;
  },
};
