import { writeFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { Command } from "../command.js";
import { UserError, errorMessage } from "../../errors.js";
import { openDriver } from "../../hypervisor/open.js";
import { runHypervisorTests } from "../../hypervisor/table2/index.js";
import { testTerminate } from "../../hypervisor/table2/group-1.1-lifecycle.js";
import { openTestContext } from "../hypervisor-session.js";
import { ensureDir, bootTimeoutOption, groupsOption, guestAccessOption, oneUri, optString, renderResults, requiredVm } from "../hypervisor-support.js";
import { GuestProbeError, captureSnapshot } from "../../capture/snapshot.js";
import { SshTransport } from "../../guest/transports/ssh.js";

export const captureCommand: Command = {
  name: "capture",
  summary: "Capture a whole snapshot/v1 of a VM: Table II on the hypervisor, the guest probe (Table III) and its inventory",
  usage: "URI --vm NAME --ssh user@host[:port]|user --identity KEY -o SNAPSHOT.json [--family NAME] [--only 1.1,1.2,1.4] [--allow-terminate] [--boot-timeout SECONDS]",
  options: {
    vm: { type: "string" },
    ssh: { type: "string" },
    identity: { type: "string" },
    output: { type: "string", short: "o" },
    family: { type: "string" },
    only: { type: "string" },
    "allow-terminate": { type: "boolean" },
    "boot-timeout": { type: "string" },
    "no-user-ops": { type: "boolean" },
  },
  async run(ctx) {
    const uri = oneUri(ctx, "capture");
    const vm = requiredVm(ctx, "capture");
    const out = optString(ctx, "output");
    if (!out) throw new UserError("capture: -o SNAPSHOT.json is required");
    const groups = groupsOption(ctx);
    const { access } = guestAccessOption(ctx);
    const allowTerminate = ctx.options["allow-terminate"] === true;
    const driver = openDriver(uri);
    await driver.connect(ctx.signal);
    await driver.state(vm, ctx.signal);
    const evidenceDir = await ensureDir(join(dirname(out), `${basename(out).replace(/\.json$/i, "")}.evidence`));
    try {
      // Inventory first: Terminate, if allowed, removes the VM at the end.
      ctx.err(`capture: inventory of ${vm}`);
      const inventory = await driver.vmInventory(vm, ctx.signal);
      const marker = await driver.markerOf(vm, ctx.signal);
      const family = optString(ctx, "family") ?? marker?.family ?? null;
      const accel = inventory.hypervisorType === "kvm" ? "kvm" : inventory.hypervisorType === "qemu" ? "tcg" : null;

      const tctx = await openTestContext({ driver, vm, access, evidenceDir, allowTerminate: false, ctx, bootTimeoutMs: bootTimeoutOption(ctx) });
      const { results, notRequested } = await runHypervisorTests(tctx, groups);

      ctx.err(`capture: guest probe over SSH ${tctx.guest.label}`);
      const host = access.host ?? (await driver.guestAddress(vm, ctx.signal));
      if (!host) throw new UserError(`capture: no address for VM '${vm}' (give --ssh user@host)`);
      const terminate = groups.includes("1.1") && allowTerminate;
      const snapshot = await captureSnapshot({
        subject: { vm, hypervisor: uri, family, accel },
        hypervisorTests: results, notRequested,
        openGuest: () => SshTransport.connect({ user: access.user, host, port: access.port ?? 22 }, {
          identityFile: access.identityFile, knownHostsFile: join(evidenceDir, "known_hosts"), acceptNew: true, connectTimeoutMs: 60_000,
        }, ctx.signal),
        // Guest scripts get the boot budget: a loaded TCG host runs them many times slower.
        probe: { signal: ctx.signal, userOps: ctx.options["no-user-ops"] !== true, timeoutMs: Math.max(60_000, bootTimeoutOption(ctx) / 2) },
        // Taken before Table II: Terminate, if allowed, removes the VM at the end.
        inventory: async () => inventory,
        ...(terminate ? { after: async () => ({ results: await testTerminate({ ...tctx, allowTerminate: true }), requested: ["1.1.g"] }) } : {}),
      }).catch((e: unknown) => { throw e instanceof GuestProbeError ? e.cause : e; });
      await writeFile(out, JSON.stringify(snapshot, null, 2) + "\n");
      if (ctx.format === "json") ctx.out(JSON.stringify(snapshot, null, 2));
      else ctx.out(`${renderResults(snapshot.hypervisorTests, snapshot.notRequested ?? {})}\n\nSnapshot written to ${out}; evidence in ${evidenceDir}`);
      return 0;
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new Error(`capture of '${vm}' on '${uri}': ${errorMessage(e)}`);
    } finally {
      const report = await driver.cleanup();
      for (const f of report.failed) ctx.err(`capture: could not remove ${f.object}: ${f.error}`);
    }
  },
};
