import { UserError, errorMessage } from "../errors.js";
import { timedTransport, type GuestTransport } from "../guest/transport.js";
import { recordTime } from "../util/time-ledger.js";
import type { DefineVmSpec, HypervisorDriver, VmHandle } from "./driver.js";
import { OpenSshTransport } from "./guest-ssh.js";
import { kvmFallbackAllowed } from "../qemu/accel.js";
import { KVM_STALL_MS, StallWatch } from "./stall.js";
import { consoleBootFailure } from "../guest/boot-failure.js";

/**
 * A guest whose agent answers (its OS runs) but whose SSH stays silent this long after that
 * is taken as booted without a network (a static configuration on a renamed NIC), instead of
 * waiting out the boot timeout. The agent starts when its virtio-serial port appears and sshd
 * a little later in the same boot; 3 minutes leaves room for a slow TCG machine.
 */
export const AGENT_WITHOUT_SSH_MS = 180_000;

/**
 * When that time is up but the guest's systemd is still starting units (a first-boot job its
 * network units are ordered after, say), the guest is still booting, not booted without a
 * network: it is asked again this much later, within the boot timeout.
 */
export const STILL_BOOTING_RECHECK_MS = 30_000;

/** What the guest's systemd says about its boot, asked through the guest agent. */
export interface GuestBootState {
  /** `systemctl is-system-running`: starting, running, degraded, ... */
  state: string;
  /** Queued or running jobs (while starting), failed units (after). */
  jobs: string[]; failed: string[];
}

/** `null` when the driver has no agent channel or the agent cannot run a command. */
export async function agentBootState(driver: HypervisorDriver, vm: string, signal?: AbortSignal): Promise<GuestBootState | null> {
  const channel = driver.capabilities.guestAgent;
  if (!channel) return null;
  try {
    const t = await channel.open(vm, 10_000);
    try {
      const r = await t.exec(
        "systemctl is-system-running 2>/dev/null; echo '#jobs'; systemctl list-jobs --no-legend --no-pager 2>/dev/null | head -n 8; echo '#failed'; systemctl --failed --plain --no-legend --no-pager 2>/dev/null",
        { timeoutMs: 20_000, signal },
      );
      return parseBootState(r.stdout);
    } finally {
      await t.close();
    }
  } catch {
    return null;
  }
}

export function parseBootState(text: string): GuestBootState | null {
  const [head, rest = ""] = text.split("#jobs\n");
  const [jobs = "", failed = ""] = rest.split("#failed\n");
  const state = head!.trim().split("\n").pop()?.trim() ?? "";
  if (!state) return null;
  const lines = (s: string) => s.split("\n").map((l) => l.trim().replace(/\s+/g, " ")).filter(Boolean);
  return { state, jobs: lines(jobs), failed: lines(failed) };
}

function describeBootState(b: GuestBootState): string {
  return `its systemd says '${b.state}'${b.jobs.length ? `; jobs: ${b.jobs.join(" | ")}` : ""}${b.failed.length ? `; failed units: ${b.failed.join(" | ")}` : ""}`;
}

/**
 * One attempt at reading the guest's boot id while waiting for it: connecting, the SSH
 * handshake and `cat`. A booted guest answers in 1-5 s even on a loaded TCG machine; an attempt
 * that started while the guest was going down for a reboot can hang until this runs out, so it
 * is short: with 90 s such an attempt could add up to 90 s to a Reboot (one measured 102 s on the
 * vmware family where direct reboots of the same guest took 48-62 s).
 */
export const BOOT_PROBE_TIMEOUT_MS = 20_000;

export class GuestNeverBootedError extends UserError {
  constructor(message: string, readonly consoleLine: string | null, readonly consoleTail: string) {
    super(message);
    this.name = "GuestNeverBootedError";
  }
}

export function consoleTail(text: string, lines = 15): string {
  // Strip ANSI escapes and carriage returns the kernel and systemd write to serial.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
  return clean.split("\n").filter((l) => l.trim()).slice(-lines).join("\n");
}

export interface GuestAccess {
  user: string;
  identityFile: string;
  port?: number;
  /** Fixed address; otherwise asked from the hypervisor (DHCP lease, guest agent). */
  host?: string;
}

