import type { CellReport, CycleReport, ReportModel } from "./model.js";
import { describeJobTime } from "./time.js";

/** Wording shared by the reporters, so every format says the same thing. */

export const LEGEND = [
  ["SUCCESS", "every test passed"],
  ["WARNING", "moved and works, with changes (see the tests)"],
  ["FAILURE", "did not move or does not work"],
  ["NO ROUTE", "no tool moves this pair: a tool-support failure"],
  ["NO RESULT", "not run yet"],
  ["~", "unstable: the cycles disagree (the cell counts as its worst cycle)"],
] as const;

export const STEP_STATE_MARK: Record<string, string> = { done: "ok", failed: "FAILED", skipped: "skipped", running: "running", "not run": "-" };

export function cellShort(c: CellReport): string {
  return `${c.label}${c.unstable ? " ~" : ""}`;
}

export function runLine(m: ReportModel): string {
  const r = m.run;
  return `run ${r.id} (campaign ${r.campaign}), started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ""}, ${r.complete ? "complete" : `INCOMPLETE (${m.progress.done + m.progress.failed}/${m.progress.jobs} jobs finished)`}, ${m.cycles} cycle${m.cycles === 1 ? "" : "s"}, tiosa ${r.tiosaVersion}`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The test verdict as shown: waived and capped rows say so. */
export function testVerdictText(t: { verdict: string; waived?: { justification: string } | undefined; capped?: { max: string } | undefined; ruleVerdict?: string | undefined }): string {
  if (t.waived) return `${t.verdict} (waived)`;
  if (t.capped) return `${t.verdict} (capped from ${t.ruleVerdict ?? "?"})`;
  return t.verdict;
}

/** The campaign's time in one paragraph, or null for a run that recorded none. */
export function timeSummary(m: ReportModel): string | null {
  const t = m.time;
  if (!t.total) return null;
  const per = [
    t.cases ? `${t.cases} case${t.cases === 1 ? "" : "s"}, median ${t.medianCaseSeconds?.toFixed(1)} s (${t.medianBootsPerCase} boot${t.medianBootsPerCase === 1 ? "" : "s"} per case)` : null,
    t.captures ? `${t.captures} source capture${t.captures === 1 ? "" : "s"}, median ${t.medianCaptureSeconds?.toFixed(1)} s` : null,
    t.medianBootSeconds !== null ? `a boot takes ${t.medianBootSeconds.toFixed(1)} s (median)` : null,
  ].filter(Boolean).join("; ");
  return `Time: ${per}. All jobs: ${describeJobTime(t.total)}`;
}

/** A case's time and its source capture's, one line each ("" when not recorded). */
export function caseTimeLines(c: CycleReport): string[] {
  return [
    ...(c.time ? [`Time of this case (steps 4-11): ${describeJobTime(c.time)}`] : []),
    ...(c.captureTime ? [`Its source capture (steps 1-3, shared): ${describeJobTime(c.captureTime)}`] : []),
  ];
}

/** A cell's prediction against its result, one line ("" without a prediction). */
export function predictionCellLine(c: CellReport): string {
  const p = c.prediction;
  if (!p) return "";
  const why = p.concerns.filter((x) => x.predicts.length).map((x) => `${x.id} (${x.predicts.map((q) => `${q.test} ${q.verdict}${q.observed ? `, was ${q.observed}` : ""}`).join("; ")})`);
  const mark = p.hit === null ? "" : p.hit ? ": as predicted" : `: observed ${c.verdict}, MISSED`;
  return `predicted ${p.verdict}${why.length ? ` by ${why.join(", ")}` : " (no concern predicts a test)"}${mark}`;
}
