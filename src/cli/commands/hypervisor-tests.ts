import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "../command.js";
import { ExitCode } from "../../errors.js";
import { openDriver } from "../../hypervisor/open.js";
import { runHypervisorTests } from "../../hypervisor/table2/index.js";
import { openTestContext } from "../hypervisor-session.js";
import { ensureDir, bootTimeoutOption, groupsOption, guestAccessOption, oneUri, optString, renderResults, requiredVm } from "../hypervisor-support.js";

export const hypervisorTestsCommand: Command = {
  name: "hypervisor-tests",
  summary: "Run Table II (1.1 lifecycle, 1.2 disks, 1.4 consoles) on a VM, each proven by an observation in the guest",
  usage: "URI --vm NAME --ssh user@host[:port]|user --identity KEY [--only 1.1,1.2,1.4] [--allow-terminate] [--boot-timeout SECONDS] [--evidence-dir DIR]",
  options: {
    vm: { type: "string" },
    ssh: { type: "string" },
    identity: { type: "string" },
    only: { type: "string" },
    "allow-terminate": { type: "boolean" },
    "boot-timeout": { type: "string" },
    "evidence-dir": { type: "string" },
  },
  async run(ctx) {
    const uri = oneUri(ctx, "hypervisor-tests");
    const vm = requiredVm(ctx, "hypervisor-tests");
    const groups = groupsOption(ctx);
    const { access } = guestAccessOption(ctx);
    const driver = openDriver(uri);
    await driver.connect(ctx.signal);
    // A VM that does not exist fails here, before anything is created.
    await driver.state(vm, ctx.signal);
    const evidenceDir = optString(ctx, "evidence-dir") ? await ensureDir(optString(ctx, "evidence-dir")!) : await mkdtemp(join(tmpdir(), "tiosa-evidence-"));
    try {
      const tctx = await openTestContext({ driver, vm, access, evidenceDir, allowTerminate: ctx.options["allow-terminate"] === true, ctx, bootTimeoutMs: bootTimeoutOption(ctx) });
      const { results, notRequested } = await runHypervisorTests(tctx, groups);
      if (ctx.format === "json") ctx.out(JSON.stringify({ uri, vm, evidenceDir, hypervisorTests: results, notRequested }, null, 2));
      else ctx.out(`${renderResults(results, notRequested)}\n\nEvidence kept in ${evidenceDir}`);
      return Object.values(results).some((r) => r.result === "failed") ? ExitCode.FAILURE : ExitCode.SUCCESS;
    } finally {
      // Test volumes and anything else this run created; the VM itself is the user's.
      const report = await driver.cleanup();
      for (const f of report.failed) ctx.err(`hypervisor-tests: could not remove ${f.object}: ${f.error}`);
    }
  },
};
