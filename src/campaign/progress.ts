import type { JobRecord, RunStore } from "./store.js";

/**
 * The campaign's live view: jobs done / running / left, the current step of each running
 * job, elapsed and estimated time. Computed from the store (so a resumed run shows what the
 * dead one did too); drawn in place on a terminal, as plain lines (one per change) otherwise.
 */

export interface RunningJob { id: string; kind: JobRecord["kind"]; step: number | null; stepName: string | null; startedMs: number }

export interface ProgressState {
  total: number;
  done: number;
  failed: number;
  pending: number;
  running: RunningJob[];
  /** When the run started (first attempt). */
  startedMs: number;
  /** Mean wall time of finished jobs, per kind; the estimate comes from these. */
  meanMs: Partial<Record<JobRecord["kind"], number>>;
  pendingByKind: Partial<Record<JobRecord["kind"], number>>;
  concurrency: number;
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : NaN);

export function progressFromStore(store: RunStore, concurrency = 1): ProgressState {
  const jobs = store.jobs();
  const steps = store.steps();
  const sums: Partial<Record<JobRecord["kind"], { n: number; total: number }>> = {};
  const pendingByKind: Partial<Record<JobRecord["kind"], number>> = {};
  for (const j of jobs) {
    if ((j.state === "done" || j.state === "failed") && j.startedAt && j.finishedAt) {
      const d = ms(j.finishedAt) - ms(j.startedAt);
      if (d >= 0) { const s = (sums[j.kind] ??= { n: 0, total: 0 }); s.n++; s.total += d; }
    }
    if (j.state === "pending") pendingByKind[j.kind] = (pendingByKind[j.kind] ?? 0) + 1;
  }
  const meanMs: ProgressState["meanMs"] = {};
  for (const [k, s] of Object.entries(sums)) meanMs[k as JobRecord["kind"]] = s!.total / s!.n;
  return {
    total: jobs.length,
    done: jobs.filter((j) => j.state === "done").length,
    failed: jobs.filter((j) => j.state === "failed").length,
    pending: jobs.filter((j) => j.state === "pending").length,
    running: jobs.filter((j) => j.state === "running").map((j) => ({
      id: j.id, kind: j.kind, step: j.currentStep,
      stepName: steps.find((s) => s.jobId === j.id && s.no === j.currentStep)?.name ?? null,
      startedMs: ms(j.startedAt) || Date.now(),
    })),
    startedMs: ms(store.run().startedAt),
    meanMs,
    pendingByKind,
    concurrency,
  };
}

/** Estimated time left, or null while some kind of job still to run has no finished example. */
export function estimateRemainingMs(p: ProgressState, now: number): number | null {
  let work = 0;
  for (const [kind, n] of Object.entries(p.pendingByKind)) {
    const mean = p.meanMs[kind as JobRecord["kind"]];
    if (mean === undefined) return null;
    work += mean * n!;
  }
  for (const r of p.running) {
    const mean = p.meanMs[r.kind];
    if (mean === undefined) return null;
    work += Math.max(0, mean - (now - r.startedMs));
  }
  return work / Math.max(1, p.concurrency);
}

export function formatClock(msValue: number): string {
  const s = Math.max(0, Math.round(msValue / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}:${String(sec).padStart(2, "0")}`;
}

/** The summary line: counts, elapsed, estimate. */
export function progressLine(p: ProgressState, now: number): string {
  const eta = estimateRemainingMs(p, now);
  return `${p.done + p.failed}/${p.total} jobs finished (${p.failed} failed), ${p.running.length} running, ${p.pending} left`
    + ` | elapsed ${formatClock(now - p.startedMs)}` + (p.pending + p.running.length > 0 ? ` | left ~${eta === null ? "?" : formatClock(eta)}` : "");
}

/** Summary line, then one line per running job with its current step. */
export function renderProgress(p: ProgressState, now: number): string[] {
  return [progressLine(p, now), ...p.running.map((r) => `  ${r.id}  step ${r.step ?? "-"}${r.stepName ? ` ${r.stepName}` : ""}  ${formatClock(now - r.startedMs)}`)];
}

export interface ProgressStream { write(s: string): unknown; isTTY?: boolean; columns?: number }

export class ProgressView {
  private drawn = 0;
  private lastKey = "";
  constructor(private out: ProgressStream) {}

  update(p: ProgressState, now = Date.now()): void {
    if (this.out.isTTY) {
      const width = Math.max(20, (this.out.columns ?? 100) - 1);
      const lines = renderProgress(p, now).map((l) => (l.length > width ? l.slice(0, width - 1) + "…" : l));
      // Move up over the previous drawing, clear it, draw again.
      const up = this.drawn ? `\x1b[${this.drawn}A` : "";
      this.out.write(`${up}\r\x1b[J${lines.join("\n")}\n`);
      this.drawn = lines.length;
      return;
    }
    // Not a terminal: a line when something changed (a job or a step), not every tick.
    const key = `${p.done}/${p.failed}/${p.pending}|${p.running.map((r) => `${r.id}:${r.step}`).join(",")}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    const running = p.running.map((r) => `${r.id} step ${r.step ?? "-"}`).join("; ");
    this.out.write(`${new Date(now).toISOString().slice(11, 19)} ${progressLine(p, now)}${running ? ` | ${running}` : ""}\n`);
  }

  /** Leaves the last drawing on screen. */
  finish(): void {
    this.drawn = 0;
  }
}
