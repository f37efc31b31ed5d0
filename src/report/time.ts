import type { StepRecord } from "../campaign/store.js";
import { sumTimings, type StepTiming } from "../util/time-ledger.js";

/**
 * Where a job's (a source capture's, a case's) wall time went, in seconds, from its steps'
 * ledgers (src/util/time-ledger.ts): guest boots, tools, hypervisor API calls, commands in the
 * guest, tests' deliberate waits, and the rest, tiosa's own work (`otherSeconds`).
 */
export interface JobTime {
  wallSeconds: number;
  boots: number;
  bootSeconds: number;
  toolSeconds: number;
  /** Seconds by program (qemu-img, virt-v2v, guestfish, ...). */
  tools: Record<string, number>;
  hypervisorSeconds: number;
  guestSeconds: number;
  waitSeconds: number;
  otherSeconds: number;
  /** otherSeconds / wallSeconds. */
  otherShare: number;
}

/** The campaign's cases and captures: medians per job and the sums over all of them. */
export interface CampaignTime {
  cases: number;
  captures: number;
  /** Medians over the jobs that recorded their time. */
  medianCaseSeconds: number | null;
  medianCaptureSeconds: number | null;
  medianBootsPerCase: number | null;
  medianBootSeconds: number | null;
  /** Every case and capture once (a capture serves several cases). */
  total: JobTime | null;
}

const r1 = (ms: number) => Math.round(ms / 100) / 10;

export function jobTimeOf(timings: readonly StepTiming[]): JobTime | null {
  if (timings.length === 0) return null;
  const t = sumTimings(timings);
  return {
    wallSeconds: r1(t.wallMs), boots: t.boots.length, bootSeconds: r1(t.bootMs), toolSeconds: r1(t.toolMs),
    tools: Object.fromEntries(Object.entries(t.tools).sort((a, b) => b[1] - a[1]).map(([n, ms]) => [n, r1(ms)])),
    hypervisorSeconds: r1(t.hypervisorMs), guestSeconds: r1(t.guestMs), waitSeconds: r1(t.waitMs), otherSeconds: r1(t.otherMs),
    otherShare: t.wallMs > 0 ? Math.round((t.otherMs / t.wallMs) * 1000) / 1000 : 0,
  };
}

/** A job's time from its recorded steps (null when none recorded it: runs before tiosa did). */
export function jobTime(steps: readonly StepRecord[]): JobTime | null {
  return jobTimeOf(steps.flatMap((s) => (s.timing ? [s.timing] : [])));
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round(((s[m - 1]! + s[m]!) / 2) * 10) / 10;
};

export function campaignTime(jobs: { kind: "case" | "capture"; steps: readonly StepRecord[] }[]): CampaignTime {
  const cases = jobs.filter((j) => j.kind === "case").map((j) => jobTime(j.steps)).filter((t): t is JobTime => t !== null);
  const captures = jobs.filter((j) => j.kind === "capture").map((j) => jobTime(j.steps)).filter((t): t is JobTime => t !== null);
  const all = jobs.flatMap((j) => j.steps.flatMap((s) => (s.timing ? [s.timing] : [])));
  const boots = jobs.flatMap((j) => j.steps.flatMap((s) => s.timing?.boots ?? [])).map((b) => b.ms / 1000);
  return {
    cases: cases.length, captures: captures.length,
    medianCaseSeconds: median(cases.map((c) => c.wallSeconds)),
    medianCaptureSeconds: median(captures.map((c) => c.wallSeconds)),
    medianBootsPerCase: median(cases.map((c) => c.boots)),
    medianBootSeconds: median(boots.map((b) => Math.round(b * 10) / 10)),
    total: jobTimeOf(all),
  };
}

/** "182.3 s: 3 boots 95.1 s, tools 21.0 s (qemu-img 15.2 s, ...), hypervisor 12.0 s, guest 30.2 s, waits 16.0 s, tiosa 8.0 s (4.4 %)". */
export function describeJobTime(t: JobTime): string {
  const tools = Object.entries(t.tools).slice(0, 4).map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(", ");
  return `${t.wallSeconds.toFixed(1)} s: ${t.boots} boot${t.boots === 1 ? "" : "s"} ${t.bootSeconds.toFixed(1)} s, tools ${t.toolSeconds.toFixed(1)} s${tools ? ` (${tools})` : ""}, `
    + `hypervisor ${t.hypervisorSeconds.toFixed(1)} s, guest ${t.guestSeconds.toFixed(1)} s, waits ${t.waitSeconds.toFixed(1)} s, tiosa ${t.otherSeconds.toFixed(1)} s (${(t.otherShare * 100).toFixed(1)} %)`;
}
