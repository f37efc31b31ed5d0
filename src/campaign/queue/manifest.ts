import type { Redis } from "ioredis";
import type { Plan, PlannedJob } from "../plan.js";
import type { RulesProfile } from "../../evaluate/profile.js";
import type { JobExport } from "../store.js";
import { jobHostUri } from "../runner.js";

/**
 * What a queued run puts in Redis for its workers (issue 22): the run's manifest (campaign
 * text, plan, rules) under `tiosa:run:ID`, its id in the set `tiosa:runs`, and one BullMQ
 * queue per hypervisor host. A worker reads the manifest to know what a job id means and
 * which queues serve the hypervisors it was started for.
 */

export const MANIFEST_FORMAT = "tiosa-queue-run/1";
export const RUNS_KEY = "tiosa:runs";
export const manifestKey = (runId: string) => `tiosa:run:${runId}`;

/** One hypervisor host: hypervisors of a campaign with the same URI share it (and its slots). */
export interface HostQueue {
  /** BullMQ queue name (no `:`, which BullMQ keeps for its keys). */
  queue: string;
  uri: string;
  /** The campaign's names for this host, as `tiosa worker --serves` takes them. */
  hypervisors: string[];
  /** Jobs at once on this host, over all its workers (BullMQ global concurrency). */
  slots: number;
}

export interface RunManifest {
  format: typeof MANIFEST_FORMAT;
  runId: string;
  campaign: string;
  specText: string;
  specHash: string;
  /** Where the campaign file was, to resolve the files it names (rules, family files). */
  campaignFile: string | null;
  plan: Plan;
  profile: RulesProfile;
  tiosaVersion: string;
  hosts: HostQueue[];
}

/** What a queued job carries: the run and the plan's job id; a case carries its capture's snapshot. */
export type QueuedJobData =
  | { kind: "job"; runId: string; jobId: string; seed?: JobExport }
  /** Remove a capture's VM once its last case has ended (the coordinator decides when). */
  | { kind: "release"; runId: string; jobId: string };

export function hostQueues(runId: string, plan: Plan, defaultSlots: number): HostQueue[] {
  const uris = [...new Set(plan.hypervisors.map((h) => h.uri))];
  return uris.map((uri, i) => {
    const hvs = plan.hypervisors.filter((h) => h.uri === uri);
    const slots = Math.min(...hvs.map((h) => h.slots ?? defaultSlots));
    return { queue: `tiosa.${runId.replace(/[^A-Za-z0-9._-]/g, "_")}.host${i + 1}`, uri, hypervisors: hvs.map((h) => h.name), slots };
  });
}

/** The host whose queue takes a job: Sequence 1 on its hypervisor, a capture on its HS, a case on its HUT. */
export function hostOfQueuedJob(hosts: HostQueue[], plan: Plan, job: PlannedJob): HostQueue {
  const uri = jobHostUri(plan, job);
  const h = hosts.find((x) => x.uri === uri);
  if (!h) throw new Error(`job ${job.id}: no host queue for ${uri}`);
  return h;
}

/**
 * BullMQ job ids: one per (run, plan job, kind), so a job added twice is one job (BullMQ
 * ignores an add with an existing id). BullMQ keeps `:` for itself.
 */
export function bullJobId(runId: string, jobId: string, kind: QueuedJobData["kind"] = "job"): string {
  return `${kind === "release" ? "release." : ""}${runId}.${encodeURIComponent(jobId).replace(/%/g, "~")}`;
}

export async function putManifest(redis: Redis, m: RunManifest): Promise<void> {
  await redis.multi().set(manifestKey(m.runId), JSON.stringify(m)).sadd(RUNS_KEY, m.runId).exec();
}

export async function getManifest(redis: Redis, runId: string): Promise<RunManifest | null> {
  const text = await redis.get(manifestKey(runId));
  if (!text) return null;
  const m = JSON.parse(text) as RunManifest;
  return m.format === MANIFEST_FORMAT ? m : null;
}

export async function removeManifest(redis: Redis, runId: string): Promise<void> {
  await redis.multi().del(manifestKey(runId)).srem(RUNS_KEY, runId).exec();
}
