import { UserError } from "../errors.js";
import type { CommandContext } from "./command.js";
import type { HypervisorDriver } from "../hypervisor/driver.js";
import { OpenSshTransport } from "../hypervisor/guest-ssh.js";
import type { GuestAccess } from "../hypervisor/launch.js";
import { waitForGuest } from "../hypervisor/launch.js";
import type { HypervisorTestContext } from "../hypervisor/table2/index.js";

/**
 * Opens the test context for an existing VM: the guest must answer over SSH (at a given
 * address, or the one the hypervisor knows). A shut-off VM is started by Launch (1.1.a),
 * so here only a running VM needs an answering guest.
 */
export async function openTestContext(o: {
  driver: HypervisorDriver; vm: string; access: GuestAccess; evidenceDir: string; allowTerminate: boolean;
  ctx: Pick<CommandContext, "err" | "signal">; bootTimeoutMs?: number;
}): Promise<HypervisorTestContext> {
  const state = await o.driver.state(o.vm, o.ctx.signal);
  const bootTimeoutMs = o.bootTimeoutMs ?? 300_000;
  let guest;
  if (state === "running") {
    const w = await waitForGuest({ driver: o.driver, vm: o.vm, access: o.access, timeoutMs: Math.min(bootTimeoutMs, 120_000), signal: o.ctx.signal });
    guest = w.transport;
  } else {
    if (!o.access.host && state !== "shut off" && state !== "saved" && state !== "paused") {
      throw new UserError(`VM '${o.vm}' is ${state}; start it, or give its address with --ssh user@host`);
    }
    // A placeholder until Launch starts the guest and learns its address.
    guest = new OpenSshTransport({ user: o.access.user, host: o.access.host ?? "0.0.0.0", port: o.access.port ?? 22, identityFile: o.access.identityFile });
  }
  return {
    driver: o.driver, vm: o.vm, guest, access: o.access, evidenceDir: o.evidenceDir, allowTerminate: o.allowTerminate,
    bootTimeoutMs, log: (m) => o.ctx.err(m), signal: o.ctx.signal,
  };
}
