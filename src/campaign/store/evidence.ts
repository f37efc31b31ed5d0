import type Database from "better-sqlite3";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, basename, relative } from "node:path";
import { safeName } from "./schema.js";

/**
 * Evidence of a run: console tails, screenshots, guest-agent facts, logs. Short text lives in
 * the `evidence` table; files go to `RUN_DIR/evidence/JOB/` and the table keeps their path.
 */

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

/** An evidence row ready to insert: a file already written (its path) or inline text. */
type EvidenceRow = { kind: EvidenceKind; path: string } | { kind: EvidenceKind; text: string };

/** Writes an evidence file under `runDir/evidence/` and returns its path relative to `runDir`. */
function writeEvidenceFile(runDir: string, jobId: string, stepNo: number | null, kind: string, fileName: string, data: Buffer | string): string {
  const dir = join(runDir, "evidence", safeName(jobId));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stepNo ?? 0}-${safeName(kind)}-${safeName(basename(fileName))}`);
  writeFileSync(file, data);
  return relative(runDir, file);
}

/** Writes the files of `inputs` (files first: a row must never point at a file that is not there). */
export function evidenceRows(runDir: string, jobId: string, stepNo: number | null, inputs: readonly EvidenceInput[]): EvidenceRow[] {
  return inputs.map((e) => ("data" in e ? { kind: e.kind, path: writeEvidenceFile(runDir, jobId, stepNo, e.kind, e.fileName, e.data) } : { kind: e.kind, text: e.text }));
}

export function insertEvidence(db: Database.Database, jobId: string, stepNo: number | null, rows: readonly EvidenceRow[], createdAt: string): void {
  const ins = db.prepare("INSERT INTO evidence(job_id, step_no, kind, path, text, created_at) VALUES (?, ?, ?, ?, ?, ?)");
  for (const f of rows) ins.run(jobId, stepNo, f.kind, "path" in f ? f.path : null, "text" in f ? f.text : null, createdAt);
}

export function readEvidence(db: Database.Database, jobId?: string): EvidenceRecord[] {
  const rows = (jobId ? db.prepare("SELECT * FROM evidence WHERE job_id = ? ORDER BY id").all(jobId)
    : db.prepare("SELECT * FROM evidence ORDER BY id").all()) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number, jobId: r.job_id as string, stepNo: (r.step_no as number | null) ?? null, kind: r.kind as string,
    path: (r.path as string | null) ?? null, text: (r.text as string | null) ?? null, createdAt: r.created_at as string,
  }));
}
