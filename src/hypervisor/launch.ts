import { UserError, errorMessage } from "../errors.js";
import type { GuestTransport } from "../guest/transport.js";
import type { DefineVmSpec, HypervisorDriver, VmHandle } from "./driver.js";
import { OpenSshTransport } from "./guest-ssh.js";

/** Lines on a serial console that mean the guest will not come up by itself. */
export const FATAL_CONSOLE = [
  /ALERT!.*does not exist[^\r\n]*/,
  /Kernel panic - not syncing.*/,
  /Gave up waiting for root (file system )?device.*/,
  /No bootable device.*/,
  /Boot failed: .*/,
];

/** A kvm guest whose serial console stays empty this long is taken as KVM unable to run it. */
export const KVM_SILENCE_MS = 30_000;

/**
 * A guest whose agent answers (its OS runs) but whose SSH stays silent this long after that
 * is taken as booted without a network (a static configuration on a renamed NIC), instead of
 * waiting out the boot timeout. The agent starts when its virtio-serial port appears and sshd
 * a little later in the same boot; 3 minutes leaves room for a slow TCG machine.
 */
export const AGENT_WITHOUT_SSH_MS = 180_000;

export class GuestNeverBootedError extends UserError {
  constructor(message: string, readonly consoleLine: string | null, readonly consoleTail: string) {
    super(message);
    this.name = "GuestNeverBootedError";
  }
}

export function fatalConsoleLine(consoleText: string): string | null {
  for (const re of FATAL_CONSOLE) {
    const m = re.exec(consoleText);
    if (m) return m[0].trim();
  }
  return null;
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
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((res, rej) => {
  const t = setTimeout(res, ms);
  signal?.addEventListener("abort", () => { clearTimeout(t); rej(signal.reason ?? new Error("aborted")); }, { once: true });
});

/**
 * Waits until the guest answers over SSH, bounded by `timeoutMs`. Ends early, with the
 * console line as the reason, when the serial console shows the guest cannot boot, and
 * reports a KVM stall ("paused (unknown)": KVM present but unable to run the guest).
 */
export async function waitForGuest(o: {
  driver: HypervisorDriver; vm: string; access: GuestAccess; timeoutMs: number; signal?: AbortSignal;
  notBootId?: string; onKvmStall?: () => Promise<void>;
  /** Default AGENT_WITHOUT_SSH_MS. */
  agentWithoutSshMs?: number;
}): Promise<WaitResult> {
  let start = Date.now();
  let lastError = "no address yet";
  let stallChecked = false;
  let agentSince: number | null = null;
  while (Date.now() - start < o.timeoutMs) {
    const reason = await o.driver.stateReason(o.vm, o.signal);
    // KVM that cannot run the guest shows either as "paused (unknown)" or as a guest that
    // never writes a byte to its serial console (measured: GRUB prints nothing under the shim).
    const silent = !stallChecked && o.onKvmStall && Date.now() - start > KVM_SILENCE_MS
      && (await o.driver.readSerialConsole(o.vm).catch(() => "x")).length === 0;
    if (silent) stallChecked = true;
    if ((/^paused \((unknown|internal error|crashed)/.test(reason) || silent) && o.onKvmStall) {
      await o.onKvmStall();
      o = { ...o, onKvmStall: undefined };
      start = Date.now();
      continue;
    }
    if (/^(shut off|crashed)/.test(reason)) {
      const tail = await o.driver.readSerialConsole(o.vm).catch(() => "");
      throw new GuestNeverBootedError(`VM '${o.vm}' stopped while booting (${reason})`, fatalConsoleLine(tail), consoleTail(tail));
    }
    const consoleText = await o.driver.readSerialConsole(o.vm).catch(() => "");
    const fatal = fatalConsoleLine(consoleText);
    if (fatal) throw new GuestNeverBootedError(`VM '${o.vm}' did not boot: its serial console says "${fatal}"`, fatal, consoleTail(consoleText));
    const host = o.access.host ?? await o.driver.guestAddress(o.vm, o.signal).catch(() => null);
    if (host) {
      const t = new OpenSshTransport({ user: o.access.user, host, port: o.access.port ?? 22, identityFile: o.access.identityFile });
      try {
        const r = await t.exec("cat /proc/sys/kernel/random/boot_id", { timeoutMs: 90_000, signal: o.signal });
        const bootId = r.stdout.trim();
        if (r.code === 0 && bootId && bootId !== o.notBootId) return { transport: t, address: host, bootId, seconds: (Date.now() - start) / 1000 };
        lastError = r.code === 0 ? `guest still has boot id ${bootId}` : `ssh: ${r.stderr.trim().split("\n").pop() ?? "no answer"}`;
      } catch (e) {
        lastError = errorMessage(e);
      }
    }
    if (agentSince === null) {
      if (await o.driver.agentPing(o.vm, o.signal).catch(() => false)) agentSince = Date.now();
    } else if (Date.now() - agentSince > (o.agentWithoutSshMs ?? AGENT_WITHOUT_SSH_MS)) {
      const tail = consoleTail(await o.driver.readSerialConsole(o.vm).catch(() => ""));
      throw new GuestNeverBootedError(
        `VM '${o.vm}' runs (its guest agent has answered for ${Math.round((Date.now() - agentSince) / 1000)} s) but does not answer over SSH (${lastError}): booted without a reachable network`,
        null, tail,
      );
    }
    await sleep(2000, o.signal);
  }
  const text = await o.driver.readSerialConsole(o.vm).catch(() => "");
  const tail = consoleTail(text);
  const last = tail.split("\n").slice(-2).join(" | ");
  throw new GuestNeverBootedError(
    `VM '${o.vm}' did not answer over SSH within ${Math.round(o.timeoutMs / 1000)} s (${lastError})${last ? `; last console output: ${last}` : ""}`,
    fatalConsoleLine(text), tail,
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
  const wait = await waitForGuest({
    driver: o.driver, vm: handle.name, access: o.access, timeoutMs: o.timeoutMs ?? 180_000, signal: o.signal,
    onKvmStall: handle.accel === "kvm" ? async () => {
      await o.driver.lifecycle(handle.name, "destroy", o.signal);
      await o.driver.redefineAsTcg(handle.name, o.signal);
      handle.accel = "tcg";
      await o.driver.lifecycle(handle.name, "start", o.signal);
    } : undefined,
  });
  return { handle, wait };
}
