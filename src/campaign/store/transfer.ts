import type Database from "better-sqlite3";
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, normalize, isAbsolute } from "node:path";
import { safeName } from "./schema.js";

/**
 * One job's results as plain JSON, to carry them between stores: a worker runs a job against
 * a scratch store of its own and sends this to the coordinator, whose store is the run's
 * (issue 22: the coordinator owns the store). Importing replaces everything the store held
 * for that job, so a job delivered twice (BullMQ is at-least-once) is stored once.
 */

export const JOB_EXPORT_FORMAT = "tiosa-job-export/1";

type Row = Record<string, unknown>;

export interface JobExport {
  format: typeof JOB_EXPORT_FORMAT;
  jobId: string;
  job: { state: string; currentStep: number | null; startedAt: string | null; finishedAt: string | null; detail: string | null };
  steps: Row[];
  snapshots: Row[];
  evaluations: Row[];
  /** Evidence rows; a file's bytes travel with it (base64), its path relative to the run directory. */
  evidence: { stepNo: number | null; kind: string; text: string | null; path: string | null; data: string | null; createdAt: string }[];
}

/** What a job's export holds for its steps only: the live view's share, sent after each step. */
export type StepsExport = Pick<JobExport, "jobId" | "job" | "steps">;

const without = (r: Row, ...keys: string[]) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));

export function exportSteps(db: Database.Database, jobId: string): StepsExport {
  const j = db.prepare("SELECT state, current_step, started_at, finished_at, detail FROM jobs WHERE id = ?").get(jobId) as Row | undefined;
  if (!j) throw new Error(`no job '${jobId}' to export`);
  return {
    jobId,
    job: { state: j.state as string, currentStep: (j.current_step as number | null) ?? null, startedAt: (j.started_at as string | null) ?? null, finishedAt: (j.finished_at as string | null) ?? null, detail: (j.detail as string | null) ?? null },
    steps: (db.prepare("SELECT * FROM steps WHERE job_id = ? ORDER BY step_no").all(jobId) as Row[]).map((r) => without(r, "job_id")),
  };
}

export function exportJob(db: Database.Database, runDir: string, jobId: string, o: { only?: "snapshots" } = {}): JobExport {
  const s = exportSteps(db, jobId);
  const snapshots = (db.prepare("SELECT * FROM snapshots WHERE job_id = ?").all(jobId) as Row[]).map((r) => without(r, "job_id"));
  if (o.only === "snapshots") return { format: JOB_EXPORT_FORMAT, ...s, steps: [], snapshots, evaluations: [], evidence: [] };
  return {
    format: JOB_EXPORT_FORMAT, ...s, snapshots,
    evaluations: (db.prepare("SELECT * FROM evaluations WHERE job_id = ?").all(jobId) as Row[]).map((r) => without(r, "job_id")),
    evidence: (db.prepare("SELECT * FROM evidence WHERE job_id = ? ORDER BY id").all(jobId) as Row[]).map((r) => {
      const path = (r.path as string | null) ?? null;
      const file = path ? join(runDir, path) : null;
      return {
        stepNo: (r.step_no as number | null) ?? null, kind: r.kind as string, text: (r.text as string | null) ?? null, path,
        data: file && existsSync(file) ? readFileSync(file).toString("base64") : null, createdAt: r.created_at as string,
      };
    }),
  };
}

const STEP_COLUMNS = ["step_no", "name", "state", "started_at", "started_ms", "finished_at", "duration_ms", "bytes_read", "bytes_written", "detail", "timing"];

/** Where an exported evidence file goes: under the run's evidence/JOB/, whatever the export says. */
function evidenceFile(runDir: string, jobId: string, path: string): string {
  const rel = normalize(path);
  const dir = join("evidence", safeName(jobId));
  // An export names files under evidence/JOB/; anything else (`..`, absolute) is refused.
  if (isAbsolute(rel) || !rel.startsWith(dir + "/") || rel.includes("..")) throw new Error(`job export for '${jobId}': evidence path '${path}' is outside ${dir}/`);
  return join(runDir, rel);
}

/**
 * Replaces the store's rows for the steps of one job (the live view's updates). The job stays
 * `running` whatever the worker's copy says: it ends only with its whole export (importJob),
 * since the scheduler starts a job's dependents once it is done, and they need its snapshot.
 */
export function importSteps(db: Database.Database, x: StepsExport): void {
  db.transaction(() => {
    db.prepare("DELETE FROM steps WHERE job_id = ?").run(x.jobId);
    insertSteps(db, x);
    setJob(db, { ...x, job: { ...x.job, state: "running", finishedAt: null, detail: null } });
  })();
}

/** Replaces everything the store holds for the job with the export (files first, then one transaction). */
export function importJob(db: Database.Database, runDir: string, x: JobExport): void {
  if (x.format !== JOB_EXPORT_FORMAT) throw new Error(`job export for '${x.jobId}': format '${String(x.format)}', expected '${JOB_EXPORT_FORMAT}'`);
  const files = x.evidence.map((e) => (e.path ? { ...e, file: evidenceFile(runDir, x.jobId, e.path) } : { ...e, file: null }));
  rmSync(join(runDir, "evidence", safeName(x.jobId)), { recursive: true, force: true });
  for (const e of files) {
    if (!e.file) continue;
    mkdirSync(dirname(e.file), { recursive: true });
    writeFileSync(e.file, Buffer.from(e.data ?? "", "base64"));
  }
  db.transaction(() => {
    for (const t of ["evidence", "snapshots", "evaluations", "steps"]) db.prepare(`DELETE FROM ${t} WHERE job_id = ?`).run(x.jobId);
    insertSteps(db, x);
    const snap = db.prepare("INSERT INTO snapshots(job_id, role, step_no, json, created_at) VALUES (?, ?, ?, ?, ?)");
    for (const r of x.snapshots) snap.run(x.jobId, r.role, r.step_no, r.json, r.created_at);
    const ev = db.prepare("INSERT INTO evaluations(job_id, step_no, verdict, json, created_at) VALUES (?, ?, ?, ?, ?)");
    for (const r of x.evaluations) ev.run(x.jobId, r.step_no, r.verdict, r.json, r.created_at);
    const evi = db.prepare("INSERT INTO evidence(job_id, step_no, kind, path, text, created_at) VALUES (?, ?, ?, ?, ?, ?)");
    for (const e of x.evidence) evi.run(x.jobId, e.stepNo, e.kind, e.path, e.path ? null : e.text, e.createdAt);
    setJob(db, x);
  })();
}

function insertSteps(db: Database.Database, x: StepsExport): void {
  const ins = db.prepare(`INSERT INTO steps(job_id, ${STEP_COLUMNS.join(", ")}) VALUES (?, ${STEP_COLUMNS.map(() => "?").join(", ")})`);
  for (const r of x.steps) ins.run(x.jobId, ...STEP_COLUMNS.map((c) => (r[c] ?? null) as string | number | null));
}

function setJob(db: Database.Database, x: StepsExport): void {
  db.prepare("UPDATE jobs SET state = ?, current_step = ?, started_at = ?, finished_at = ?, detail = ? WHERE id = ?")
    .run(x.job.state, x.job.currentStep, x.job.startedAt, x.job.finishedAt, x.job.detail, x.jobId);
}
