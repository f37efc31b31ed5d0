import { errorMessage } from "../../errors.js";
import { waitForGuest } from "../launch.js";
import { BOOT_ID, UPTIME, failed, guestRun, ok, sleep, type HypervisorTestContext, type Results } from "./context.js";

/** 1.1.a Launch: the VM runs (starting it if needed) and the guest answers from inside. */
export async function testLaunch(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  try {
    let state = await ctx.driver.state(ctx.vm, ctx.signal);
    const started = state !== "running";
    let fallback = "";
    if (started) {
      await ctx.driver.lifecycle(ctx.vm, state === "paused" ? "unpause" : "start", ctx.signal);
      const w = await waitForGuest({ driver: ctx.driver, vm: ctx.vm, access: ctx.access, timeoutMs: ctx.bootTimeoutMs, signal: ctx.signal, boot: "Launch" });
      ctx.guest = w.transport;
      // Evidence that this boot ran under TCG after KVM stalled it (the hypervisor's doing, not the guest's).
      if (w.accelFallback) fallback = `; ${w.accelFallback}`;
      state = await ctx.driver.state(ctx.vm, ctx.signal);
    }
    const bootId = (await guestRun(ctx, BOOT_ID)).trim();
    if (state !== "running") return { "1.1.a": failed(`hypervisor says '${state}' although the guest answered${fallback}`, t) };
    return { "1.1.a": ok(`${started ? "started; " : ""}hypervisor state running; guest answered over ${ctx.guest.label} with boot_id ${bootId}${fallback}`, t) };
  } catch (e) {
    return { "1.1.a": failed(`launch: ${errorMessage(e)}`, t) };
  }
}

/** 1.1.b Reboot: the guest comes back with a new kernel boot id. */
export async function testReboot(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  try {
    const before = (await guestRun(ctx, BOOT_ID)).trim();
    await ctx.driver.lifecycle(ctx.vm, "reboot", ctx.signal);
    const w = await waitForGuest({ driver: ctx.driver, vm: ctx.vm, access: ctx.access, timeoutMs: ctx.bootTimeoutMs, signal: ctx.signal, notBootId: before, boot: "Reboot" });
    ctx.guest = w.transport;
    return { "1.1.b": ok(`guest boot_id changed from ${before} to ${w.bootId}; it answered ${w.seconds.toFixed(1)} s after the reboot request`, t) };
  } catch (e) {
    return { "1.1.b": failed(`reboot: ${errorMessage(e)}`, t) };
  }
}

/**
 * 1.1.c Pause / 1.1.d Un-Pause: while paused the guest does not answer and its clock
 * (/proc/uptime) does not advance; after un-pausing it answers again, its uptime having
 * advanced by less than the wall-clock time by about the paused interval.
 */
export async function testPauseUnpause(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  let paused = false;
  try {
    const u1 = Number((await guestRun(ctx, UPTIME)).trim());
    const h1 = Date.now();
    await ctx.driver.lifecycle(ctx.vm, "pause", ctx.signal);
    paused = true;
    const pausedAt = Date.now();
    const state = await ctx.driver.state(ctx.vm, ctx.signal);
    const during = await ctx.guest.exec(UPTIME, { timeoutMs: 6000, signal: ctx.signal });
    await sleep(Math.max(0, 8000 - (Date.now() - pausedAt)), ctx.signal);
    const pausedMs = Date.now() - pausedAt;
    const pauseResult = state === "paused" && during.code === null
      ? ok(`state paused; the guest did not answer for ${(pausedMs / 1000).toFixed(1)} s while paused`, t)
      : failed(`state '${state}'; guest ${during.code === null ? "silent" : `still answered (uptime ${during.stdout.trim()} s)`} while paused`, t);
    const t2 = Date.now();
    await ctx.driver.lifecycle(ctx.vm, "unpause", ctx.signal);
    paused = false;
    const u2 = Number((await guestRun(ctx, UPTIME)).trim());
    const hostSeconds = (Date.now() - h1) / 1000, guestSeconds = u2 - u1;
    const missing = hostSeconds - guestSeconds;
    const stateAfter = await ctx.driver.state(ctx.vm, ctx.signal);
    const detail = `guest uptime advanced ${guestSeconds.toFixed(1)} s over ${hostSeconds.toFixed(1)} s of wall time: ${missing.toFixed(1)} s missing for a ${(pausedMs / 1000).toFixed(1)} s pause; state ${stateAfter}`;
    const unpauseResult = stateAfter === "running" && Number.isFinite(guestSeconds) && guestSeconds > 0 && missing >= 0.5 * pausedMs / 1000
      ? ok(`guest answered again; ${detail}`, t2)
      : failed(detail, t2);
    return { "1.1.c": pauseResult, "1.1.d": unpauseResult };
  } catch (e) {
    if (paused) await ctx.driver.lifecycle(ctx.vm, "unpause").catch(() => undefined);
    return { "1.1.c": failed(`pause: ${errorMessage(e)}`, t), "1.1.d": failed(`un-pause not reached: ${errorMessage(e)}`, t) };
  }
}

