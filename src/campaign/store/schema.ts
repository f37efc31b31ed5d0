import type Database from "better-sqlite3";

/**
 * The run database's layout: file name, format tag, tables, and the connection settings every
 * writer uses. The other store modules read and write these tables; only this one defines them.
 */

export const RUN_DB = "run.sqlite";
export const STORE_FORMAT = "tiosa-run/1";

export const SCHEMA = `
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
  bytes_read INTEGER, bytes_written INTEGER, detail TEXT, timing TEXT, PRIMARY KEY (job_id, step_no));
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

/** Connection settings of a writable run database. */
export function configure(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  // In WAL mode NORMAL keeps every committed step through a killed process (the case a
  // resume handles); a power cut may lose the last steps, which a resume then redoes.
  // FULL would fsync every step: 3 s more for a 450-step run here, for no gain on a kill.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Columns added within format tiosa-run/1 (a run started by an earlier version resumes).
  const stepColumns = (db.prepare("PRAGMA table_info(steps)").all() as { name: string }[]).map((c) => c.name);
  if (stepColumns.length && !stepColumns.includes("timing")) db.exec("ALTER TABLE steps ADD COLUMN timing TEXT");
}

/** Throws (with the reason) unless `db` is a tiosa run database in this format; returns the run id. */
export function checkRunDatabase(db: Database.Database): string {
  const fmt = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
  if (fmt?.value !== STORE_FORMAT) throw new Error(`format is ${fmt ? `'${fmt.value}'` : "missing"}, expected '${STORE_FORMAT}'`);
  const row = db.prepare("SELECT id FROM run").get() as { id: string } | undefined;
  if (!row) throw new Error("the run record is missing");
  const quick = db.pragma("quick_check", { simple: true });
  if (quick !== "ok") throw new Error(`integrity check: ${String(quick)}`);
  return row.id;
}

export const nowIso = () => new Date().toISOString();
/** A job id, evidence kind or file name made safe for one path component. */
export const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
