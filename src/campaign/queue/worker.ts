import { Worker, type Job } from "bullmq";
import { existsSync, readFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { UserError, errorMessage } from "../../errors.js";
import { buildImage, type BuiltImage } from "../../images/index.js";
import { DEFAULT_BUILD_FAMILY } from "../../images/builder.js";
import { openDriver } from "../../hypervisor/open.js";
import { loadCampaign, parseCampaign, type Campaign } from "../spec.js";
import type { PlannedJob } from "../plan.js";
import { RunStore } from "../store.js";
import { jobExecutor, jobHostUri, WORK_DIR } from "../runner.js";
import { imageKey, jobMarker } from "../steps/common.js";
import { checkRedis, connectionOptions, openRedis, type RedisTarget } from "./redis.js";
import { getManifest, RUNS_KEY, type HostQueue, type QueuedJobData, type RunManifest } from "./manifest.js";

/**
 * `tiosa worker` (issue 22): runs the queued jobs of the hypervisors it serves, for every run
 * a coordinator has put in Redis. Each job runs against a scratch store of the worker's
 * (same run id, so VMs carry the run's names), and its results go back to the coordinator as
 * the job's return value; each step's start and end as its progress.
 *
 * A job can run more than once (BullMQ is at-least-once: a worker that died holding it, a
 * retry after an error), so every attempt first removes what an earlier one left: the job's
 * libvirt objects (named by the job's marker, whoever made them) and its work directory here.
 */

export interface WorkerOptions {
  redis: RedisTarget;
  /** The campaign hypervisor names this worker runs jobs for. */
  serves: string[];
  /** Scratch stores and work directories, one per run. */
  workDir: string;
  signal: AbortSignal;
  log: (m: string) => void;
  /** How often Redis is asked for new or finished runs (ms). */
  pollMs?: number;
  /** BullMQ lock: a worker silent this long has its job taken again (ms). */
  lockMs?: number;
  /** How an image guest is had on this machine (default: built, or taken from the image cache). */
  image?: (recipe: string, family: string, signal: AbortSignal) => Promise<BuiltImage>;
}

interface RunHere {
  manifest: RunManifest;
  campaign: Campaign;
  store: RunStore;
  images: Map<string, BuiltImage>;
  /** Aborts this run's jobs here when the coordinator removes the run (done or aborted). */
  abort: AbortController;
  workers: Worker[];
  executor: ReturnType<typeof jobExecutor>;
}

async function campaignOf(m: RunManifest): Promise<Campaign> {
  // The campaign file where it was (it resolves the rules and family files it names), if it
  // still holds the run's text; else the stored text, resolved from the same place.
  if (m.campaignFile && existsSync(m.campaignFile) && readFileSync(m.campaignFile, "utf8") === m.specText) return loadCampaign(m.campaignFile);
  return parseCampaign(m.specText, m.campaignFile ?? join(process.cwd(), "campaign.yaml"));
}

export async function runWorker(o: WorkerOptions): Promise<void> {
  await checkRedis(o.redis);
  const redis = openRedis(o.redis, (m) => o.log(m.replace(/^queue:/, "worker:")));
  const connection = connectionOptions(o.redis);
  const runs = new Map<string, RunHere>();
  const pollMs = o.pollMs ?? 2000;
  // BullMQ names the worker's Redis connection with it (CLIENT SETNAME: no spaces), which is
  // how the coordinator sees that a host has a worker.
  const name = `tiosa-worker.${hostname()}.${process.pid}.${o.serves.join("+")}`.replace(/[^A-Za-z0-9._+-]/g, "_");
  // Work directories of jobs that were running when this worker last died: nothing runs yet.
  for (const run of await readdir(o.workDir).catch(() => [] as string[])) {
    await rm(join(o.workDir, run, WORK_DIR), { recursive: true, force: true });
  }
  o.log(`worker: serving ${o.serves.join(", ")} for runs on ${o.redis.shown}`);

  const ensureImage = async (r: RunHere, guest: string, family: string) => {
    const g = r.campaign.guests.find((x) => x.name === guest);
    if (g?.kind !== "image" || r.images.has(imageKey(guest, family))) return;
    const img = o.image ? await o.image(g.recipe, family, r.abort.signal)
      : await buildImage(g.recipe, { family, signal: r.abort.signal, onProgress: (p) => { if (p.step === "done") o.log(`worker: image ${p.image}: ${p.message}`); } });
    r.images.set(imageKey(guest, family), img);
  };

  const runQueued = async (r: RunHere, job: Job<QueuedJobData>): Promise<unknown> => {
    const d = job.data;
    const planned = r.manifest.plan.jobs.find((j) => j.id === d.jobId);
    if (!planned) throw new Error(`run ${d.runId} has no job '${d.jobId}'`);
    const hostUri = jobHostUri(r.manifest.plan, planned);
    // What an earlier attempt of this job left, wherever it ran: its VMs, volumes and
    // networks (named by its marker) and its work directory here.
    const leftovers = await openDriver(hostUri, { runId: jobMarker(d.runId, d.jobId) }).cleanup();
    for (const f of leftovers.failed) o.log(`worker: ${d.jobId}: could not remove ${f.object} left by an earlier attempt: ${f.error}`);
    if (leftovers.removed.length) o.log(d.kind === "release" ? `worker: ${d.jobId}: released its VM (${leftovers.removed.length} object(s) removed)` : `worker: ${d.jobId}: removed ${leftovers.removed.length} object(s) left by an earlier attempt`);
    await rm(r.executor.workDirOf(d.jobId), { recursive: true, force: true });
    if (d.kind === "release") return { released: d.jobId };

    for (const x of r.store.leftoverResources().filter((x) => x.jobId === d.jobId)) r.store.resourceRemoved(x.id);
    r.store.resetJob(d.jobId, 0);
    if (d.seed) r.store.importJob(d.seed);
    if (planned.kind !== "readiness") {
      const family = r.manifest.plan.hypervisors.find((h) => h.name === planned.hs)?.family ?? DEFAULT_BUILD_FAMILY;
      await ensureImage(r, planned.guest, family);
    }
    let sent = "";
    const progress = () => {
      const p = r.store.exportSteps(d.jobId);
      const text = JSON.stringify(p);
      if (text === sent) return;
      sent = text;
      job.updateProgress(p as unknown as object).catch(() => undefined);
    };
    await runPlanned(r, planned, progress);
    if (r.abort.signal.aborted || o.signal.aborted) throw new Error(o.signal.aborted ? "the worker was stopped" : "the run was removed from the queue");
    return r.store.exportJob(d.jobId);
  };

  /** Progress callbacks of the jobs running now: the executor's `changed` calls them all (each sends only when its job changed). */
  const currentProgress = new Map<string, () => void>();
  const runPlanned = async (r: RunHere, job: PlannedJob, progress: () => void) => {
    currentProgress.set(job.id, progress);
    try { await r.executor.runJob(job); } finally { currentProgress.delete(job.id); }
  };

  /** Runs looked at and not served (none of their hypervisors is ours, or their campaign cannot be read here): not read again. */
  const passed = new Set<string>();
  const openRun = async (runId: string): Promise<void> => {
    if (passed.has(runId)) return;
    const m = await getManifest(redis, runId);
    if (!m) return;
    const mine: HostQueue[] = m.hosts.filter((h) => h.hypervisors.some((n) => o.serves.includes(n)));
    if (!mine.length) { passed.add(runId); return; }
    let campaign: Campaign;
    try { campaign = await campaignOf(m); } catch (e) {
      o.log(`worker: run ${runId}: cannot read its campaign here (${errorMessage(e)}); not serving it`);
      passed.add(runId);
      return;
    }
    const store = RunStore.replica(join(o.workDir, runId), { id: m.runId, campaign: m.campaign, specText: m.specText, specHash: m.specHash, plan: m.plan, tiosaVersion: m.tiosaVersion });
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, o.signal]);
    const images = new Map<string, BuiltImage>();
    const r: RunHere = {
      manifest: m, campaign, store, images, abort, workers: [],
      executor: jobExecutor({
        campaign, plan: m.plan, store, images, profile: m.profile, signal,
        log: (msg) => o.log(msg),
        changed: () => { for (const f of currentProgress.values()) f(); },
      }, { releaseCaptures: false }),
    };
    runs.set(runId, r);
    for (const h of mine) {
      const w = new Worker<QueuedJobData>(h.queue, (job) => runQueued(r, job), {
        connection, concurrency: h.slots, name,
        // A killed worker's job is taken again once its lock has lapsed; stalling twice (two
        // workers dying with it) is allowed before the job counts as failed.
        lockDuration: o.lockMs ?? 60_000, stalledInterval: Math.min(30_000, o.lockMs ?? 60_000), maxStalledCount: 2,
      });
      w.on("error", () => undefined);
      w.on("failed", (job, err) => { if (job) o.log(`worker: ${job.data.jobId}: attempt ${job.attemptsMade} failed: ${errorMessage(err)}`); });
      r.workers.push(w);
      o.log(`worker: run ${runId}: serving ${h.hypervisors.join(", ")} (${h.uri}, ${h.slots} slot${h.slots > 1 ? "s" : ""})`);
    }
  };

  const closeRun = async (runId: string, why: string): Promise<void> => {
    const r = runs.get(runId);
    if (!r) return;
    runs.delete(runId);
    r.abort.abort();
    await Promise.all(r.workers.map((w) => w.close().catch(() => undefined)));
    await r.executor.releaseAll().catch(() => undefined);
    r.store.close();
    await rm(join(o.workDir, runId), { recursive: true, force: true });
    o.log(`worker: run ${runId}: ${why}`);
  };

  let redisDown = false;
  try {
    while (!o.signal.aborted) {
      try {
        const ids = await redis.smembers(RUNS_KEY);
        if (redisDown) { o.log(`worker: Redis at ${o.redis.shown} answers again`); redisDown = false; }
        for (const id of ids) if (!runs.has(id)) await openRun(id);
        for (const id of [...runs.keys()]) if (!ids.includes(id)) await closeRun(id, "ended (the coordinator removed it)");
      } catch (e) {
        if (!redisDown) o.log(`worker: Redis at ${o.redis.shown} does not answer (${errorMessage(e)}); waiting for it`);
        redisDown = true;
      }
      await new Promise<void>((res) => {
        const done = () => { clearTimeout(t); o.signal.removeEventListener("abort", done); res(); };
        const t = setTimeout(done, pollMs);
        o.signal.addEventListener("abort", done, { once: true });
      });
    }
  } finally {
    for (const id of [...runs.keys()]) await closeRun(id, "left (the worker stopped)");
    redis.disconnect();
  }
}

/** `--serves a,b`: names, each once. */
export function parseServes(text: string | undefined): string[] {
  const names = [...new Set((text ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  if (!names.length) throw new UserError("give the hypervisors this worker serves with --serves NAME[,NAME] (names from the campaign's hypervisors)");
  return names;
}