/**
 * 1.1.e Suspend / 1.1.f Resume: the state goes to disk (managed save, no emulator process
 * left), and starting the VM restores it: same boot id, uptime continuing from where it was.
 */
export async function testSuspendResume(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  let suspendResult;
  try {
    const bootId = (await guestRun(ctx, BOOT_ID)).trim();
    const u1 = Number((await guestRun(ctx, UPTIME)).trim());
    await ctx.driver.lifecycle(ctx.vm, "save", ctx.signal);
    const state = await ctx.driver.state(ctx.vm, ctx.signal);
    const pids = await ctx.driver.emulatorPids(ctx.vm);
    suspendResult = state === "saved" && pids.length === 0
      ? ok(`managed save written in ${((Date.now() - t) / 1000).toFixed(1)} s; state saved, ${ctx.driver.uri.includes("+") ? "remote emulator not checked" : "no emulator process left"}`, t)
      : failed(`after managed save the state is '${state}'${pids.length ? `, emulator still running (pid ${pids.join(",")})` : ""}`, t);
    const t2 = Date.now();
    await ctx.driver.lifecycle(ctx.vm, "start", ctx.signal);
    const w = await waitForGuest({ driver: ctx.driver, vm: ctx.vm, access: ctx.access, timeoutMs: ctx.bootTimeoutMs, signal: ctx.signal, boot: "Resume" });
    ctx.guest = w.transport;
    const u2 = Number((await guestRun(ctx, UPTIME)).trim());
    const detail = `restored in ${((Date.now() - t2) / 1000).toFixed(1)} s; boot_id ${w.bootId === bootId ? "unchanged" : `changed ${bootId} -> ${w.bootId}`}; uptime ${u1.toFixed(1)} s before, ${u2.toFixed(1)} s after`;
    const resumeResult = w.bootId === bootId && u2 >= u1 ? ok(detail, t2) : failed(detail, t2);
    return { "1.1.e": suspendResult, "1.1.f": resumeResult };
  } catch (e) {
    return {
      "1.1.e": suspendResult ?? failed(`suspend: ${errorMessage(e)}`, t),
      "1.1.f": failed(`resume: ${errorMessage(e)}`, t),
    };
  }
}

/** 1.1.g Terminate: the VM is gone, its emulator process ended and its volumes removed. */
export async function testTerminate(ctx: HypervisorTestContext): Promise<Results> {
  const t = Date.now();
  try {
    const disks = await ctx.driver.diskSources(ctx.vm, ctx.signal);
    await ctx.driver.terminate(ctx.vm, ctx.signal);
    const stillListed = await ctx.driver.state(ctx.vm, ctx.signal).then(() => true, () => false);
    const pids = await ctx.driver.emulatorPids(ctx.vm);
    const left = [];
    for (const d of disks) if (await ctx.driver.volumeExists(d, ctx.signal)) left.push(d);
    const ownVolumes = ctx.vm.startsWith("tiosa-");
    const problems = [
      stillListed ? "the hypervisor still lists the VM" : "",
      pids.length ? `emulator still running (pid ${pids.join(",")})` : "",
      ownVolumes && left.length ? `volumes left: ${left.join(", ")}` : "",
    ].filter(Boolean);
    const detail = `VM ${stillListed ? "still defined" : "no longer defined"}; ${pids.length} emulator process(es); ${ownVolumes ? `${disks.length - left.length} of ${disks.length} volume(s) removed` : "the user's disks are kept"}`;
    return { "1.1.g": problems.length ? failed(`${problems.join("; ")} (${detail})`, t) : ok(detail, t) };
  } catch (e) {
    return { "1.1.g": failed(`terminate: ${errorMessage(e)}`, t) };
  }
}
