import Database from "better-sqlite3";
import { mkdirSync, writeFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, resolve, basename, relative } from "node:path";
import { hostname } from "node:os";
import { UserError, errorMessage } from "../errors.js";
import type { Plan, PlannedJob } from "./plan.js";
import type { Snapshot } from "../snapshot/schema.js";
import type { Evaluation } from "../evaluate/types.js";
import { processAlive } from "../util/process.js";

/**
 * The results store of one run: `OUTPUT/RUN_ID/run.sqlite` (SQLite, WAL) with evidence files
 * beside it in `OUTPUT/RUN_ID/evidence/`. Every step's outcome, with its snapshot, evaluation
 * and evidence, is written in one transaction when the step ends, so a run killed at any
 * moment keeps everything that finished and knows what was running.
 */

export const RUN_DB = "run.sqlite";
export const STORE_FORMAT = "tiosa-run/1";

export type JobState = "pending" | "running" | "done" | "failed";
export type StepState = "running" | "done" | "failed" | "skipped";
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

export interface JobRecord {
  id: string;
  kind: PlannedJob["kind"];
  guest: string | null;
  hs: string | null;
  hut: string | null;
  route: string | null;
  cycle: number | null;
  state: JobState;
  currentStep: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  detail: string | null;
}

export interface StepRecord {
  jobId: string;
  no: number;
  name: string;
  state: StepState;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  bytesRead: number | null;
  bytesWritten: number | null;
  detail: string | null;
}

export type EvidenceKind = "console" | "screenshot" | "guest-agent" | "log" | "descriptor" | (string & {});

export interface EvidenceRecord {
  id: number;
  jobId: string;
  stepNo: number | null;
  kind: EvidenceKind;
  /** Relative to the run directory, for files. */
  path: string | null;
  text: string | null;
  createdAt: string;
}

export type EvidenceInput =
  | { kind: EvidenceKind; text: string }
  | { kind: EvidenceKind; fileName: string; data: Buffer | string };

export interface StepOutcome {
  state: Exclude<StepState, "running">;
  detail?: string;
  bytesRead?: number;
  bytesWritten?: number;
  /** Step 3 (source) or 10 (target) of Sequence 2. */
  snapshot?: { role: "source" | "target"; snapshot: Snapshot };
  /** Step 11. */
  evaluation?: Evaluation;
  evidence?: EvidenceInput[];
}

