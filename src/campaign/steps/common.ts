import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import type { HypervisorDriver } from "../../hypervisor/driver.js";
import { consoleTail } from "../../hypervisor/launch.js";
import type { Campaign, CampaignGuest } from "../spec.js";
import type { CaptureJob, CaseJob, Plan, PlannedHypervisor } from "../plan.js";
import type { EvidenceInput, RunStore } from "../store.js";
import { consoleBootFailure } from "../../guest/boot-failure.js";
import type { BuiltImage } from "../../images/index.js";
import type { RulesProfile } from "../../evaluate/profile.js";

/** What every job of a run shares. */
export interface RunContext {
  campaign: Campaign;
  plan: Plan;
  store: RunStore;
  /** Built images by `imageKey(guest, family)`: each image guest as installed on each HS family. */
  images: Map<string, BuiltImage>;
  /** The campaign's rules (the paper's when it names none). */
  profile: RulesProfile;
  /** Ctrl-C / SIGTERM of the whole run. */
  signal: AbortSignal;
  log: (message: string) => void;
  /** Called after every step start and end, for the live view. */
  changed: () => void;
}

/** Key of `RunContext.images`: an image guest as installed on one hardware family. */
export const imageKey = (guest: string, family: string) => `${guest}@${family}`;

/** The image of guest `guest` installed on `family` (the source family of its jobs). */
export function imageOf(rc: Pick<RunContext, "images">, guest: string, family: string): BuiltImage {
  const img = rc.images.get(imageKey(guest, family));
  if (!img) throw new Error(`image of guest '${guest}' for family '${family}' was not built`);
  return img;
}

/** The campaign's definition of a job's guest. */
export function guestOf(rc: RunContext, name: string): CampaignGuest {
  const g = rc.campaign.guests.find((x) => x.name === name);
  if (!g) throw new Error(`guest '${name}' is not in campaign ${rc.campaign.name}`);
  return g;
}

/**
 * A job's HS (and HUT), as the planner resolved them; a plan stored by an earlier version
 * names them only, and they are found in its hypervisor list.
 */
export function hypervisorsOf(rc: RunContext, job: CaptureJob | CaseJob): { source: PlannedHypervisor; target: PlannedHypervisor | null } {
  const byName = (name: string) => {
    const h = rc.plan.hypervisors.find((x) => x.name === name);
    if (!h) throw new Error(`hypervisor '${name}' is not in the plan`);
    return h;
  };
  const source = job.source ?? byName(job.hs);
  const target = job.kind === "case" ? job.target ?? byName(job.hut) : null;
  return { source, target };
}

/**
 * The marker (8 hex digits) of everything one job creates on a hypervisor: derived from the
 * run and the job only, so a resumed run finds what a dead process left and removes it with
 * the driver's own `cleanup()`, and jobs never remove each other's VMs.
 */
export function jobMarker(runId: string, jobId: string): string {
  return createHash("sha256").update(`${runId}\n${jobId}`).digest("hex").slice(0, 8);
}

/**
 * The step's own signal: the run's, plus the step's timeout from the campaign. A plain timer
 * (not AbortSignal.timeout inside AbortSignal.any, whose timeout signal Node 20 may collect
 * before it fires); `dispose` clears it when the step ends.
 */
export function stepSignal(run: AbortSignal, seconds: number): AbortSignal & { dispose: () => void } {
  const c = new AbortController();
  // Every tool a step spawns listens to it (a Table II set spawns dozens): not a leak.
  setMaxListeners(0, c.signal);
  setMaxListeners(0, run);
  const timer = setTimeout(() => c.abort(new Error(`timed out after ${seconds} s`)), Math.round(seconds * 1000));
  const onRun = () => c.abort(run.reason);
  if (run.aborted) c.abort(run.reason);
  else run.addEventListener("abort", onRun, { once: true });
  return Object.assign(c.signal, {
    dispose: () => { clearTimeout(timer); run.removeEventListener("abort", onRun); },
  });
}

