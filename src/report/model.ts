import { readFileSync, statSync, openSync, readSync, closeSync } from "node:fs";
import type { StepTiming } from "../util/time-ledger.js";
import { campaignTime, jobTime, type CampaignTime, type JobTime } from "./time.js";
import type { RunStore, StepRecord, EvidenceRecord, JobRecord } from "../campaign/store.js";
import type { Plan, CaseJob } from "../campaign/plan.js";
import { SEQUENCE2_STEPS, readinessId } from "../campaign/plan.js";
import { routeStability, type CycleOutcome, type Stability } from "../campaign/stability.js";
import { classifyFailure, CAUSE_LABELS, type Cause, type CauseClass, type CauseEvidence } from "../campaign/causes.js";
import { cellVerdict, type CellStatus } from "../campaign/matrix.js";
import { worst, type Verdict } from "../method/verdict.js";
import type { Aggregate, TestRow } from "../evaluate/types.js";
import { BUILTIN_FAMILIES } from "../hypervisor/families/index.js";
import { RECIPES } from "../images/recipes/index.js";
import type { Assessment } from "../assess/assess.js";
import { predictCell, summarisePredictions, type CellPrediction, type PredictionSummary } from "../assess/prediction.js";
import { ASSESSMENT_EVIDENCE } from "../campaign/steps/assessment.js";

/**
 * The report model: everything a reporter prints, computed once from a run's store.
 * Reporters (src/report/reporters/) only format it.
 */

export const REPORT_FORMAT = "tiosa-report/1";
/** Console evidence is shown as its last lines; a screenshot larger than this is linked, not embedded. */
const CONSOLE_TAIL_LINES = 40;
const CONSOLE_TAIL_BYTES = 16 * 1024;
const MAX_EMBEDDED_IMAGE_BYTES = 2 * 1024 * 1024;

export interface EvidenceView {
  kind: string;
  stepNo: number | null;
  jobId: string;
  text: string | null;
  /** Absolute path of the file, when the evidence is a file. */
  path: string | null;
  /** `data:image/png;base64,...` for screenshots small enough to embed. */
  dataUri: string | null;
}

export interface StepView {
  no: number;
  name: string;
  state: StepRecord["state"] | "not run";
  durationMs: number | null;
  detail: string | null;
  bytesRead: number | null;
  bytesWritten: number | null;
  /** Where the step's time went (null when not recorded). */
  timing: StepTiming | null;
}

export interface CycleReport {
  cycle: number;
  caseId: string;
  state: JobRecord["state"];
  verdict: Verdict | null;
  failedStep: { no: number; name: string; detail: string | null } | null;
  steps: StepView[];
  /** This cycle's per-test results (empty when it stopped before step 11). */
  tests: TestRow[];
  /** Where the case's time went (steps 4-11), and its source capture's (steps 1-3, shared with the other cases of that source). */
  time: JobTime | null;
  captureTime: JobTime | null;
}

export interface RouteReport {
  id: string;
  name: string;
  steps: string[];
  verdict: Verdict | null;
  stability: Stability;
  cycles: CycleReport[];
  /** The tests of the cycle the route counts as (its worst). */
  tests: TestRow[];
  aggregates: { hypervisor: Aggregate; os: Aggregate; overall: Aggregate } | null;
  cause: Cause | null;
  evidence: EvidenceView[];
}

export interface CellReport {
  id: string;
  guest: string;
  hs: string;
  hut: string;
  hsFamily: string;
  hutFamily: string;
  status: CellStatus;
  verdict: Verdict | null;
  /** What the matrix prints: the verdict, NO ROUTE or NO RESULT. */
  label: string;
  unstable: boolean;
  bestRoute: string | null;
  routes: RouteReport[];
  cause: Cause | null;
  /** What the assessment of the source, made before the move, predicted for this cell (docs/assess.md). */
  prediction: CellPrediction | null;
}

