import { Queue, type Job } from "bullmq";
import { UserError, errorMessage } from "../../errors.js";
import type { CaseJob, PlannedJob } from "../plan.js";
import type { JobExport, StepsExport } from "../store.js";
import { exclusiveKey, scheduleJobs, type RunnerOptions } from "../runner.js";
import { fixedNetworkOf } from "../steps/guest-access.js";
import { TIOSA_VERSION } from "../../version.js";
import { connectionOptions, openRedis, type RedisTarget } from "./redis.js";
import { bullJobId, hostOfQueuedJob, hostQueues, putManifest, removeManifest, type HostQueue, type QueuedJobData, type RunManifest } from "./manifest.js";

/**
 * The coordinator of a queued run (issue 22): it plans and owns the store as the in-process
 * runner does, and puts each job on the BullMQ queue of the host it runs on when the jobs it
 * depends on have ended (BullMQ's flows are trees; a capture has many cases, so dependencies
 * stay with tiosa's scheduler). Workers (`tiosa worker`) run the jobs and hand back each
 * job's results; the coordinator writes them into the store.
 *
 * It follows its jobs by asking Redis for their state (every `pollMs`), not by listening to
 * events: an event sent while the coordinator or Redis was away would be lost, a job's state
 * is not. A job missing from Redis (a Redis restarted without its data) is added again; BullMQ
 * ignores an add whose id exists, so a job is never run twice at once.
 */

