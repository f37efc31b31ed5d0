import { stepDefinition, SEQUENCE1_STEP, type PlannedJob } from "../plan.js";
import type { StepOutcome } from "../store.js";
import { measured } from "../../util/time-ledger.js";
import { StepFailed, stepErrorMessage, stepSignal, type RunContext } from "./common.js";

export type StepResult = Omit<StepOutcome, "state"> & { detail: string };

/** Thrown when the whole run is aborted (Ctrl-C): the job is undone, not failed. */
export class RunAborted extends Error {
  constructor() { super("the run was aborted"); this.name = "RunAborted"; }
}

/**
 * Runs one step of a job under the campaign's timeout for its kind and records it: started,
 * then done or failed with its detail, snapshot, evaluation and evidence (one transaction).
 * Returns null when the step failed, so the job skips its remaining steps.
 */
export async function runStep(rc: RunContext, job: PlannedJob, no: number, body: (signal: AbortSignal) => Promise<StepResult>): Promise<StepResult | null> {
  const planned = job.steps.find((s) => s.no === no);
  const name = planned?.name ?? (job.kind === "readiness" ? SEQUENCE1_STEP.name : stepDefinition(no).name);
  const seconds = planned?.timeoutSeconds ?? 300;
  if (rc.signal.aborted) throw new RunAborted();
  rc.store.startStep(job.id, no, name);
  rc.changed();
  const signal = stepSignal(rc.signal, seconds);
  try {
    // Every boot, tool, hypervisor call and guest command inside the body is timed (src/util/time-ledger.ts).
    const m = await measured(() => body(signal));
    if (rc.signal.aborted) throw new RunAborted();
    if (!("error" in m)) {
      rc.store.finishStep(job.id, no, { state: "done", ...m.result, timing: m.timing });
      return m.result;
    }
    const e = m.error;
    const detail = stepErrorMessage(e, signal, rc.signal, seconds);
    rc.store.finishStep(job.id, no, { state: "failed", detail, timing: m.timing, ...(e instanceof StepFailed && e.evidence.length ? { evidence: e.evidence } : {}) });
    rc.log(`${job.id}: step ${no} failed: ${detail}`);
    return null;
  } finally {
    signal.dispose();
    rc.changed();
  }
}

/** Records the steps after a failed one as skipped, so the report shows where the job stopped. */
export function skipRest(rc: RunContext, job: PlannedJob, after: number, why: string): void {
  for (const s of job.steps) if (s.no > after) rc.store.skipStep(job.id, s.no, s.name, why);
}