export interface GuestMatrix {
  guest: string;
  source: string;
  /** Rows: source hypervisors (HS); columns: hypervisors under test (HUT). */
  hs: string[];
  hut: string[];
  /** cells[hs][hut] = cell id, absent on the diagonal and for pairs not planned. */
  cells: Record<string, Record<string, string>>;
}

export interface Summary {
  paths: number;
  successful: number;
  warnings: number;
  failures: number;
  /** Cells with no finished cycle yet. */
  withoutResult: number;
  unstable: number;
  failuresByCause: Record<CauseClass, number>;
  /** How right the predictions were: precision and recall of FAILURE and WARNING cells. */
  predictions: PredictionSummary;
  /** Figure 6's sentence. */
  text: string;
}

export interface ReportModel {
  format: typeof REPORT_FORMAT;
  run: {
    id: string; dir: string; campaign: string; startedAt: string; finishedAt: string | null; state: string;
    tiosaVersion: string; specHash: string; attempts: number; complete: boolean;
  };
  cycles: number;
  hypervisors: { name: string; uri: string; family: string; standsFor: string | null; description: string | null; accel: string | null }[];
  emulationNote: string;
  sequence1: { hypervisor: string; state: string; detail: string | null }[];
  progress: { jobs: number; done: number; failed: number; running: number; pending: number };
  guests: GuestMatrix[];
  cells: CellReport[];
  summary: Summary;
  /** Where the campaign's time went: per case and capture (medians), and all jobs together. */
  time: CampaignTime;
  /** Worst verdict over the cells with a result: the exit status of `tiosa report`. */
  verdict: Verdict;
}

export const cellId = (guest: string, hs: string, hut: string) => `${guest}/${hs}->${hut}`;

function consoleTail(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-CONSOLE_TAIL_LINES).join("\n");
}

function readTail(path: string): string | null {
  try {
    const size = statSync(path).size;
    const n = Math.min(size, CONSOLE_TAIL_BYTES);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, "r");
    try { readSync(fd, buf, 0, n, size - n); } finally { closeSync(fd); }
    return buf.toString("utf8");
  } catch {
    return null;
  }
}

function evidenceView(store: RunStore, e: EvidenceRecord): EvidenceView {
  const path = store.evidencePath(e);
  let text = e.text;
  let dataUri: string | null = null;
  if (path && (e.kind === "console" || e.kind === "guest-agent" || e.kind === "log")) text = readTail(path);
  if (text !== null && e.kind === "console") text = consoleTail(text);
  if (path && e.kind === "screenshot") {
    try {
      if (statSync(path).size <= MAX_EMBEDDED_IMAGE_BYTES) {
        const data = readFileSync(path);
        const mime = data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ? "image/png"
          : data.subarray(0, 2).equals(Buffer.from([0xff, 0xd8])) ? "image/jpeg" : null;
        if (mime) dataUri = `data:${mime};base64,${data.toString("base64")}`;
      }
    } catch { /* a missing file is shown as its path */ }
  }
  return { kind: e.kind, stepNo: e.stepNo, jobId: e.jobId, text, path, dataUri };
}

const familyInfo = (name: string) => BUILTIN_FAMILIES.find((f) => f.name === name) ?? null;

/**
 * A guest from one of tiosa's images, with what the image is: the personalities are Debian
 * configured like another distribution, and the report says so next to their name.
 */
export function describeSource(source: string): string {
  const image = /^image (\S+)$/.exec(source)?.[1];
  const recipe = image ? RECIPES.find((r) => r.name === image) : undefined;
  return recipe ? `${source}: ${recipe.description}` : source;
}

