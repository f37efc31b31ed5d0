import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../errors.js";
import type { HypervisorDriver } from "../hypervisor/driver.js";
import { openDriver } from "../hypervisor/open.js";
import type { CaptureJob, CaseJob, Plan, PlannedJob, ReadinessJob } from "./plan.js";
import type { RunStore } from "./store.js";
import { guestOf, jobMarker, type RunContext } from "./steps/common.js";
import { RunAborted, runStep } from "./steps/step.js";
import { checkReadiness } from "./steps/readiness.js";
import { runCapture, vmShortName } from "./steps/capture.js";
import { runCase } from "./steps/case.js";
import { fixedNetworkOf } from "./steps/guest-access.js";
import { GUEST_MEMORY_BYTES } from "./steps/readiness.js";

/**
 * The campaign runner: Sequence 1 for every hypervisor, then every capture and case of the
 * plan, at most `concurrency` jobs at a time, each when the jobs it depends on are done.
 * Every VM, volume and work directory a job creates is recorded in the store before it is
 * created and removed when the job ends (its capture's VM once the last case of that capture
 * ended), also on failure and on abort; a resumed run first removes what a dead run left.
 */

export const WORK_DIR = "work";
export const LIBVIRT_RUN = "libvirt-run";
export const WORK = "dir";
/** Where the shared network of a guest with a static address is recorded (not a job of the plan). */
export const networkHolder = (guest: string) => `network/${guest}`;

