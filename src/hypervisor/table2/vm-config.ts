import { errorMessage } from "../../errors.js";
import type { HypervisorTestResult } from "../../snapshot/schema.js";
import type { NetworkLab, NicSpec } from "../capabilities.js";
import { waitForGuest } from "../launch.js";
import type { HypervisorTestContext } from "./context.js";
import { waitFor } from "./guest-view.js";

/**
 * VM plumbing shared by the 1.3 and 1.5 groups: stop/start with the guest transport
 * refreshed, and test NICs plugged in and out so the VM ends as it began.
 */

/** Shuts the VM down (gracefully, then hard after `graceMs`) and waits for "shut off". */
export async function ensureStopped(ctx: HypervisorTestContext, graceMs = 60_000, signal = ctx.signal): Promise<void> {
  const { driver, vm } = ctx;
  const st = await driver.state(vm, signal);
  if (st === "shut off" || st === "saved") return;
  if (st === "running") {
    await driver.lifecycle(vm, "shutdown", signal).catch(() => undefined);
    try {
      await waitFor(`${vm} to shut down`, graceMs, async () => ((await driver.state(vm, signal)) === "shut off" ? true : null), signal, 1000);
      return;
    } catch { /* hard power-off below */ }
  }
  await driver.lifecycle(vm, "destroy", signal).catch(() => undefined);
  await waitFor(`${vm} to power off`, 30_000, async () => ((await driver.state(vm, signal)) === "shut off" ? true : null), signal, 500);
}

/** Starts the VM and waits for its guest, replacing ctx.guest. Returns seconds to answer. */
export async function startAndReconnect(ctx: HypervisorTestContext, signal = ctx.signal): Promise<number> {
  await ctx.guest.close().catch(() => undefined);
  await ctx.driver.lifecycle(ctx.vm, "start", signal);
  const w = await waitForGuest({ driver: ctx.driver, vm: ctx.vm, access: ctx.access, timeoutMs: ctx.bootTimeoutMs, signal, boot: "restart" });
  ctx.guest = w.transport;
  return w.seconds;
}

/**
 * Makes sure ctx.guest answers (the VM running): after test NICs come and go, the address
 * the transport was opened on may have been a test network's.
 */
export async function ensureGuest(ctx: HypervisorTestContext): Promise<void> {
  if ((await ctx.driver.state(ctx.vm)) !== "running") {
    await startAndReconnect(ctx, undefined);
    return;
  }
  const r = await ctx.guest.exec("true", { timeoutMs: 20_000 }).catch(() => null);
  if (r && r.code === 0) return;
  await ctx.guest.close().catch(() => undefined);
  const w = await waitForGuest({ driver: ctx.driver, vm: ctx.vm, access: ctx.access, timeoutMs: ctx.bootTimeoutMs });
  ctx.guest = w.transport;
}

/**
 * Plugs test NICs into the VM: hot-plugged (live and in its definition) when the VM runs
 * and has a free slot; otherwise the VM is stopped, the NICs added to its definition and
 * the VM started again. q35 families land in the second case: the driver's domain XML
 * reserves no spare PCIe root port for hot-plug. Returns how it was done, for `detail`.
 */
export async function plugNics(ctx: HypervisorTestContext, lab: NetworkLab, nics: NicSpec[], signal = ctx.signal): Promise<string> {
  let hotplugError = "VM not running";
  let plugged = 0;
  if ((await ctx.driver.state(ctx.vm, signal)) === "running") {
    try {
      for (const n of nics) {
        await lab.plugNic(ctx.vm, n, true, signal);
        plugged++;
      }
      return `hot-plugged into the running VM`;
    } catch (e) {
      hotplugError = errorMessage(e).replace(/^.*?: /, "").replace(/.*error: /s, "");
    }
  }
  // The NICs hot-plugged so far are in the definition too: they stay; the rest join them.
  await ensureStopped(ctx, 60_000, signal);
  for (const n of nics.slice(plugged)) await lab.plugNic(ctx.vm, n, false, signal);
  const s = await startAndReconnect(ctx, signal);
  return `${plugged ? `${plugged} hot-plugged, ` : ""}${nics.length - plugged} added to the stopped VM's definition (hot-plug: ${hotplugError}), VM restarted, guest answered after ${s.toFixed(1)} s`;
}

/**
 * Takes the test NICs out again: hot-unplugged when the VM runs (and the guest lets go
 * within a minute), else by a stop, a definition edit and a start. Never throws: returns
 * the problems, for the cleanup log.
 */
export async function unplugNics(ctx: HypervisorTestContext, lab: NetworkLab, nics: NicSpec[]): Promise<string[]> {
  const { driver } = ctx;
  const problems: string[] = [];
  if (nics.length === 0) return problems;
  const want = nics.map((n) => n.mac.toLowerCase());
  try {
    const running = (await driver.state(ctx.vm)) === "running";
    if (running) {
      for (const nic of nics) {
        if (!(await lab.macsOf(ctx.vm, false)).includes(nic.mac.toLowerCase())) continue;
        await lab.unplugNic(ctx.vm, nic, true);
      }
      const gone = await waitFor("test NICs to be unplugged", 60_000, async () => ((await lab.macsOf(ctx.vm, false)).some((m) => want.includes(m)) ? null : true), undefined, 1000).then(() => true, () => false);
      if (gone && !(await lab.macsOf(ctx.vm, true)).some((m) => want.includes(m))) return problems;
      await ensureStopped(ctx, 60_000, undefined);
    }
    for (const nic of nics) {
      if (!(await lab.macsOf(ctx.vm, true)).includes(nic.mac.toLowerCase())) continue;
      const err = await lab.unplugNic(ctx.vm, nic, false);
      if (err) problems.push(`NIC ${nic.mac}: ${err}`);
    }
    if (running) await startAndReconnect(ctx, undefined);
  } catch (e) {
    problems.push(`test NICs ${want.join(", ")}: ${errorMessage(e)}`);
  }
  return problems;
}

/** Runs one test body, turning an exception into a "failed" with its message, and timing it. */
export async function timed(body: () => Promise<HypervisorTestResult>): Promise<HypervisorTestResult> {
  const t0 = Date.now();
  let r: HypervisorTestResult;
  try {
    r = await body();
  } catch (e) {
    r = { result: "failed", detail: errorMessage(e) };
  }
  return { ...r, durationMs: Date.now() - t0 };
}