export class StepFailed extends Error {
  constructor(message: string, readonly evidence: EvidenceInput[] = []) {
    super(message);
    this.name = "StepFailed";
  }
}

/** A timeout's abort reads as "timed out after N s" rather than a DOMException. */
export function stepErrorMessage(e: unknown, signal: AbortSignal, runSignal: AbortSignal, seconds: number): string {
  if (signal.aborted && !runSignal.aborted) return `timed out after ${seconds} s (campaign timeout for this step)`;
  return errorMessage(e);
}

/**
 * What can be learnt about a guest that does not answer over SSH: its serial console (does it
 * show the boot stopping?), a screenshot, and the guest agent's view (it answers => the OS
 * runs; its addresses say whether the network came up). Every item is evidence for the causes.
 */
export async function observeGuest(driver: HypervisorDriver, vm: string): Promise<{ evidence: EvidenceInput[]; bootFailure: string | null; agent: boolean; summary: string }> {
  const evidence: EvidenceInput[] = [];
  let bootFailure: string | null = null;
  const console = await driver.readSerialConsole(vm).catch(() => "");
  if (console) {
    bootFailure = consoleBootFailure(console.replace(/\r/g, ""));
    evidence.push({ kind: "console", fileName: "serial.log", data: consoleTail(console, 60) + "\n" });
  }
  const dir = await mkdtemp(join(tmpdir(), "tiosa-shot-"));
  try {
    const file = join(dir, "screen.png");
    const mime = await driver.screenshot(vm, file, AbortSignal.timeout(20_000));
    if (mime === "image/png") evidence.push({ kind: "screenshot", fileName: "screen.png", data: await readFile(file) });
  } catch { /* no display or VM gone: nothing to show */ } finally {
    await rm(dir, { recursive: true, force: true });
  }
  let agent = false;
  let summary = bootFailure ? `console: ${bootFailure}` : "";
  const channel = driver.capabilities.guestAgent;
  if (!bootFailure) {
    agent = await driver.agentPing(vm, AbortSignal.timeout(20_000)).catch(() => false);
    if (agent && channel) {
      const facts: string[] = ["guest-ping: answered (the OS is running)"];
      try {
        const t = await channel.open(vm, 10_000);
        try {
          // A degraded system says which units failed (a network set-up that never ran, say).
          const r = await t.exec("systemctl is-system-running 2>/dev/null; systemctl --failed --plain --no-legend 2>/dev/null; ip -j addr 2>/dev/null || ip addr", { timeoutMs: 20_000 });
          facts.push(`guest-exec 'systemctl is-system-running; systemctl --failed; ip -j addr' (exit ${r.code}):`, r.stdout.trim());
          const nics = parseIpAddr(r.stdout);
          if (nics) facts.push(`network: ${nics}`);
          summary = `the guest agent answers but SSH does not; ${nics ?? "addresses unknown"}`;
        } finally {
          await t.close();
        }
      } catch (e) {
        facts.push(`guest-exec failed: ${errorMessage(e)}`);
        summary = "the guest agent answers but SSH does not";
      }
      evidence.push({ kind: "guest-agent", text: facts.join("\n") });
    } else if (agent) {
      summary = "the guest agent answers but SSH does not";
    } else {
      summary ||= "no boot failure on the console; the guest agent does not answer";
    }
  }
  return { evidence, bootFailure, agent, summary };
}

/** `ip -j addr` => "ens4 UP no IPv4 address; lo ..." (non-loopback NICs only). */
export function parseIpAddr(text: string): string | null {
  // `ip -j addr` prints one JSON line, after whatever the command printed first.
  const json = text.split("\n").reverse().find((l) => l.trimStart().startsWith("["));
  if (!json) return null;
  try {
    const list = JSON.parse(json) as { ifname: string; operstate?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
    const nics = list.filter((n) => n.ifname !== "lo");
    return nics.map((n) => {
      const v4 = (n.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
      return `${n.ifname} ${n.operstate ?? "?"} ${v4.length ? v4.join(",") : "no IPv4 address"}`;
    }).join("; ") || "no NIC";
  } catch {
    return null;
  }
}
