import type Database from "better-sqlite3";
import { nowIso } from "./schema.js";

/**
 * The resource ledger: what a job created on a hypervisor or disk, recorded before creating it
 * so that a resume (or `tiosa cleanup`) can remove what a killed run left behind.
 */

/** Something a job created on a hypervisor or disk, recorded before creating it so a resume can remove it. */
export interface ResourceRecord { id: number; jobId: string; kind: string; uri: string | null; name: string; createdAt: string; removedAt: string | null }

export function recordResource(db: Database.Database, jobId: string, kind: string, name: string, uri: string | null): number {
  return Number(db.prepare("INSERT INTO resources(job_id, kind, uri, name, created_at) VALUES (?, ?, ?, ?, ?)").run(jobId, kind, uri, name, nowIso()).lastInsertRowid);
}

export function markResourceRemoved(db: Database.Database, id: number): void {
  db.prepare("UPDATE resources SET removed_at = ? WHERE id = ?").run(nowIso(), id);
}

export function leftoverResources(db: Database.Database): ResourceRecord[] {
  return (db.prepare("SELECT * FROM resources WHERE removed_at IS NULL ORDER BY id").all() as Record<string, unknown>[]).map((r) => ({
    id: r.id as number, jobId: r.job_id as string, kind: r.kind as string, uri: (r.uri as string | null) ?? null,
    name: r.name as string, createdAt: r.created_at as string, removedAt: null,
  }));
}
