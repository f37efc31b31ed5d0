import { timedAs } from "../../util/time-ledger.js";
import type { GuestTransport } from "../../guest/transport.js";
import type { HypervisorTestResult } from "../../snapshot/schema.js";
import type { HypervisorDriver } from "../driver.js";
import type { GuestAccess } from "../launch.js";

/** What a Table II test needs: the hypervisor, the running VM, and a way into its guest. */
export interface HypervisorTestContext {
  driver: HypervisorDriver;
  vm: string;
  /** The guest, for observations from inside. Replaced after a reboot if its address changes. */
  guest: GuestTransport;
  /** How to reach the guest again after a reboot or restore. */
  access: GuestAccess;
  /** Screenshots and console captures are kept here. */
  evidenceDir: string;
  /** Terminate destroys the VM: only with the user's consent or on tiosa's own VMs. */
  allowTerminate: boolean;
  /** Upper bound for the guest to come back after reboot/restore. */
  bootTimeoutMs: number;
  log: (msg: string) => void;
  signal?: AbortSignal;
}

export type Results = Record<string, HypervisorTestResult>;

/** Runs a guest script; a transport failure or non-zero exit becomes an error with stderr. */
export async function guestRun(ctx: HypervisorTestContext, script: string, timeoutMs = 30_000): Promise<string> {
  const r = await ctx.guest.exec(script, { timeoutMs, signal: ctx.signal });
  if (r.code !== 0) throw new Error(`guest command failed (${r.code === null ? "no answer" : `exit ${r.code}`}): ${r.stderr.trim().split("\n").slice(-2).join(" ") || script.slice(0, 60)}`);
  return r.stdout;
}

export const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";
export const UPTIME = "cut -d' ' -f1 /proc/uptime";

/** A test's deliberate wait (Pause keeps the guest frozen a while): "wait" in a step's time breakdown. */
export const sleep = (ms: number, signal?: AbortSignal) => timedAs("wait", "test wait", () => new Promise<void>((res, rej) => {
  const t = setTimeout(res, ms);
  signal?.addEventListener("abort", () => { clearTimeout(t); rej(signal.reason ?? new Error("aborted")); }, { once: true });
}));

export function ok(detail: string, started: number, evidence?: string[]): HypervisorTestResult {
  return { result: "ok", detail, durationMs: Date.now() - started, ...(evidence ? { evidence } : {}) };
}
export function failed(detail: string, started: number, evidence?: string[]): HypervisorTestResult {
  return { result: "failed", detail, durationMs: Date.now() - started, ...(evidence ? { evidence } : {}) };
}
export function unsupported(detail: string): HypervisorTestResult {
  return { result: "unsupported", detail };
}