export interface QueuedRunOptions extends RunnerOptions {
  redis: RedisTarget;
  campaignFile: string | null;
  /** How often in-flight jobs are looked at (ms). */
  pollMs?: number;
  /** After this long with jobs waiting on a host and no worker for it, say so (ms), and again each time as long. */
  noWorkerNoticeMs?: number;
  /** Attempts per job before it counts as failed (BullMQ's `attempts`). */
  attempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker's refusal that is not the job's fault: shown with the attempt's number. */
function attemptsText(job: Job): string {
  const traces = (job.stacktrace ?? []).map((t) => t.split("\n")[0]!);
  const reasons = traces.length ? traces : [job.failedReason ?? "no reason recorded"];
  return reasons.map((r, i) => `attempt ${i + 1}: ${r}`).join("\n");
}

export async function executeQueuedRun(o: QueuedRunOptions): Promise<"finished" | "aborted"> {
  const { store, plan } = o;
  const fixed = o.campaign.guests.filter((g) => fixedNetworkOf(o.campaign, g.name)).map((g) => g.name);
  if (fixed.length) {
    throw new UserError(`campaign ${o.campaign.name}: guest(s) ${fixed.join(", ")} have a static address; their shared network is not yet handled over a queue`, "run this campaign without --queue");
  }
  const hosts = hostQueues(store.id, plan, o.concurrency);
  const manifest: RunManifest = {
    format: "tiosa-queue-run/1", runId: store.id, campaign: o.campaign.name, specText: store.run().specText, specHash: store.run().specHash,
    campaignFile: o.campaignFile, plan, profile: o.profile, tiosaVersion: TIOSA_VERSION, hosts,
  };
  const redis = openRedis(o.redis, o.log);
  const connection = connectionOptions(o.redis);
  const queues = new Map<string, Queue>(hosts.map((h) => [h.queue, new Queue(h.queue, { connection })]));
  for (const q of queues.values()) q.on("error", () => undefined);
  const pollMs = o.pollMs ?? 1000;
  const attempts = o.attempts ?? 3;
  let redisDown: number | null = null;
  /** Runs `f` against Redis until it succeeds (commands wait through an outage; this covers those that fail). */
  const patiently = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const r = await f();
        redisDown = null;
        return r;
      } catch (e) {
        if (redisDown === null) { redisDown = Date.now(); o.log(`queue: ${what}: ${errorMessage(e)}; trying again`); }
        if (o.signal.aborted) throw e;
        await sleep(pollMs);
      }
    }
  };

  const queueOf = (h: HostQueue) => queues.get(h.queue)!;
  /** Adds the job (again) unless Redis holds it; returns the job as Redis has it. */
  const enqueue = async (h: HostQueue, data: QueuedJobData): Promise<void> => {
    const id = bullJobId(store.id, data.jobId, data.kind);
    await patiently(`adding ${data.jobId}`, () => queueOf(h).add(data.kind, data, { jobId: id, attempts, backoff: { type: "fixed", delay: 2000 }, removeOnComplete: false, removeOnFail: false }));
  };

  /** Follows a queued job to its end; returns it completed or failed (then removes it from Redis). */
  const follow = async (h: HostQueue, data: QueuedJobData, onProgress?: (p: unknown) => void): Promise<{ ok: true; value: unknown } | { ok: false; attempts: string; reason: string }> => {
    const id = bullJobId(store.id, data.jobId, data.kind);
    let lastProgress = "";
    for (;;) {
      if (o.signal.aborted) return { ok: false, attempts: "", reason: "the run was aborted" };
      const job = await patiently(`looking at ${data.jobId}`, () => queueOf(h).getJob(id));
      if (!job) {
        o.log(`queue: ${data.jobId} is no longer in Redis (was Redis restarted without its data?); adding it again`);
        await enqueue(h, data);
      } else {
        const state = await patiently(`state of ${data.jobId}`, () => job.getState());
        const p = JSON.stringify(job.progress ?? null);
        if (onProgress && p !== lastProgress && typeof job.progress === "object" && job.progress) { lastProgress = p; onProgress(job.progress); }
        if (state === "completed" || state === "failed") {
          // The job was read before its state was asked: if it ended in between, that copy has
          // no return value or failure yet. Read it again now that it has ended.
          const ended = await patiently(`reading ${data.jobId}`, () => queueOf(h).getJob(id));
          if (ended && state === "completed" && ended.returnvalue != null) {
            const value = ended.returnvalue as unknown;
            await patiently(`removing ${data.jobId}`, () => ended.remove()).catch(() => undefined);
            return { ok: true, value };
          }
          if (ended && state === "failed") {
            const r = { ok: false as const, attempts: attemptsText(ended), reason: ended.failedReason ?? "unknown" };
            await patiently(`removing ${data.jobId}`, () => ended.remove()).catch(() => undefined);
            return r;
          }
        }
      }
      await sleep(pollMs);
    }
  };

  const finishedState = (id: string) => { const s = store.job(id)?.state; return s === "done" || s === "failed"; };
  const released = new Set<string>();
  const releaseCaptureIfDone = async (captureId: string) => {
    const cases = plan.jobs.filter((j): j is CaseJob => j.kind === "case" && j.captureId === captureId);
    if (released.has(captureId) || !cases.every((c) => finishedState(c.id))) return;
    released.add(captureId);
    const capture = plan.jobs.find((j) => j.id === captureId);
    if (!capture || store.job(captureId)?.state !== "done") return;
    const h = hostOfQueuedJob(hosts, plan, capture);
    const data: QueuedJobData = { kind: "release", runId: store.id, jobId: captureId };
    await enqueue(h, data);
    const r = await follow(h, data);
    if (!r.ok && !o.signal.aborted) o.log(`queue: releasing the VM of ${captureId} failed: ${r.reason}`);
  };

  const dispatch = async (job: PlannedJob): Promise<void> => {
    const h = hostOfQueuedJob(hosts, plan, job);
    const seed = job.kind === "case" ? store.exportJob(job.captureId, { only: "snapshots" }) : undefined;
    const data: QueuedJobData = { kind: "job", runId: store.id, jobId: job.id, ...(seed ? { seed } : {}) };
    await enqueue(h, data);
    const r = await follow(h, data, (p) => {
      try { store.importSteps(p as StepsExport); o.changed(); } catch (e) { o.log(`queue: progress of ${job.id}: ${errorMessage(e)}`); }
    });
    if (o.signal.aborted) return;
    if (r.ok) {
      store.importJob(r.value as JobExport);
    } else {
      // Not a step's failure (a worker records those in its results) but the worker's own:
      // every attempt ended in an error. The attempts go into the evidence.
      store.finishJob(job.id, "failed", `no worker could run it: ${r.reason}`);
      store.addEvidence(job.id, null, { kind: "attempts", text: r.attempts });
      o.log(`${job.id}: failed on every attempt (${attempts}): ${r.reason}`);
    }
    o.changed();
    if (job.kind === "case") await releaseCaptureIfDone(job.captureId);
  };

  // Hosts with work waiting and no worker: said after noWorkerNoticeMs, and again as long after.
  const busyOn = new Map<string, number>();
  const noticeMs = o.noWorkerNoticeMs ?? 20_000;
  const said = new Map<string, number>();
  const watch = setInterval(() => {
    void (async () => {
      for (const h of hosts) {
        if (!busyOn.get(h.queue)) { said.delete(h.queue); continue; }
        const workers = await queueOf(h).getWorkers().catch(() => null);
        if (workers === null) continue;
        if (workers.length) { if (said.has(h.queue)) o.log(`queue: a worker serves ${h.hypervisors.join(", ")} now`); said.delete(h.queue); continue; }
        const since = said.get(h.queue);
        if (since === undefined) { said.set(h.queue, Date.now()); continue; }
        if (Date.now() - since >= noticeMs) {
          said.set(h.queue, Date.now());
          o.log(`queue: no worker serves ${h.hypervisors.join(", ")} (${h.uri}); jobs wait for one: tiosa worker --queue ${o.redis.shown} --serves ${h.hypervisors.join(",")}`);
        }
      }
    })();
  }, Math.max(1000, Math.min(noticeMs / 2, 10_000)));

  try {
    await patiently("registering the run", () => putManifest(redis, manifest));
    for (const h of hosts) await patiently(`concurrency of ${h.queue}`, () => queueOf(h).setGlobalConcurrency(h.slots));
    o.log(`queue: run ${store.id} on ${o.redis.shown}: ${hosts.map((h) => `${h.hypervisors.join("+")} (${h.slots} slot${h.slots > 1 ? "s" : ""})`).join(", ")}`);
    const hostKey = (job: PlannedJob) => hostOfQueuedJob(hosts, plan, job).queue;
    await scheduleJobs({
      store, plan, signal: o.signal, concurrency: Number.POSITIVE_INFINITY, changed: o.changed,
      exclusive: (job) => exclusiveKey(o.campaign, job),
      hostOf: hostKey,
      hostTakesJob: async (queue, busy) => busy < (hosts.find((h) => h.queue === queue)?.slots ?? 1),
      dispatch: async (job) => {
        const k = hostKey(job);
        busyOn.set(k, (busyOn.get(k) ?? 0) + 1);
        try { await dispatch(job); } finally { busyOn.set(k, busyOn.get(k)! - 1); }
      },
      dependencyFailed: async (job) => { if (job.kind === "case") await releaseCaptureIfDone(job.captureId); },
    });
    // Captures whose cases all ended before their release could be sent (or that had none).
    for (const j of plan.jobs) if (j.kind === "capture" && !o.signal.aborted) await releaseCaptureIfDone(j.id);
  } finally {
    clearInterval(watch);
    // Nothing stays in Redis: the manifest (workers stop serving the run) and the queues.
    await removeManifest(redis, store.id).catch((e) => o.log(`queue: could not remove the run from Redis: ${errorMessage(e)}`));
    for (const q of queues.values()) {
      await q.obliterate({ force: true }).catch((e) => o.log(`queue: could not remove queue ${q.name}: ${errorMessage(e)}`));
      await q.close().catch(() => undefined);
    }
    redis.disconnect();
  }
  return o.signal.aborted ? "aborted" : "finished";
}