/** Something a job created on a hypervisor or disk, recorded before creating it so a resume can remove it. */
export interface ResourceRecord { id: number; jobId: string; kind: string; uri: string | null; name: string; createdAt: string; removedAt: string | null }

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run (
  id TEXT PRIMARY KEY, campaign TEXT NOT NULL, spec_text TEXT NOT NULL, spec_hash TEXT NOT NULL, plan TEXT NOT NULL,
  tiosa_version TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, state TEXT NOT NULL,
  pid INTEGER, host TEXT, attempts INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, guest TEXT, hs TEXT, hut TEXT, route TEXT, cycle INTEGER,
  depends_on TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending','running','done','failed')),
  current_step INTEGER, started_at TEXT, finished_at TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS steps (
  job_id TEXT NOT NULL REFERENCES jobs(id), step_no INTEGER NOT NULL, name TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running','done','failed','skipped')),
  started_at TEXT NOT NULL, started_ms INTEGER NOT NULL, finished_at TEXT, duration_ms INTEGER,
  bytes_read INTEGER, bytes_written INTEGER, detail TEXT, PRIMARY KEY (job_id, step_no));
CREATE TABLE IF NOT EXISTS snapshots (
  job_id TEXT NOT NULL REFERENCES jobs(id), role TEXT NOT NULL CHECK (role IN ('source','target')), step_no INTEGER NOT NULL,
  json TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (job_id, role));
CREATE TABLE IF NOT EXISTS evaluations (
  job_id TEXT PRIMARY KEY REFERENCES jobs(id), step_no INTEGER NOT NULL, verdict TEXT NOT NULL, json TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evidence (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL REFERENCES jobs(id), step_no INTEGER, kind TEXT NOT NULL,
  path TEXT, text TEXT, created_at TEXT NOT NULL, CHECK ((path IS NULL) <> (text IS NULL)));
CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, kind TEXT NOT NULL, uri TEXT, name TEXT NOT NULL,
  created_at TEXT NOT NULL, removed_at TEXT);
CREATE INDEX IF NOT EXISTS evidence_job ON evidence(job_id);
`;

const nowIso = () => new Date().toISOString();
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);

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
    const dir = resolve(outputDir, id);
    mkdirSync(join(dir, "evidence"), { recursive: true });
    const db = new Database(join(dir, RUN_DB));
    RunStore.configure(db);
    db.exec(SCHEMA);
    const store = new RunStore(dir, id, db, false);
    db.transaction(() => {
      db.prepare("INSERT INTO meta(key, value) VALUES ('format', ?)").run(STORE_FORMAT);
      db.prepare(`INSERT INTO run(id, campaign, spec_text, spec_hash, plan, tiosa_version, started_at, state, pid, host)
        VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`)
        .run(id, init.campaign, init.specText, init.specHash, JSON.stringify(init.plan), init.tiosaVersion, at.toISOString(), process.pid, hostname());
      store.insertJobs(init.plan.jobs);
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
      if (!opts.readonly) RunStore.configure(db);
      else db.pragma("busy_timeout = 5000");
      const fmt = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
      if (fmt?.value !== STORE_FORMAT) throw new Error(`format is ${fmt ? `'${fmt.value}'` : "missing"}, expected '${STORE_FORMAT}'`);
      const row = db.prepare("SELECT id FROM run").get() as { id: string } | undefined;
      if (!row) throw new Error("the run record is missing");
      const quick = db.pragma("quick_check", { simple: true });
      if (quick !== "ok") throw new Error(`integrity check: ${String(quick)}`);
      return new RunStore(dir, row.id, db, !!opts.readonly);
    } catch (e) {
      db?.close();
      throw new UserError(`run '${ref}': '${join(dir, RUN_DB)}' is not a readable tiosa run database (${errorMessage(e)})`);
    }
  }

  private static configure(db: Database.Database): void {
    db.pragma("journal_mode = WAL");
    // In WAL mode NORMAL keeps every committed step through a killed process (the case a
    // resume handles); a power cut may lose the last steps, which a resume then redoes.
    // FULL would fsync every step: 3 s more for a 450-step run here, for no gain on a kill.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private insertJobs(jobs: PlannedJob[]): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO jobs(id, seq, kind, guest, hs, hut, route, cycle, depends_on, state)
      VALUES (@id, @seq, @kind, @guest, @hs, @hut, @route, @cycle, @deps, 'pending')`);
    jobs.forEach((j, seq) => ins.run({
      id: j.id, seq, kind: j.kind,
      guest: j.kind === "readiness" ? null : j.guest,
      hs: j.kind === "readiness" ? j.hypervisor : j.hs,
      hut: j.kind === "case" ? j.hut : null,
      route: j.kind === "case" ? j.route.id : null,
      cycle: j.kind === "readiness" ? null : j.cycle,
      deps: JSON.stringify(j.dependsOn),
    }));
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

  jobs(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs ORDER BY seq").all() as Record<string, unknown>[]).map(jobRow);
  }

  job(id: string): JobRecord | undefined {
    const r = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    return r ? jobRow(r) : undefined;
  }

  steps(jobId?: string): StepRecord[] {
    const rows = (jobId
      ? this.db.prepare("SELECT * FROM steps WHERE job_id = ? ORDER BY step_no").all(jobId)
      : this.db.prepare("SELECT s.* FROM steps s JOIN jobs j ON j.id = s.job_id ORDER BY j.seq, s.step_no").all()) as Record<string, unknown>[];
    return rows.map((r) => ({
      jobId: r.job_id as string, no: r.step_no as number, name: r.name as string, state: r.state as StepState,
      startedAt: r.started_at as string, finishedAt: (r.finished_at as string | null) ?? null, durationMs: (r.duration_ms as number | null) ?? null,
      bytesRead: (r.bytes_read as number | null) ?? null, bytesWritten: (r.bytes_written as number | null) ?? null, detail: (r.detail as string | null) ?? null,
    }));
  }

  snapshot(jobId: string, role: "source" | "target"): Snapshot | null {
    const r = this.db.prepare("SELECT json FROM snapshots WHERE job_id = ? AND role = ?").get(jobId, role) as { json: string } | undefined;
    return r ? (JSON.parse(r.json) as Snapshot) : null;
  }

  evaluation(jobId: string): Evaluation | null {
    const r = this.db.prepare("SELECT json FROM evaluations WHERE job_id = ?").get(jobId) as { json: string } | undefined;
    return r ? (JSON.parse(r.json) as Evaluation) : null;
  }

  evidence(jobId?: string): EvidenceRecord[] {
    const rows = (jobId ? this.db.prepare("SELECT * FROM evidence WHERE job_id = ? ORDER BY id").all(jobId)
      : this.db.prepare("SELECT * FROM evidence ORDER BY id").all()) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number, jobId: r.job_id as string, stepNo: (r.step_no as number | null) ?? null, kind: r.kind as string,
      path: (r.path as string | null) ?? null, text: (r.text as string | null) ?? null, createdAt: r.created_at as string,
    }));
  }

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
    const r = this.w.prepare("UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?), finished_at = NULL WHERE id = ?").run(nowIso(), id);
    if (r.changes !== 1) throw new Error(`no job '${id}' in run '${this.id}'`);
  }

  finishJob(id: string, state: "done" | "failed", detail?: string): void {
    this.w.prepare("UPDATE jobs SET state = ?, finished_at = ?, current_step = NULL, detail = ? WHERE id = ?").run(state, nowIso(), detail ?? null, id);
  }

  startStep(jobId: string, no: number, name: string): void {
    const now = Date.now();
    const db = this.w;
    db.transaction(() => {
      db.prepare(`INSERT INTO steps(job_id, step_no, name, state, started_at, started_ms) VALUES (?, ?, ?, 'running', ?, ?)
        ON CONFLICT(job_id, step_no) DO UPDATE SET name = excluded.name, state = 'running', started_at = excluded.started_at,
          started_ms = excluded.started_ms, finished_at = NULL, duration_ms = NULL, bytes_read = NULL, bytes_written = NULL, detail = NULL`)
        .run(jobId, no, name, new Date(now).toISOString(), now);
      db.prepare("UPDATE jobs SET current_step = ? WHERE id = ?").run(no, jobId);
    })();
  }

  /** Records a step's end with everything it produced, atomically. */
  finishStep(jobId: string, no: number, o: StepOutcome): void {
    const db = this.w;
    // Files first: a row must never point at a file that is not there.
    const files = (o.evidence ?? []).map((e) => ("data" in e ? { kind: e.kind, path: this.writeEvidenceFile(jobId, no, e.kind, e.fileName, e.data) } : { kind: e.kind, text: e.text }));
    const now = Date.now();
    db.transaction(() => {
      const started = db.prepare("SELECT started_ms FROM steps WHERE job_id = ? AND step_no = ?").get(jobId, no) as { started_ms: number } | undefined;
      if (!started) throw new Error(`step ${no} of job '${jobId}' was never started`);
      db.prepare(`UPDATE steps SET state = ?, finished_at = ?, duration_ms = ?, bytes_read = ?, bytes_written = ?, detail = ? WHERE job_id = ? AND step_no = ?`)
        .run(o.state, new Date(now).toISOString(), now - started.started_ms, o.bytesRead ?? null, o.bytesWritten ?? null, o.detail ?? null, jobId, no);
      if (o.snapshot) {
        db.prepare("INSERT OR REPLACE INTO snapshots(job_id, role, step_no, json, created_at) VALUES (?, ?, ?, ?, ?)")
          .run(jobId, o.snapshot.role, no, JSON.stringify(o.snapshot.snapshot), new Date(now).toISOString());
      }
      if (o.evaluation) {
        db.prepare("INSERT OR REPLACE INTO evaluations(job_id, step_no, verdict, json, created_at) VALUES (?, ?, ?, ?, ?)")
          .run(jobId, no, o.evaluation.verdict, JSON.stringify(o.evaluation), new Date(now).toISOString());
      }
      const ins = db.prepare("INSERT INTO evidence(job_id, step_no, kind, path, text, created_at) VALUES (?, ?, ?, ?, ?, ?)");
      for (const f of files) ins.run(jobId, no, f.kind, "path" in f ? f.path : null, "text" in f ? f.text : null, new Date(now).toISOString());
    })();
  }

  /** A step that is not run because an earlier one failed. */
  skipStep(jobId: string, no: number, name: string, why: string): void {
    this.startStep(jobId, no, name);
    this.finishStep(jobId, no, { state: "skipped", detail: why });
  }

  addEvidence(jobId: string, stepNo: number | null, e: EvidenceInput): void {
    const path = "data" in e ? this.writeEvidenceFile(jobId, stepNo, e.kind, e.fileName, e.data) : null;
    this.w.prepare("INSERT INTO evidence(job_id, step_no, kind, path, text, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(jobId, stepNo, e.kind, path, "text" in e ? e.text : null, nowIso());
  }

  private writeEvidenceFile(jobId: string, stepNo: number | null, kind: string, fileName: string, data: Buffer | string): string {
    const dir = join(this.dir, "evidence", safeName(jobId));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${stepNo ?? 0}-${safeName(kind)}-${safeName(basename(fileName))}`);
    writeFileSync(file, data);
    return relative(this.dir, file);
  }

  recordResource(jobId: string, kind: string, name: string, uri: string | null = null): number {
    return Number(this.w.prepare("INSERT INTO resources(job_id, kind, uri, name, created_at) VALUES (?, ?, ?, ?, ?)").run(jobId, kind, uri, name, nowIso()).lastInsertRowid);
  }

  resourceRemoved(id: number): void {
    this.w.prepare("UPDATE resources SET removed_at = ? WHERE id = ?").run(nowIso(), id);
  }

  leftoverResources(): ResourceRecord[] {
    return (this.db.prepare("SELECT * FROM resources WHERE removed_at IS NULL ORDER BY id").all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as number, jobId: r.job_id as string, kind: r.kind as string, uri: (r.uri as string | null) ?? null,
      name: r.name as string, createdAt: r.created_at as string, removedAt: null,
    }));
  }

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
    const db = this.w;
    db.transaction(() => {
      for (const t of ["steps", "snapshots", "evaluations"]) db.prepare(`DELETE FROM ${t} WHERE job_id = ? AND step_no >= ?`).run(jobId, fromStep);
      db.prepare("DELETE FROM evidence WHERE job_id = ? AND COALESCE(step_no, 0) >= ?").run(jobId, fromStep);
      db.prepare("UPDATE jobs SET state = 'pending', current_step = NULL, finished_at = NULL, detail = NULL WHERE id = ?").run(jobId);
    })();
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

function jobRow(r: Record<string, unknown>): JobRecord {
  return {
    id: r.id as string, kind: r.kind as JobRecord["kind"], guest: (r.guest as string | null) ?? null, hs: (r.hs as string | null) ?? null,
    hut: (r.hut as string | null) ?? null, route: (r.route as string | null) ?? null, cycle: (r.cycle as number | null) ?? null,
    state: r.state as JobState, currentStep: (r.current_step as number | null) ?? null, startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null, detail: (r.detail as string | null) ?? null,
  };
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
