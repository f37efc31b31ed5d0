import Database from "better-sqlite3";
import { mkdirSync, readdirSync, existsSync, statSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { hostname } from "node:os";
import { UserError, errorMessage } from "../errors.js";
import type { Plan } from "./plan.js";
import type { Snapshot } from "../snapshot/schema.js";
import type { Evaluation } from "../evaluate/types.js";
import { processAlive } from "../util/process.js";
import { RUN_DB, STORE_FORMAT, SCHEMA, configure, checkRunDatabase, nowIso, safeName } from "./store/schema.js";
import { insertJobs, readJobs, readJob, readSteps, readSnapshot, readEvaluation, startJob, finishJob, startStep, finishStep, resetJob,
  type JobRecord, type StepRecord, type StepState, type StepOutcome } from "./store/jobs.js";
import { evidenceRows, insertEvidence, readEvidence, type EvidenceInput, type EvidenceRecord } from "./store/evidence.js";
import { recordResource, markResourceRemoved, leftoverResources, type ResourceRecord } from "./store/ledger.js";
import { exportJob, exportSteps, importJob, importSteps, type JobExport, type StepsExport } from "./store/transfer.js";

/**
 * The results store of one run: `OUTPUT/RUN_ID/run.sqlite` (SQLite, WAL) with evidence files
 * beside it in `OUTPUT/RUN_ID/evidence/`. Every step's outcome, with its snapshot, evaluation
 * and evidence, is written in one transaction when the step ends, so a run killed at any
 * moment keeps everything that finished and knows what was running.
 *
 * This module is the store's face (RunStore, run listing); the tables are defined in
 * store/schema.ts and read and written by store/jobs.ts (jobs, steps, snapshots,
 * evaluations), store/evidence.ts and store/ledger.ts (resources to clean up).
 */

export { RUN_DB, STORE_FORMAT } from "./store/schema.js";
export type { JobState, StepState, JobRecord, StepRecord, StepOutcome } from "./store/jobs.js";
export type { EvidenceKind, EvidenceRecord, EvidenceInput } from "./store/evidence.js";
export type { ResourceRecord } from "./store/ledger.js";
export type { JobExport, StepsExport } from "./store/transfer.js";

export type RunState = "running" | "finished" | "aborted";

export interface RunRecord {
  id: string;
  dir: string;
  campaign: string;
  specText: string;
  specHash: string;
  tiosaVersion: string;
  startedAt: string;
  finishedAt: string | null;
  state: RunState;
  /** The process that last worked on the run, to tell a live run from a dead one. */
  pid: number | null;
  host: string | null;
  /** 1 for the first run, +1 for every resume. */
  attempts: number;
}

export interface ResumePoint {
  finishedJobs: string[];
  failedJobs: string[];
  finishedSteps: { jobId: string; no: number; state: StepState }[];
  /** Jobs and steps that were `running` when the process died: clean up, then redo them. */
  interruptedJobs: string[];
  interruptedSteps: { jobId: string; no: number; name: string; startedAt: string }[];
  pendingJobs: string[];
  /** Resources created by jobs and never removed. */
  leftovers: ResourceRecord[];
}

function runIdFor(campaign: string, at: Date): string {
  const t = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${safeName(campaign)}`;
}

export class RunStore {
  private constructor(readonly dir: string, readonly id: string, private db: Database.Database, readonly readonly: boolean) {}

  /** Creates `OUTPUT/RUN_ID/` with its database and writes the run, its plan and its jobs. */
  static create(outputDir: string, init: { campaign: string; specText: string; specHash: string; plan: Plan; tiosaVersion: string; now?: Date }): RunStore {
    const at = init.now ?? new Date();
    mkdirSync(outputDir, { recursive: true });
    let id = runIdFor(init.campaign, at);
    for (let n = 2; existsSync(join(outputDir, id)); n++) id = `${runIdFor(init.campaign, at)}-${n}`;
    return RunStore.createAt(resolve(outputDir, id), id, init, at);
  }

  /**
   * A worker's scratch copy of someone else's run (issue 22): the same run id (VMs are named
   * by it) and plan, in `dir`, emptied first. Jobs run against it and are exported to the
   * coordinator's store.
   */
  static replica(dir: string, init: { id: string; campaign: string; specText: string; specHash: string; plan: Plan; tiosaVersion: string }): RunStore {
    rmSync(dir, { recursive: true, force: true });
    return RunStore.createAt(resolve(dir), init.id, init, new Date());
  }

  private static createAt(dir: string, id: string, init: { campaign: string; specText: string; specHash: string; plan: Plan; tiosaVersion: string }, at: Date): RunStore {
    mkdirSync(join(dir, "evidence"), { recursive: true });
    const db = new Database(join(dir, RUN_DB));
    configure(db);
    db.exec(SCHEMA);
    const store = new RunStore(dir, id, db, false);
    db.transaction(() => {
      db.prepare("INSERT INTO meta(key, value) VALUES ('format', ?)").run(STORE_FORMAT);
      db.prepare(`INSERT INTO run(id, campaign, spec_text, spec_hash, plan, tiosa_version, started_at, state, pid, host)
        VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`)
        .run(id, init.campaign, init.specText, init.specHash, JSON.stringify(init.plan), init.tiosaVersion, at.toISOString(), process.pid, hostname());
      insertJobs(db, init.plan.jobs);
    })();
    return store;
  }

  /**
   * Opens a run by directory path, or by id inside `outputDir`. Errors name the run and
   * what is wrong with it (missing, not a tiosa run, corrupt).
   */
  static open(ref: string, opts: { outputDir?: string; readonly?: boolean } = {}): RunStore {
    const candidates = [resolve(ref), ...(opts.outputDir ? [resolve(opts.outputDir, ref)] : [])];
    const dir = candidates.find((d) => existsSync(join(d, RUN_DB)) && statSync(d).isDirectory());
    if (!dir) {
      const where = opts.outputDir ? ` (looked for '${ref}' as a run directory and as a run id in '${opts.outputDir}')` : "";
      throw new UserError(`run '${ref}': no such run${where}`, "list the runs with `tiosa report --list`");
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(join(dir, RUN_DB), { readonly: !!opts.readonly, fileMustExist: true });
      if (!opts.readonly) configure(db);
      else db.pragma("busy_timeout = 5000");
      const id = checkRunDatabase(db);
      return new RunStore(dir, id, db, !!opts.readonly);
    } catch (e) {
      db?.close();
      throw new UserError(`run '${ref}': '${join(dir, RUN_DB)}' is not a readable tiosa run database (${errorMessage(e)})`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- reading -------------------------------------------------------------------------

  run(): RunRecord {
    const r = this.db.prepare("SELECT * FROM run").get() as Record<string, unknown>;
    return {
      id: r.id as string, dir: this.dir, campaign: r.campaign as string, specText: r.spec_text as string, specHash: r.spec_hash as string,
      tiosaVersion: r.tiosa_version as string, startedAt: r.started_at as string, finishedAt: (r.finished_at as string | null) ?? null,
      state: r.state as RunState, pid: (r.pid as number | null) ?? null, host: (r.host as string | null) ?? null, attempts: r.attempts as number,
    };
  }

  plan(): Plan {
    return JSON.parse((this.db.prepare("SELECT plan FROM run").get() as { plan: string }).plan) as Plan;
  }

  jobs(): JobRecord[] { return readJobs(this.db); }
  job(id: string): JobRecord | undefined { return readJob(this.db, id); }
  steps(jobId?: string): StepRecord[] { return readSteps(this.db, jobId); }
  snapshot(jobId: string, role: "source" | "target"): Snapshot | null { return readSnapshot(this.db, jobId, role); }
  evaluation(jobId: string): Evaluation | null { return readEvaluation(this.db, jobId); }
  evidence(jobId?: string): EvidenceRecord[] { return readEvidence(this.db, jobId); }

  /** Absolute path of an evidence file. */
  evidencePath(e: EvidenceRecord): string | null {
    return e.path ? join(this.dir, e.path) : null;
  }

  // ---- writing -------------------------------------------------------------------------

  private get w(): Database.Database {
    if (this.readonly) throw new Error(`run '${this.id}' was opened read-only`);
    return this.db;
  }

  startJob(id: string): void {
    if (!startJob(this.w, id)) throw new Error(`no job '${id}' in run '${this.id}'`);
  }

  finishJob(id: string, state: "done" | "failed", detail?: string): void {
    finishJob(this.w, id, state, detail);
  }

  startStep(jobId: string, no: number, name: string): void {
    startStep(this.w, jobId, no, name);
  }

  /** Records a step's end with everything it produced, atomically. */
  finishStep(jobId: string, no: number, o: StepOutcome): void {
    finishStep(this.w, this.dir, jobId, no, o);
  }

  /** A step that is not run because an earlier one failed. */
  skipStep(jobId: string, no: number, name: string, why: string): void {
    this.startStep(jobId, no, name);
    this.finishStep(jobId, no, { state: "skipped", detail: why });
  }

  addEvidence(jobId: string, stepNo: number | null, e: EvidenceInput): void {
    const db = this.w;
    insertEvidence(db, jobId, stepNo, evidenceRows(this.dir, jobId, stepNo, [e]), nowIso());
  }

  recordResource(jobId: string, kind: string, name: string, uri: string | null = null): number {
    return recordResource(this.w, jobId, kind, name, uri);
  }

  resourceRemoved(id: number): void {
    markResourceRemoved(this.w, id);
  }

  leftoverResources(): ResourceRecord[] {
    return leftoverResources(this.db);
  }

  // ---- carrying a job between stores (a worker's scratch store, the coordinator's) ----------

  exportJob(jobId: string, o: { only?: "snapshots" } = {}): JobExport { return exportJob(this.db, this.dir, jobId, o); }
  exportSteps(jobId: string): StepsExport { return exportSteps(this.db, jobId); }
  /** Replaces everything held for the job with `x` (idempotent: a job delivered twice is stored once). */
  importJob(x: JobExport): void { importJob(this.w, this.dir, x); }
  importSteps(x: StepsExport): void { importSteps(this.w, x); }

  // ---- resuming ------------------------------------------------------------------------

  resumePoint(): ResumePoint {
    const jobs = this.jobs();
    return {
      finishedJobs: jobs.filter((j) => j.state === "done").map((j) => j.id),
      failedJobs: jobs.filter((j) => j.state === "failed").map((j) => j.id),
      finishedSteps: this.steps().filter((s) => s.state !== "running").map((s) => ({ jobId: s.jobId, no: s.no, state: s.state })),
      interruptedJobs: jobs.filter((j) => j.state === "running").map((j) => j.id),
      interruptedSteps: this.steps().filter((s) => s.state === "running").map((s) => ({ jobId: s.jobId, no: s.no, name: s.name, startedAt: s.startedAt })),
      pendingJobs: jobs.filter((j) => j.state === "pending").map((j) => j.id),
      leftovers: this.leftoverResources(),
    };
  }

  /**
   * Forgets a job's steps from `fromStep` on (with their snapshots, evaluation and evidence)
   * and makes it pending again: the runner calls it for an interrupted job once it has
   * removed what the job left behind.
   */
  resetJob(jobId: string, fromStep = 0): void {
    resetJob(this.w, jobId, fromStep);
  }

  /**
   * Opens a run to resume it: it must be the same campaign (same file text) and no live
   * process may still be working on it.
   */
  static openForResume(ref: string, opts: { outputDir?: string; specHash: string }): RunStore {
    const s = RunStore.open(ref, { ...(opts.outputDir ? { outputDir: opts.outputDir } : {}) });
    try {
      const r = s.run();
      if (r.specHash !== opts.specHash) {
        throw new UserError(`run '${r.id}' was made from a different campaign file (its text changed since); resuming it would mix two campaigns`, "start a new run, or restore the campaign file as it was (it is stored in the run)");
      }
      if (r.state === "running" && r.pid !== null && r.host === hostname() && r.pid !== process.pid && processAlive(r.pid)) {
        throw new UserError(`run '${r.id}' is still being run by process ${r.pid}`);
      }
      if (r.state === "finished") throw new UserError(`run '${r.id}' is finished: nothing to resume`);
      return s;
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** A resumed run: this process now owns it. */
  markResumed(): void {
    this.w.prepare("UPDATE run SET state = 'running', finished_at = NULL, pid = ?, host = ?, attempts = attempts + 1").run(process.pid, hostname());
  }

  finishRun(state: "finished" | "aborted"): void {
    this.w.prepare("UPDATE run SET state = ?, finished_at = ?").run(state, nowIso());
  }
}

export interface RunListing {
  id: string;
  dir: string;
  campaign?: string;
  startedAt?: string;
  finishedAt?: string | null;
  state?: RunState;
  /** Set when the directory holds a database that cannot be read. */
  error?: string;
}

/** The runs in an output directory, oldest first (run ids start with their UTC start time). */
export function listRuns(outputDir: string): RunListing[] {
  if (!existsSync(outputDir)) return [];
  const out: RunListing[] = [];
  for (const name of readdirSync(outputDir).sort()) {
    const dir = resolve(outputDir, name);
    if (!existsSync(join(dir, RUN_DB))) continue;
    try {
      const s = RunStore.open(dir, { readonly: true });
      try {
        const r = s.run();
        out.push({ id: r.id, dir, campaign: r.campaign, startedAt: r.startedAt, finishedAt: r.finishedAt, state: r.state });
      } finally { s.close(); }
    } catch (e) {
      out.push({ id: name, dir, error: errorMessage(e) });
    }
  }
  return out.sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? "") || a.id.localeCompare(b.id));
}

/** The most recently started readable run, or null. */
export function latestRun(outputDir: string): RunListing | null {
  const ok = listRuns(outputDir).filter((r) => !r.error);
  return ok[ok.length - 1] ?? null;
}
