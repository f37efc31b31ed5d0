import { worst, type Verdict } from "../method/verdict.js";
import type { Assessment } from "./assess.js";
import type { Severity } from "./concern.js";

/**
 * Predict, then prove: what the assessment made before the move said about one cell, against
 * what the campaign then observed. Pure, so the report's figures are tested without a VM.
 */

export interface PredictedConcern {
  id: string;
  severity: Severity;
  detail: string;
  /** Each predicted test with the verdict the cell's case then gave it (N/A included; null: the test did not run). */
  predicts: { test: string; verdict: "FAILURE" | "WARNING"; observed: string | null }[];
}

export interface CellPrediction {
  /**
   * The cell verdict the predicted tests give under Table IV: a FAILURE of Launch (1.1.a),
   * Terminate (1.1.g) or any OS test (2.x) fails the cell; another hypervisor test's FAILURE,
   * or any WARNING, makes it a WARNING; SUCCESS when no concern predicts a test.
   */
  verdict: Verdict;
  ruleset: string;
  concerns: PredictedConcern[];
  /** Predicted verdict = observed verdict (null while the cell has no result). */
  hit: boolean | null;
}

/** What one predicted test result does to its cell (Table IV's aggregation rules 3.1-3.3). */
export function cellEffect(p: { test: string; verdict: "FAILURE" | "WARNING" }): Verdict {
  if (p.verdict === "WARNING") return "WARNING";
  return p.test === "1.1.a" || p.test === "1.1.g" || p.test.startsWith("2.") ? "FAILURE" : "WARNING";
}

/** The concerns of `a` for HUT family `family`, set against the cell's observed verdict and tests. */
export function predictCell(a: Assessment, family: string, observed: { verdict: Verdict | null; tests: { id: string; verdict: string; waived?: unknown }[] }): CellPrediction {
  const concerns: PredictedConcern[] = a.concerns.filter((c) => c.families.includes(family)).map((c) => ({
    id: c.id, severity: c.severity, detail: c.detail,
    predicts: c.predicts.map((p) => {
      const row = observed.tests.find((t) => t.id === p.test);
      return { ...p, observed: row ? `${row.verdict}${row.waived ? " (waived)" : ""}` : null };
    }),
  }));
  // A test the campaign's rules waive leaves the cell's aggregation: so does its prediction.
  const waived = new Set(observed.tests.filter((t) => t.waived).map((t) => t.id));
  const predicted = concerns.flatMap((c) => c.predicts.filter((p) => !waived.has(p.test)).map(cellEffect));
  const verdict: Verdict = predicted.length ? worst(predicted) : "SUCCESS";
  return { verdict, ruleset: a.ruleset, concerns, hit: observed.verdict === null ? null : observed.verdict === verdict };
}

export interface PrecisionRecall {
  /** Cells predicted and observed with this verdict, predicted only, observed only. */
  truePositives: number; falsePositives: number; falseNegatives: number;
  /** null when nothing was predicted (precision) or observed (recall) with this verdict. */
  precision: number | null; recall: number | null;
}

export interface PredictionSummary {
  ruleset: string | null;
  /** Cells with both a prediction and a result. */
  cells: number;
  hits: number;
  failure: PrecisionRecall;
  warning: PrecisionRecall;
}

/** Precision and recall of the predicted FAILURE and WARNING cells against the observed ones. */
export function summarisePredictions(cells: { prediction: CellPrediction | null; verdict: Verdict | null }[]): PredictionSummary {
  const judged = cells.filter((c): c is { prediction: CellPrediction; verdict: Verdict } => c.prediction !== null && c.verdict !== null);
  const pr = (v: Verdict): PrecisionRecall => {
    const tp = judged.filter((c) => c.prediction.verdict === v && c.verdict === v).length;
    const fp = judged.filter((c) => c.prediction.verdict === v && c.verdict !== v).length;
    const fn = judged.filter((c) => c.prediction.verdict !== v && c.verdict === v).length;
    return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: tp + fp ? tp / (tp + fp) : null, recall: tp + fn ? tp / (tp + fn) : null };
  };
  return {
    ruleset: judged[0]?.prediction.ruleset ?? null, cells: judged.length, hits: judged.filter((c) => c.prediction.verdict === c.verdict).length,
    failure: pr("FAILURE"), warning: pr("WARNING"),
  };
}

const pct = (x: number | null) => (x === null ? "n/a" : x.toFixed(2));

/** One line, as the reports print it. */
export function predictionLine(s: PredictionSummary): string {
  if (!s.cells) return "Predictions: none (no cell has both an assessment and a result)";
  const one = (name: string, p: PrecisionRecall) => `${name} precision ${pct(p.precision)} (${p.truePositives}/${p.truePositives + p.falsePositives}), recall ${pct(p.recall)} (${p.truePositives}/${p.truePositives + p.falseNegatives})`;
  return `Predictions (${s.ruleset}, made before each move): ${s.hits} of ${s.cells} cells as predicted; ${one("FAILURE", s.failure)}; ${one("WARNING", s.warning)}`;
}
