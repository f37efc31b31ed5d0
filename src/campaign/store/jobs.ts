import type { StepTiming } from "../../util/time-ledger.js";
import type Database from "better-sqlite3";
import type { PlannedJob } from "../plan.js";
import type { Snapshot } from "../../snapshot/schema.js";
import type { Evaluation } from "../../evaluate/types.js";
import { nowIso } from "./schema.js";
import { evidenceRows, insertEvidence, type EvidenceInput } from "./evidence.js";

/**
 * Jobs and their steps: the plan's jobs as rows, each step's start and end, and what a step
 * produced (snapshot, evaluation, evidence), written in one transaction when the step ends.
 */

export type JobState = "pending" | "running" | "done" | "failed";
export type StepState = "running" | "done" | "failed" | "skipped";

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
  /** Where the step's wall time went (null for steps of runs before tiosa recorded it). */
  timing: StepTiming | null;
}

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
  timing?: StepTiming;
}

export function insertJobs(db: Database.Database, jobs: PlannedJob[]): void {
  const ins = db.prepare(`INSERT OR IGNORE INTO jobs(id, seq, kind, guest, hs, hut, route, cycle, depends_on, state)
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

// ---- reading ---------------------------------------------------------------------------

export function readJobs(db: Database.Database): JobRecord[] {
  return (db.prepare("SELECT * FROM jobs ORDER BY seq").all() as Record<string, unknown>[]).map(jobRow);
}

export function readJob(db: Database.Database, id: string): JobRecord | undefined {
  const r = db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as Record<string, unknown> | undefined;
  return r ? jobRow(r) : undefined;
}

export function readSteps(db: Database.Database, jobId?: string): StepRecord[] {
  const rows = (jobId
    ? db.prepare("SELECT * FROM steps WHERE job_id = ? ORDER BY step_no").all(jobId)
    : db.prepare("SELECT s.* FROM steps s JOIN jobs j ON j.id = s.job_id ORDER BY j.seq, s.step_no").all()) as Record<string, unknown>[];
  return rows.map((r) => ({
    jobId: r.job_id as string, no: r.step_no as number, name: r.name as string, state: r.state as StepState,
    startedAt: r.started_at as string, finishedAt: (r.finished_at as string | null) ?? null, durationMs: (r.duration_ms as number | null) ?? null,
    bytesRead: (r.bytes_read as number | null) ?? null, bytesWritten: (r.bytes_written as number | null) ?? null, detail: (r.detail as string | null) ?? null,
    timing: typeof r.timing === "string" ? (JSON.parse(r.timing) as StepTiming) : null,
  }));
}

export function readSnapshot(db: Database.Database, jobId: string, role: "source" | "target"): Snapshot | null {
  const r = db.prepare("SELECT json FROM snapshots WHERE job_id = ? AND role = ?").get(jobId, role) as { json: string } | undefined;
  return r ? (JSON.parse(r.json) as Snapshot) : null;
}

export function readEvaluation(db: Database.Database, jobId: string): Evaluation | null {
  const r = db.prepare("SELECT json FROM evaluations WHERE job_id = ?").get(jobId) as { json: string } | undefined;
  return r ? (JSON.parse(r.json) as Evaluation) : null;
}

function jobRow(r: Record<string, unknown>): JobRecord {
  return {
    id: r.id as string, kind: r.kind as JobRecord["kind"], guest: (r.guest as string | null) ?? null, hs: (r.hs as string | null) ?? null,
    hut: (r.hut as string | null) ?? null, route: (r.route as string | null) ?? null, cycle: (r.cycle as number | null) ?? null,
    state: r.state as JobState, currentStep: (r.current_step as number | null) ?? null, startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null, detail: (r.detail as string | null) ?? null,
  };
}

// ---- writing ---------------------------------------------------------------------------

/** Returns false when there is no such job. */
export function startJob(db: Database.Database, id: string): boolean {
  return db.prepare("UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?), finished_at = NULL WHERE id = ?").run(nowIso(), id).changes === 1;
}

export function finishJob(db: Database.Database, id: string, state: "done" | "failed", detail?: string): void {
  db.prepare("UPDATE jobs SET state = ?, finished_at = ?, current_step = NULL, detail = ? WHERE id = ?").run(state, nowIso(), detail ?? null, id);
}

export function startStep(db: Database.Database, jobId: string, no: number, name: string): void {
  const now = Date.now();
  db.transaction(() => {
    db.prepare(`INSERT INTO steps(job_id, step_no, name, state, started_at, started_ms) VALUES (?, ?, ?, 'running', ?, ?)
      ON CONFLICT(job_id, step_no) DO UPDATE SET name = excluded.name, state = 'running', started_at = excluded.started_at,
        started_ms = excluded.started_ms, finished_at = NULL, duration_ms = NULL, bytes_read = NULL, bytes_written = NULL, detail = NULL, timing = NULL`)
      .run(jobId, no, name, new Date(now).toISOString(), now);
    db.prepare("UPDATE jobs SET current_step = ? WHERE id = ?").run(no, jobId);
  })();
}

/** Records a step's end with everything it produced, atomically; evidence files go under `runDir`. */
export function finishStep(db: Database.Database, runDir: string, jobId: string, no: number, o: StepOutcome): void {
  // Files first: a row must never point at a file that is not there.
  const files = evidenceRows(runDir, jobId, no, o.evidence ?? []);
  const now = Date.now();
  db.transaction(() => {
    const started = db.prepare("SELECT started_ms FROM steps WHERE job_id = ? AND step_no = ?").get(jobId, no) as { started_ms: number } | undefined;
    if (!started) throw new Error(`step ${no} of job '${jobId}' was never started`);
    db.prepare(`UPDATE steps SET state = ?, finished_at = ?, duration_ms = ?, bytes_read = ?, bytes_written = ?, detail = ?, timing = ? WHERE job_id = ? AND step_no = ?`)
      .run(o.state, new Date(now).toISOString(), now - started.started_ms, o.bytesRead ?? null, o.bytesWritten ?? null, o.detail ?? null,
        o.timing ? JSON.stringify(o.timing) : null, jobId, no);
    if (o.snapshot) {
      db.prepare("INSERT OR REPLACE INTO snapshots(job_id, role, step_no, json, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(jobId, o.snapshot.role, no, JSON.stringify(o.snapshot.snapshot), new Date(now).toISOString());
    }
    if (o.evaluation) {
      db.prepare("INSERT OR REPLACE INTO evaluations(job_id, step_no, verdict, json, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(jobId, no, o.evaluation.verdict, JSON.stringify(o.evaluation), new Date(now).toISOString());
    }
    insertEvidence(db, jobId, no, files, new Date(now).toISOString());
  })();
}

/**
 * Forgets a job's steps from `fromStep` on (with their snapshots, evaluation and evidence)
 * and makes it pending again.
 */
export function resetJob(db: Database.Database, jobId: string, fromStep: number): void {
  db.transaction(() => {
    for (const t of ["steps", "snapshots", "evaluations"]) db.prepare(`DELETE FROM ${t} WHERE job_id = ? AND step_no >= ?`).run(jobId, fromStep);
    db.prepare("DELETE FROM evidence WHERE job_id = ? AND COALESCE(step_no, 0) >= ?").run(jobId, fromStep);
    db.prepare("UPDATE jobs SET state = 'pending', current_step = NULL, finished_at = NULL, detail = NULL WHERE id = ?").run(jobId);
  })();
}
