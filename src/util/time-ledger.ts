import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Where a step's wall time goes. The places that wait record what they wait for, each as an
 * interval: a guest booting (from its start to answering), a tool process (qemu-img, virt-v2v,
 * guestfish...), a hypervisor API call (virsh), a command in the guest (SSH, guest agent), a
 * deliberate wait of a test (Pause leaves the guest frozen for a while). The step's ledger
 * travels with the async context (AsyncLocalStorage), so none of those places needs it passed
 * in, and concurrent steps never mix their ledgers. Outside a step nothing is recorded.
 *
 * The breakdown gives each instant of the step to one kind only, the first of BOOT, TOOL,
 * HYPERVISOR, GUEST, WAIT that covers it (a boot contains virsh polls and SSH attempts: it is
 * boot time); what no interval covers is tiosa's own work (`otherMs`).
 */

export type TimeKind = "boot" | "tool" | "hypervisor" | "guest" | "wait";
const PRIORITY: readonly TimeKind[] = ["boot", "tool", "hypervisor", "guest", "wait"];

interface Interval { kind: TimeKind; label: string; start: number; end: number }

class TimeLedger {
  readonly intervals: Interval[] = [];
}

const current = new AsyncLocalStorage<TimeLedger>();

/** One step's time, split by what it waited for (milliseconds; each instant counted once). */
export interface StepTiming {
  wallMs: number;
  /** Each boot: what booted and how long it took to answer. */
  boots: { label: string; ms: number }[];
  bootMs: number;
  /** Tool processes by program name (exclusive of boots running at the same time). */
  tools: Record<string, number>;
  toolMs: number;
  hypervisorMs: number;
  guestMs: number;
  waitMs: number;
  /** tiosa's own work: the wall time no interval covers. */
  otherMs: number;
}

/** Runs `body` with a fresh ledger and returns its result with the breakdown of its wall time. */
export async function measured<T>(body: () => Promise<T>): Promise<{ result: T; timing: StepTiming } | { error: unknown; timing: StepTiming }> {
  const ledger = new TimeLedger();
  const start = Date.now();
  try {
    const result = await current.run(ledger, body);
    return { result, timing: breakdown(ledger.intervals, start, Date.now()) };
  } catch (error) {
    return { error, timing: breakdown(ledger.intervals, start, Date.now()) };
  }
}

/** Records an interval in the current step's ledger (none outside a step). */
export function recordTime(kind: TimeKind, label: string, start: number, end = Date.now()): void {
  current.getStore()?.intervals.push({ kind, label, start, end: Math.max(start, end) });
}

/** Runs `fn`, recording its duration as `kind` whether it succeeds or throws. */
export async function timedAs<T>(kind: TimeKind, label: string, fn: () => Promise<T>): Promise<T> {
  if (!current.getStore()) return fn();
  const start = Date.now();
  try {
    return await fn();
  } finally {
    recordTime(kind, label, start);
  }
}

/** Pure: the breakdown of [start, end] given the recorded intervals (exported for tests). */
export function breakdown(intervals: readonly Interval[], start: number, end: number): StepTiming {
  const t: StepTiming = { wallMs: Math.max(0, end - start), boots: [], bootMs: 0, tools: {}, toolMs: 0, hypervisorMs: 0, guestMs: 0, waitMs: 0, otherMs: 0 };
  const clipped = intervals
    .map((i) => ({ ...i, start: Math.max(i.start, start), end: Math.min(i.end, end) }))
    .filter((i) => i.end > i.start);
  for (const i of intervals) if (i.kind === "boot") t.boots.push({ label: i.label, ms: i.end - i.start });
  // Sweep over every boundary: each elementary segment goes to the highest-priority kind
  // covering it (tools split by the programs covering it, evenly).
  const cuts = [...new Set([start, end, ...clipped.flatMap((i) => [i.start, i.end])])].sort((a, b) => a - b);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const a = cuts[k]!, b = cuts[k + 1]!;
    const covering = clipped.filter((i) => i.start <= a && i.end >= b);
    const kind = PRIORITY.find((p) => covering.some((i) => i.kind === p));
    const len = b - a;
    if (!kind) { t.otherMs += len; continue; }
    if (kind === "boot") t.bootMs += len;
    else if (kind === "tool") {
      t.toolMs += len;
      const names = [...new Set(covering.filter((i) => i.kind === "tool").map((i) => i.label))];
      for (const n of names) t.tools[n] = (t.tools[n] ?? 0) + len / names.length;
    } else if (kind === "hypervisor") t.hypervisorMs += len;
    else if (kind === "guest") t.guestMs += len;
    else t.waitMs += len;
  }
  for (const n of Object.keys(t.tools)) t.tools[n] = Math.round(t.tools[n]!);
  return t;
}

/** Adds breakdowns (a job's steps, a campaign's jobs). */
export function sumTimings(list: readonly StepTiming[]): StepTiming {
  const s: StepTiming = { wallMs: 0, boots: [], bootMs: 0, tools: {}, toolMs: 0, hypervisorMs: 0, guestMs: 0, waitMs: 0, otherMs: 0 };
  for (const t of list) {
    s.wallMs += t.wallMs; s.bootMs += t.bootMs; s.toolMs += t.toolMs; s.hypervisorMs += t.hypervisorMs;
    s.guestMs += t.guestMs; s.waitMs += t.waitMs; s.otherMs += t.otherMs;
    s.boots.push(...t.boots);
    for (const [n, ms] of Object.entries(t.tools)) s.tools[n] = (s.tools[n] ?? 0) + ms;
  }
  return s;
}