export interface RunnerOptions extends RunContext {
  concurrency: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");

/** Removes one recorded resource; true when it is gone. */
async function removeResource(kind: string, name: string, uri: string | null, drivers: Map<string, HypervisorDriver>, log: (m: string) => void): Promise<boolean> {
  if (kind === WORK) {
    await rm(name, { recursive: true, force: true });
    return true;
  }
  if (kind === LIBVIRT_RUN && uri) {
    const driver = drivers.get(`${uri}|${name}`) ?? openDriver(uri, { runId: name });
    drivers.delete(`${uri}|${name}`);
    const r = await driver.cleanup();
    for (const f of r.failed) log(`cleanup: could not remove ${f.object}: ${f.error}`);
    return r.failed.length === 0;
  }
  log(`cleanup: unknown resource kind '${kind}' (${name}); left as is`);
  return false;
}

/**
 * Before a resumed run continues: removes what the dead process left on the hypervisors and
 * in the work directory, and makes its interrupted jobs pending again (their finished steps
 * depended on VMs that are gone now, so they are run again from their first step).
 */
export async function recoverRun(store: RunStore, log: (m: string) => void): Promise<{ removed: number; reset: string[] }> {
  const point = store.resumePoint();
  const drivers = new Map<string, HypervisorDriver>();
  let removed = 0;
  for (const r of point.leftovers) {
    log(`resume: removing ${r.kind} ${r.name}${r.uri ? ` on ${r.uri}` : ""} left by job ${r.jobId}`);
    if (await removeResource(r.kind, r.name, r.uri, drivers, log)) { store.resourceRemoved(r.id); removed++; }
  }
  for (const id of point.interruptedJobs) {
    log(`resume: job ${id} was interrupted at step ${store.job(id)?.currentStep ?? "?"}; it runs again`);
    store.resetJob(id, 0);
  }
  return { removed, reset: point.interruptedJobs };
}

/**
 * Runs single jobs of a plan against `o.store`: what a job creates is recorded before it is
 * created and removed when it ends. The in-process runner and a queue worker (issue 22) both
 * run jobs through it; only the in-process runner releases a capture's VM after its last
 * case (`releaseCaptures`), where a queue's coordinator sends a release job instead.
 */
export function jobExecutor(o: RunContext, opts: { releaseCaptures: boolean }) {
  const { store, plan } = o;
  const drivers = new Map<string, HypervisorDriver>();
  /** Networks of static-address guests, recorded once per (guest, hypervisor URI). */
  const fixedNetworks = new Set<string>();
  const driverOf = (uri: string, jobId: string, guest: string) => {
    const marker = jobMarker(store.id, jobId);
    const key = `${uri}|${marker}`;
    let d = drivers.get(key);
    if (!d) drivers.set(key, (d = openDriver(uri, { runId: marker })));
    const fixed = fixedNetworkOf(o.campaign, guest);
    if (fixed) {
      // One network per subnet and host (libvirt refuses a second): every job of this guest
      // on this URI shares it; the run removes it at its end (or a resume, as a leftover).
      const holder = networkHolder(guest);
      const netMarker = jobMarker(store.id, `${holder}@${uri}`);
      if (!fixedNetworks.has(`${holder}@${uri}`)) {
        fixedNetworks.add(`${holder}@${uri}`);
        if (!store.leftoverResources().some((r) => r.jobId === holder && r.name === netMarker && r.uri === uri)) store.recordResource(holder, LIBVIRT_RUN, netMarker, uri);
      }
      const choice = d.capabilities.fixedGuestNetwork;
      if (!choice) throw new Error(`guest '${guest}' has a static address, and the driver of ${uri} cannot give its VMs a network of a chosen subnet`);
      choice.use(`tiosa-${netMarker}`, fixed);
    }
    return d;
  };
  const hvUri = (name: string) => plan.hypervisors.find((h) => h.name === name)!.uri;
  const sourceUri = (job: CaptureJob | CaseJob) => job.source?.uri ?? hvUri(job.hs);
  const targetUri = (job: CaseJob) => job.target?.uri ?? hvUri(job.hut);
  const workDirOf = (jobId: string) => join(store.dir, WORK_DIR, safe(jobId));

  const record = (jobId: string, uri: string) => {
    store.recordResource(jobId, LIBVIRT_RUN, jobMarker(store.id, jobId), uri);
    store.recordResource(jobId, WORK, workDirOf(jobId));
  };
  const release = async (jobId: string) => {
    for (const r of store.leftoverResources().filter((x) => x.jobId === jobId)) {
      try {
        if (await removeResource(r.kind, r.name, r.uri, drivers, o.log)) store.resourceRemoved(r.id);
      } catch (e) {
        o.log(`cleanup of ${r.kind} ${r.name}: ${errorMessage(e)}`);
      }
    }
  };
  const stateOf = (id: string) => store.job(id)?.state ?? "pending";
  const finished = (id: string) => stateOf(id) === "done" || stateOf(id) === "failed";
  /** A capture's VM goes once every case that exports it has ended. */
  const releaseCaptureIfDone = async (captureId: string) => {
    if (!opts.releaseCaptures) return;
    const cases = plan.jobs.filter((j): j is CaseJob => j.kind === "case" && j.captureId === captureId);
    if (cases.every((c) => finished(c.id))) await release(captureId);
  };

  const runReadiness = async (job: ReadinessJob) => {
    store.startJob(job.id);
    const driver = openDriver(job.uri, { runId: jobMarker(store.id, job.id) });
    const ok = await runStep(o, job, 1, async (signal) => ({ detail: await checkReadiness(driver, job, signal) }));
    store.finishJob(job.id, ok ? "done" : "failed", ok ? undefined : "Sequence 1 failed");
  };

  const runCaptureJob = async (job: CaptureJob) => {
    record(job.id, sourceUri(job));
    store.startJob(job.id);
    const vm = await runCapture(o, job, driverOf(sourceUri(job), job.id, job.guest), workDirOf(job.id));
    store.finishJob(job.id, vm ? "done" : "failed", vm ? undefined : "source capture failed");
    if (!vm) await release(job.id);
    else await rm(join(workDirOf(job.id), "evidence"), { recursive: true, force: true });
  };

  const runCaseJob = async (job: CaseJob) => {
    record(job.id, targetUri(job));
    store.startJob(job.id);
    try {
      const g = guestOf(o, job.guest);
      const source = driverOf(sourceUri(job), job.captureId, job.guest);
      const sourceVm = g.kind === "vm" ? g.vm : source.vmName(vmShortName("src", job.guest));
      await runCase(o, job, { source, sourceVm, target: driverOf(targetUri(job), job.id, job.guest), workDir: workDirOf(job.id) });
      const failed = store.steps(job.id).some((s) => s.state === "failed");
      store.finishJob(job.id, failed ? "failed" : "done");
    } finally {
      if (!o.signal.aborted) {
        await release(job.id);
        await releaseCaptureIfDone(job.captureId);
      }
    }
  };

  const runJob = async (job: PlannedJob) => {
    try {
      if (job.kind === "readiness") await runReadiness(job);
      else if (job.kind === "capture") await runCaptureJob(job);
      else await runCaseJob(job);
    } catch (e) {
      if (e instanceof RunAborted || o.signal.aborted) {
        // Undone, not failed: a resume runs it again.
        await release(job.id);
        store.resetJob(job.id, 0);
        return;
      }
      o.log(`${job.id}: ${errorMessage(e)}`);
      store.finishJob(job.id, "failed", errorMessage(e));
      await release(job.id);
      if (job.kind === "case") await releaseCaptureIfDone(job.captureId);
    } finally {
      o.changed();
    }
  };

  /** Removes what is left of everything recorded in the store, and each driver's own objects. */
  const releaseAll = async () => {
    for (const r of store.leftoverResources()) {
      if (await removeResource(r.kind, r.name, r.uri, drivers, o.log).catch(() => false)) store.resourceRemoved(r.id);
    }
    for (const d of drivers.values()) await d.cleanup().catch(() => undefined);
  };

  return { runJob, release, releaseCaptureIfDone, releaseAll, sourceUri, targetUri, stateOf, workDirOf };
}

/** Where a job defines and runs its VM: a capture on its HS, a case on its HUT (the source only gives its disks); null for Sequence 1. */
export function hostOfJob(plan: Plan, job: PlannedJob): string | null {
  const hvUri = (name: string) => plan.hypervisors.find((h) => h.name === name)!.uri;
  return job.kind === "capture" ? job.source?.uri ?? hvUri(job.hs) : job.kind === "case" ? job.target?.uri ?? hvUri(job.hut) : null;
}

/** The host a job works on, Sequence 1 included (its hypervisor's URI). */
export function jobHostUri(plan: Plan, job: PlannedJob): string {
  return job.kind === "readiness" ? job.uri : hostOfJob(plan, job)!;
}

/** A static-address guest runs one VM at a time (its address is the same in every VM): the key jobs that exclude each other share. */
export function exclusiveKey(campaign: RunContext["campaign"], job: PlannedJob): string | null {
  return job.kind === "readiness" ? null : fixedNetworkOf(campaign, job.guest) ? job.guest : null;
}

export async function executeRun(o: RunnerOptions): Promise<"finished" | "aborted"> {
  const { store, plan } = o;
  const x = jobExecutor(o, { releaseCaptures: true });
  const { runJob, releaseCaptureIfDone } = x;
  const exclusive = (job: PlannedJob) => exclusiveKey(o.campaign, job);
  // Hypervisors with the same URI are one host.
  const hostOf = (job: PlannedJob) => hostOfJob(plan, job);
  const slotsOf = (uri: string) => Math.min(...plan.hypervisors.filter((h) => h.uri === uri).map((h) => h.slots ?? Infinity));
  /**
   * A host takes one more job when it has a free slot and, if jobs already run there, the
   * memory for another guest with as much again spare (a capture's VM outlives its job until
   * its cases stop it). Memory is asked of the hypervisor (nodememstats) at most every 10 s,
   * minus what jobs started since then will take.
   */
  const memory = new Map<string, { at: number; available: number | null; reserved: number }>();
  const hostTakesJob = async (uri: string, busy: number): Promise<boolean> => {
    if (busy >= slotsOf(uri)) return false;
    if (busy === 0) return true;
    let m = memory.get(uri);
    if (!m || Date.now() - m.at > 10_000) {
      const host = openDriver(uri, { runId: jobMarker(store.id, "scheduler") }).capabilities.hostResources;
      const available = host ? (await host.memory().catch(() => null))?.availableBytes ?? null : null;
      memory.set(uri, (m = { at: Date.now(), available, reserved: 0 }));
    }
    if (m.available !== null && m.available - m.reserved < 2 * GUEST_MEMORY_BYTES) return false;
    m.reserved += GUEST_MEMORY_BYTES;
    return true;
  };

  await scheduleJobs({
    store, plan, signal: o.signal, concurrency: o.concurrency, changed: o.changed,
    exclusive, hostOf, hostTakesJob, dispatch: runJob,
    dependencyFailed: async (job) => { if (job.kind === "case") await releaseCaptureIfDone(job.captureId); },
  });
  // Nothing a job made outlives the run (a capture whose cases never ran; everything on
  // Ctrl-C, where a resume defines the captures' VMs again).
  await x.releaseAll();
  await rmdir(join(store.dir, WORK_DIR)).catch(() => undefined);
  return o.signal.aborted ? "aborted" : "finished";
}

export interface ScheduleOptions {
  store: RunStore;
  plan: Plan;
  signal: AbortSignal;
  concurrency: number;
  changed: () => void;
  exclusive: (job: PlannedJob) => string | null;
  hostOf: (job: PlannedJob) => string | null;
  hostTakesJob: (uri: string, busy: number) => Promise<boolean>;
  /** Runs the job (here, or on a queue's worker); resolves once the store holds its end. */
  dispatch: (job: PlannedJob) => Promise<void>;
  /** A job not run because a job it depends on failed (already marked failed). */
  dependencyFailed: (job: PlannedJob) => Promise<void>;
}

/**
 * The scheduler: plan order, bounded concurrency (and slots per host), dependencies first. A
 * job whose dependency failed is failed without running; jobs of one exclusive key run one
 * at a time. Returns when every job has ended (or the run is aborted and running ones end).
 */
export async function scheduleJobs(s: ScheduleOptions): Promise<void> {
  const { store, plan } = s;
  const stateOf = (id: string) => store.job(id)?.state ?? "pending";
  const running = new Map<string, Promise<void>>();
  const runningJobs = new Map<string, PlannedJob>();
  const queue = plan.jobs.filter((j) => stateOf(j.id) === "pending");
  while (queue.length || running.size) {
    if (s.signal.aborted) break;
    let started = false;
    for (let i = 0; i < queue.length && running.size < s.concurrency; i++) {
      const job = queue[i]!;
      const deps = job.dependsOn.map((d) => stateOf(d));
      if (deps.some((x) => x === "failed")) {
        const bad = job.dependsOn.filter((d) => stateOf(d) === "failed");
        store.finishJob(job.id, "failed", `not run: ${bad.join(", ")} failed`);
        queue.splice(i--, 1);
        await s.dependencyFailed(job);
        s.changed();
        continue;
      }
      if (!deps.every((x) => x === "done")) continue;
      const key = s.exclusive(job);
      if (key && [...runningJobs.values()].some((r) => s.exclusive(r) === key)) continue;
      const host = s.hostOf(job);
      if (host && !(await s.hostTakesJob(host, [...runningJobs.values()].filter((r) => s.hostOf(r) === host).length))) continue;
      queue.splice(i--, 1);
      runningJobs.set(job.id, job);
      running.set(job.id, s.dispatch(job).finally(() => { running.delete(job.id); runningJobs.delete(job.id); }));
      started = true;
    }
    if (running.size === 0 && !started) {
      if (queue.length) {
        // Dependencies that can never finish (not in the plan): fail the rest rather than spin.
        for (const j of queue.splice(0)) store.finishJob(j.id, "failed", "not run: its dependencies never ran");
      }
      break;
    }
    if (running.size) await Promise.race(running.values());
  }
  await Promise.allSettled(running.values());
}
