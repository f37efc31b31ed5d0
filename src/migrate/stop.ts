import { timedAs } from "../util/time-ledger.js";
import { UserError } from "../errors.js";
import type { HypervisorDriver, VmState } from "../hypervisor/driver.js";

export interface StopReport {
  /** State found before stopping. */
  was: VmState;
  /** none: already off; shutdown: the guest powered off; destroy: it did not within the wait. */
  how: "none" | "shutdown" | "destroy";
  seconds: number;
}

/** Waiting for the guest to power off is the guest's time, not tiosa's ("wait" in a step's time breakdown). */
const sleep = (ms: number) => timedAs("wait", "graceful shutdown", () => new Promise((r) => setTimeout(r, ms)));

/**
 * Sequence 2 step 4: the VM must be stopped before it is exported, or its disks are
 * copied mid-write. A graceful shutdown (guest agent, else ACPI), a bounded wait, then a
 * hard power-off. A managed save holds memory the target could never restore: refused.
 */
export async function stopVm(driver: HypervisorDriver, vm: string, opts: { timeoutMs?: number; signal?: AbortSignal; log?: (m: string) => void } = {}): Promise<StopReport> {
  const start = Date.now();
  const was = await driver.state(vm, opts.signal);
  const done = (how: StopReport["how"]): StopReport => ({ was, how, seconds: (Date.now() - start) / 1000 });
  if (was === "shut off") return done("none");
  if (was === "saved") {
    throw new UserError(`VM '${vm}' on ${driver.uri} has a managed save (its memory is on disk): start it and shut it down, or discard the save (virsh managedsave-remove), then migrate`);
  }
  if (was === "running") {
    opts.log?.(`stopping VM '${vm}' (Sequence 2 step 4): graceful shutdown`);
    try {
      await driver.lifecycle(vm, "shutdown", opts.signal);
    } catch (e) {
      opts.log?.(`shutdown request failed (${e instanceof Error ? e.message : String(e)}); powering off`);
    }
    const deadline = start + (opts.timeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      opts.signal?.throwIfAborted();
      if ((await driver.state(vm, opts.signal)) === "shut off") return done("shutdown");
      await sleep(2000);
    }
    opts.log?.(`VM '${vm}' still running after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s: powering off`);
  }
  // paused, crashed, pmsuspended, or a guest that ignored the shutdown.
  await driver.lifecycle(vm, "destroy", opts.signal);
  return done("destroy");
}