export function emulationNote(families: string[], accel: string | null): string {
  const others = families.filter((f) => f !== "kvm");
  return [
    `Every hypervisor of this campaign runs its guests on QEMU${accel ? ` (accelerator: ${accel})` : ""}.`,
    families.includes("kvm") ? "The kvm family is this host's own hypervisor's hardware." : "",
    others.length
      ? `The ${others.join(", ")} famil${others.length > 1 ? "ies are" : "y is"} that hypervisor's virtual hardware (machine, disk controller, NIC, video, image format) emulated on QEMU, not the vendor's hypervisor: results say how the guest copes with that hardware and format, not how the vendor's product behaves.`
      : "",
  ].filter(Boolean).join(" ");
}

/** Builds the model of a run as it stands (finished or not). */
export function buildReportModel(store: RunStore): ReportModel {
  const run = store.run();
  const plan: Plan = store.plan();
  const jobs = new Map(store.jobs().map((j) => [j.id, j]));
  const allSteps = store.steps();
  const stepsOf = new Map<string, StepRecord[]>();
  for (const s of allSteps) (stepsOf.get(s.jobId) ?? stepsOf.set(s.jobId, []).get(s.jobId)!).push(s);
  const allEvidence = store.evidence();
  // The assessment is the capture's prediction, shown as such, not as evidence of a case.
  const evidenceOf = (jobId: string) => allEvidence.filter((e) => e.jobId === jobId && e.kind !== ASSESSMENT_EVIDENCE).map((e) => evidenceView(store, e));
  const assessments = new Map<string, Assessment>();
  for (const e of allEvidence) {
    if (e.kind !== ASSESSMENT_EVIDENCE || !e.text || assessments.has(e.jobId)) continue;
    try { assessments.set(e.jobId, JSON.parse(e.text) as Assessment); } catch { /* a damaged row predicts nothing */ }
  }
  const familyOf = new Map(plan.hypervisors.map((h) => [h.name, h.family]));

  const caseJobs = plan.jobs.filter((j): j is CaseJob => j.kind === "case");
  let accel: string | null = null;

  const cycleReport = (cj: CaseJob): { report: CycleReport; outcome: CycleOutcome; evidence: EvidenceView[] } => {
    const job = jobs.get(cj.id);
    const capture = jobs.get(cj.captureId);
    const recorded = [...(stepsOf.get(cj.captureId) ?? []), ...(stepsOf.get(cj.id) ?? [])];
    const steps: StepView[] = SEQUENCE2_STEPS.map((d) => {
      const s = recorded.find((r) => r.no === d.no);
      return s ? { no: d.no, name: d.name, state: s.state, durationMs: s.durationMs, detail: s.detail, bytesRead: s.bytesRead, bytesWritten: s.bytesWritten, timing: s.timing }
        : { no: d.no, name: d.name, state: "not run", durationMs: null, detail: null, bytesRead: null, bytesWritten: null, timing: null };
    });
    const failed = steps.find((s) => s.state === "failed");
    const evaluation = store.evaluation(cj.id);
    const target = store.snapshot(cj.id, "target");
    accel ??= target?.subject?.accel ?? null;
    // A case whose shared capture or Sequence 1 readiness failed cannot run: it has failed.
    const cannotRun = capture?.state === "failed" || [cj.hs, cj.hut].some((h) => jobs.get(readinessId(h))?.state === "failed");
    const state = job?.state === "pending" && cannotRun ? "failed" : job?.state ?? "pending";
    let verdict: Verdict | null = null;
    if (evaluation) verdict = evaluation.verdict;
    else if (state === "failed" || failed) verdict = "FAILURE";
    const failedStep = !evaluation && failed ? { no: failed.no, name: failed.name, detail: failed.detail } : null;
    const evidence = [...evidenceOf(cj.captureId), ...evidenceOf(cj.id)];
    return {
      report: {
        cycle: cj.cycle, caseId: cj.id, state, verdict, failedStep, steps, tests: evaluation?.tests ?? [],
        time: jobTime(stepsOf.get(cj.id) ?? []), captureTime: jobTime(stepsOf.get(cj.captureId) ?? []),
      },
      outcome: { cycle: cj.cycle, verdict, evaluation, failedStep },
      evidence,
    };
  };

  const cells: CellReport[] = plan.cells.map((pc) => {
    const hsFamily = familyOf.get(pc.hs) ?? "?";
    const hutFamily = familyOf.get(pc.hut) ?? "?";
    const routes: RouteReport[] = pc.routes.map((r) => {
      const cycles = caseJobs.filter((j) => j.guest === pc.guest && j.hs === pc.hs && j.hut === pc.hut && j.route.id === r.id).sort((a, b) => a.cycle - b.cycle).map(cycleReport);
      const stability = routeStability(cycles.map((c) => c.outcome));
      const worstC = cycles.find((c) => c.report.cycle === stability.worstCycle);
      const evaluation = worstC?.outcome.evaluation ?? null;
      const evidence = worstC?.evidence ?? [];
      let cause: Cause | null = null;
      if (stability.verdict === "FAILURE" && worstC) {
        const steps = worstC.report.steps.filter((s) => s.state !== "not run").map((s) => ({ no: s.no, name: s.name, state: s.state, detail: s.detail }));
        const notReady = [pc.hs, pc.hut].map((h) => jobs.get(readinessId(h))).find((j) => j?.state === "failed");
        cause = classifyFailure({
          steps, evaluation, target: store.snapshot(worstC.report.caseId, "target"),
          ...(notReady ? { notReady: { hypervisor: notReady.hs ?? "?", detail: stepsOf.get(notReady.id)?.find((s) => s.state === "failed")?.detail ?? notReady.detail ?? null } } : {}),
          jobDetail: jobs.get(worstC.report.caseId)?.detail ?? null,
          evidence: evidence.map((e): CauseEvidence => ({ kind: e.kind, stepNo: e.stepNo, ...(e.text !== null ? { text: e.text } : {}), ...(e.path !== null ? { path: e.path } : {}) })),
        });
      }
      return {
        id: r.id, name: r.name, steps: r.steps, verdict: stability.verdict, stability,
        cycles: cycles.map((c) => c.report), tests: evaluation?.tests ?? [],
        aggregates: evaluation ? { hypervisor: evaluation.hypervisor, os: evaluation.os, overall: evaluation.overall } : null,
        cause, evidence,
      };
    });
    const reached = (r: RouteReport) => {
      const wc = r.cycles.find((x) => x.cycle === r.stability.worstCycle);
      return wc ? Math.max(0, ...wc.steps.filter((s) => s.state === "done").map((s) => s.no)) : 0;
    };
    const cv = cellVerdict(routes.map((r) => ({ route: r.id, verdict: r.verdict, stable: r.stability.stable, reached: reached(r) })));
    const best = routes.find((r) => r.id === cv.bestRoute);
    const cause = cv.status === "no-route"
      ? classifyFailure({ noRoute: { fromFamily: hsFamily, toFamily: hutFamily }, steps: [], evaluation: null, target: null, evidence: [] })
      : cv.verdict === "FAILURE" ? best?.cause ?? null : null;
    // The first cycle's capture of this source that recorded an assessment.
    const captureIds = plan.jobs.filter((j) => j.kind === "capture" && j.guest === pc.guest && j.hs === pc.hs).sort((a, b) => (a.kind === "capture" && b.kind === "capture" ? a.cycle - b.cycle : 0)).map((j) => j.id);
    const assessment = captureIds.map((id) => assessments.get(id)).find((a) => a !== undefined);
    const observedVerdict = cv.status === "result" ? cv.verdict : null;
    const prediction = assessment ? predictCell(assessment, hutFamily, { verdict: observedVerdict, tests: best?.tests ?? [] }) : null;
    return {
      id: cellId(pc.guest, pc.hs, pc.hut), guest: pc.guest, hs: pc.hs, hut: pc.hut, hsFamily, hutFamily,
      status: cv.status, verdict: cv.verdict,
      label: cv.status === "no-route" ? "NO ROUTE" : cv.status === "pending" ? "NO RESULT" : cv.verdict!,
      unstable: routes.some((r) => !r.stability.stable), bestRoute: cv.bestRoute, routes, cause, prediction,
    };
  });

  const guests: GuestMatrix[] = plan.guests.map((g) => {
    const mine = cells.filter((c) => c.guest === g.name);
    const order = plan.hypervisors.map((h) => h.name);
    const hs = order.filter((h) => mine.some((c) => c.hs === h));
    const hut = order.filter((h) => mine.some((c) => c.hut === h));
    const m: Record<string, Record<string, string>> = {};
    for (const c of mine) (m[c.hs] ??= {})[c.hut] = c.id;
    return { guest: g.name, source: describeSource(g.source), hs, hut, cells: m };
  });

  const withResult = cells.filter((c) => c.status !== "pending");
  const failuresByCause: Record<CauseClass, number> = { tool: 0, os: 0, hypervisor: 0 };
  for (const c of withResult) if (c.verdict === "FAILURE" && c.cause) failuresByCause[c.cause.class]++;
  const count = (v: Verdict) => withResult.filter((c) => c.verdict === v).length;
  const summary: Summary = {
    paths: cells.length, successful: count("SUCCESS"), warnings: count("WARNING"), failures: count("FAILURE"),
    withoutResult: cells.length - withResult.length, unstable: cells.filter((c) => c.unstable).length, failuresByCause,
    predictions: summarisePredictions(cells.map((c) => ({ prediction: c.prediction, verdict: c.status === "result" ? c.verdict : null }))), text: "",
  };
  const causes = (Object.keys(failuresByCause) as CauseClass[]).map((k) => `${failuresByCause[k]} ${CAUSE_LABELS[k]}`).join(", ");
  summary.text = `${summary.paths} paths: ${summary.successful} successful, ${summary.warnings} with warnings, ${summary.failures} failures`
    + (summary.failures ? `; failures by cause: ${causes}` : "")
    + (summary.withoutResult ? `; ${summary.withoutResult} without a result yet` : "")
    + (summary.unstable ? `; ${summary.unstable} unstable` : "");

  const jobList = [...jobs.values()];
  const progress = {
    jobs: jobList.length,
    done: jobList.filter((j) => j.state === "done").length,
    failed: jobList.filter((j) => j.state === "failed").length,
    running: jobList.filter((j) => j.state === "running").length,
    pending: jobList.filter((j) => j.state === "pending").length,
  };
  const sequence1 = plan.jobs.filter((j) => j.kind === "readiness").map((j) => {
    const rec = jobs.get(j.id);
    const step = stepsOf.get(j.id)?.[0];
    return { hypervisor: j.kind === "readiness" ? j.hypervisor : "", state: rec?.state ?? "pending", detail: step?.detail ?? rec?.detail ?? null };
  });
  const families = [...new Set(plan.hypervisors.map((h) => h.family))];

  return {
    format: REPORT_FORMAT,
    run: {
      id: run.id, dir: run.dir, campaign: run.campaign, startedAt: run.startedAt, finishedAt: run.finishedAt, state: run.state,
      tiosaVersion: run.tiosaVersion, specHash: run.specHash, attempts: run.attempts,
      complete: progress.pending === 0 && progress.running === 0 && summary.withoutResult === 0,
    },
    cycles: plan.cycles,
    hypervisors: plan.hypervisors.map((h) => {
      const f = familyInfo(h.family);
      return { ...h, standsFor: f?.standsFor ?? null, description: f?.description ?? null, accel };
    }),
    emulationNote: emulationNote(families, accel),
    sequence1,
    progress,
    guests,
    cells,
    summary,
    time: campaignTime(plan.jobs.flatMap((j) => (j.kind === "readiness" ? [] : [{ kind: j.kind, steps: stepsOf.get(j.id) ?? [] }]))),
    verdict: withResult.length ? worst(withResult.map((c) => c.verdict!)) : "FAILURE",
  };
}