export interface WaitResult {
  transport: GuestTransport;
  address: string;
  bootId: string;
  seconds: number;
  /**
   * Set when KVM stalled this guest and it was restarted under TCG: what was seen, for the
   * step's evidence.
   */
  accelFallback?: string;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((res, rej) => {
  const t = setTimeout(res, ms);
  signal?.addEventListener("abort", () => { clearTimeout(t); rej(signal.reason ?? new Error("aborted")); }, { once: true });
});

/** Restarts a stalled kvm VM under TCG (libvirt: redefines the domain as type qemu); the driver then uses TCG for the rest of the run. */
function restartUnderTcg(driver: HypervisorDriver, vm: string, signal?: AbortSignal): (reason: string) => Promise<void> {
  return async (reason) => {
    await driver.lifecycle(vm, "destroy", signal);
    await driver.redefineAsTcg(vm, signal, reason);
    await driver.lifecycle(vm, "start", signal);
  };
}

/**
 * Waits until the guest answers over SSH, bounded by `timeoutMs`. Ends early, with the
 * console line as the reason, when the serial console shows the guest cannot boot. A kvm guest
 * that KVM cannot run (the domain pauses with an internal error, or the guest stops making
 * progress: see StallWatch) is restarted under TCG once, the budget starting again, and the
 * result says so.
 */
export interface WaitForGuestOptions {
  driver: HypervisorDriver; vm: string; access: GuestAccess; timeoutMs: number; signal?: AbortSignal;
  notBootId?: string;
  /**
   * What (re)started the guest, when it did ("Launch", "Reboot", ...): the wait is then a boot
   * in the step's time breakdown; without it, a wait for a guest that already runs.
   */
  boot?: string;
  /** What to do when KVM stalls the guest; default: redefine under TCG where the driver can (only kvm guests). */
  onKvmStall?: (reason: string) => Promise<void>;
  /** Default AGENT_WITHOUT_SSH_MS. */
  agentWithoutSshMs?: number;
  /** Default STILL_BOOTING_RECHECK_MS. */
  stillBootingRecheckMs?: number;
  /** Default KVM_STALL_MS. */
  stallMs?: number;
  /** Time between polls; default 2 s. */
  pollMs?: number;
  /** How the guest is reached once it has an address; default OpenSSH. */
  openTransport?: (host: string) => GuestTransport;
}

export async function waitForGuest(o: WaitForGuestOptions): Promise<WaitResult> {
  const t0 = Date.now();
  try {
    return await waitForAnswer(o);
  } finally {
    recordTime(o.boot ? "boot" : "guest", o.boot ? `${o.boot} ${o.vm}` : `waiting for ${o.vm}`, t0);
  }
}

async function waitForAnswer(o: WaitForGuestOptions): Promise<WaitResult> {
  let start = Date.now();
  let lastError = "no address yet";
  let agentSince: number | null = null;
  let bootState: GuestBootState | null = null;
  /** When to ask whether a guest with an agent and no SSH has booted (set when the agent first answers). */
  let decideAt: number | null = null;
  let accelFallback: string | undefined;
  // Only a kvm guest can be stalled by KVM, and only a driver that says how a VM runs can move it.
  const kvmGuest = !o.onKvmStall && kvmFallbackAllowed() && o.driver.accelOf !== undefined
    && (await o.driver.accelOf(o.vm, o.signal).catch(() => null)) === "kvm";
  let onStall = o.onKvmStall ?? (kvmGuest ? restartUnderTcg(o.driver, o.vm, o.signal) : undefined);
  let watch = onStall ? new StallWatch(o.stallMs ?? KVM_STALL_MS) : null;
  // A driver that reaches its guests itself (guestShell) is asked; else tiosa's SSH.
  const shell = o.driver.capabilities.guestShell;
  const open = o.openTransport ?? (shell ? (host: string) => timedTransport(shell.open(o.vm, host)) : undefined) ?? ((host: string) => new OpenSshTransport({ user: o.access.user, host, port: o.access.port ?? 22, identityFile: o.access.identityFile }));
  while (Date.now() - start < o.timeoutMs) {
    const reason = await o.driver.stateReason(o.vm, o.signal);
    const consoleRead = await o.driver.readSerialConsole(o.vm).then((t) => t, () => null);
    const consoleText = consoleRead ?? "";
    let stall: string | null = null;
    // The agent's answer this poll, when the stall watch asked for it (asked once per poll).
    let agent: boolean | undefined;
    if (onStall && /^paused \((unknown|internal error|crashed)/.test(reason)) stall = `the domain is ${reason}`;
    else if (watch && /^running/.test(reason)) {
      agent = await o.driver.agentPing(o.vm, o.signal).catch(() => false);
      const activity = o.driver.activity ? await o.driver.activity(o.vm, o.signal).catch(() => null) : null;
      const v = watch.observe({ atMs: Date.now(), consoleBytes: consoleRead === null ? null : Buffer.byteLength(consoleRead, "utf8"), agentAnswered: agent, activity });
      if (v.stalled) stall = v.reason;
    }
    if (stall && onStall) {
      const last = consoleTail(consoleText, 2).split("\n").join(" | ");
      accelFallback = `KVM stalled the guest (${stall}${last ? `; last console output: ${last}` : ""}); restarted under TCG after ${Math.round((Date.now() - start) / 1000)} s`;
      await onStall(stall);
      onStall = undefined;
      watch = null;
      start = Date.now();
      continue;
    }
    if (/^(shut off|crashed)/.test(reason)) {
      throw new GuestNeverBootedError(`VM '${o.vm}' stopped while booting (${reason})`, consoleBootFailure(consoleText), consoleTail(consoleText));
    }
    if (consoleBootFailure(consoleText)) {
      // The console can be read mid-message: initramfs-tools prints "Gave up waiting for root
      // device" and, a few lines later, the ALERT naming the missing device. One more poll's
      // worth of output gives the more telling line (the first listed in boot-failure.ts).
      await sleep(o.pollMs ?? 2000, o.signal);
      const settled = await o.driver.readSerialConsole(o.vm).then((t) => t, () => consoleText);
      const text = settled.length >= consoleText.length ? settled : consoleText;
      const fatal = consoleBootFailure(text)!;
      throw new GuestNeverBootedError(`VM '${o.vm}' did not boot: its serial console says "${fatal}"`, fatal, consoleTail(text));
    }
    const host = o.access.host ?? await o.driver.guestAddress(o.vm, o.signal).catch(() => null);
    if (host) {
      const t = open(host);
      try {
        const r = await t.exec("cat /proc/sys/kernel/random/boot_id", { timeoutMs: BOOT_PROBE_TIMEOUT_MS, signal: o.signal });
        const bootId = r.stdout.trim();
        if (r.code === 0 && bootId && bootId !== o.notBootId) {
          return { transport: t, address: host, bootId, seconds: (Date.now() - start) / 1000, ...(accelFallback ? { accelFallback } : {}) };
        }
        lastError = r.code === 0 ? `guest still has boot id ${bootId}` : `ssh: ${r.stderr.trim().split("\n").pop() ?? "no answer"}`;
      } catch (e) {
        lastError = errorMessage(e);
      }
    }
    if (agentSince === null) {
      if (agent ?? await o.driver.agentPing(o.vm, o.signal).catch(() => false)) {
        agentSince = Date.now();
        decideAt = agentSince + (o.agentWithoutSshMs ?? AGENT_WITHOUT_SSH_MS);
      }
    } else if (Date.now() > decideAt!) {
      bootState = await agentBootState(o.driver, o.vm, o.signal);
      if (bootState && /^(initializing|starting)$/.test(bootState.state)) {
        // Still booting: asked again later; the boot timeout still bounds the wait.
        decideAt = Date.now() + (o.stillBootingRecheckMs ?? STILL_BOOTING_RECHECK_MS);
        await sleep(o.pollMs ?? 2000, o.signal);
        continue;
      }
      const tail = consoleTail(await o.driver.readSerialConsole(o.vm).catch(() => ""));
      throw new GuestNeverBootedError(
        `VM '${o.vm}' runs (its guest agent has answered for ${Math.round((Date.now() - agentSince) / 1000)} s) but does not answer over SSH (${lastError}): booted without a reachable network${bootState ? ` (${describeBootState(bootState)})` : ""}`,
        null, tail,
      );
    }
    await sleep(o.pollMs ?? 2000, o.signal);
  }
  const text = await o.driver.readSerialConsole(o.vm).catch(() => "");
  const tail = consoleTail(text);
  const last = tail.split("\n").slice(-2).join(" | ");
  throw new GuestNeverBootedError(
    `VM '${o.vm}' did not answer over SSH within ${Math.round(o.timeoutMs / 1000)} s (${lastError}${bootState ? `; ${describeBootState(bootState)}` : ""})${last ? `; last console output: ${last}` : ""}${accelFallback ? ` (${accelFallback})` : ""}`,
    consoleBootFailure(text), tail,
  );
}

/**
 * Defines and starts a marked VM and waits for its guest. If KVM was chosen but stalls the
 * guest, the VM is redefined for TCG and booted again; the handle's accel says which ran.
 */
export async function launchVm(o: {
  driver: HypervisorDriver; spec: DefineVmSpec; access: Omit<GuestAccess, "host">; timeoutMs?: number; signal?: AbortSignal;
}): Promise<{ handle: VmHandle; wait: WaitResult }> {
  const handle = await o.driver.defineVm(o.spec, o.signal);
  await o.driver.lifecycle(handle.name, "start", o.signal);
  const wait = await waitForGuest({ driver: o.driver, vm: handle.name, access: o.access, timeoutMs: o.timeoutMs ?? 180_000, signal: o.signal, boot: "Launch" });
  if (wait.accelFallback) handle.accel = "tcg";
  return { handle, wait };
}
