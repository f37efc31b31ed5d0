import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { RunStore } from "../../src/campaign/store.js";
import { buildReportModel, type ReportModel } from "../../src/report/model.js";
import { getReporter } from "../../src/report/index.js";
import { writeFixtureRun, type FixtureRun } from "../support/report-fixtures.js";

// Invented outcomes (test/support/report-fixtures.ts) with, per source capture, the real
// assess() of recorded facts (a MODULES=list virtio initramfs): a test of the reports, not results.
describe("reports: predicted (before the move) against observed", () => {
  let f: FixtureRun;
  let m: ReportModel;
  before(() => {
    f = writeFixtureRun({ withAssessment: true });
    const s = RunStore.open(f.runDir, { readonly: true });
    try { m = buildReportModel(s); } finally { s.close(); }
  });
  after(() => f.cleanup());

  it("every cell of a source with an assessment carries its prediction for that HUT's family", () => {
    const c = m.cells.find((x) => x.id === "debian-12/kvm->vmware")!;
    assert.equal(c.prediction!.verdict, "FAILURE", "no vmw_pvscsi in the recorded initramfs");
    assert.ok(c.prediction!.concerns.some((x) => x.id === "initramfs-lacks-disk-driver"));
    assert.equal(c.prediction!.hit, c.verdict === "FAILURE");
    assert.ok(m.cells.filter((x) => x.status === "result").every((x) => x.prediction !== null));
  });

  it("the assessment is the capture's prediction, not a case's evidence", () => {
    for (const c of m.cells) for (const r of c.routes) assert.ok(!r.evidence.some((e) => e.kind === "assessment"), c.id);
  });

  it("the summary has precision and recall, computed from the cells", () => {
    const p = m.summary.predictions;
    const judged = m.cells.filter((c) => c.prediction && c.status === "result");
    assert.equal(p.cells, judged.length);
    const tp = judged.filter((c) => c.prediction!.verdict === "FAILURE" && c.verdict === "FAILURE").length;
    assert.equal(p.failure.truePositives, tp);
    assert.equal(p.ruleset, "tiosa-assess/1");
  });

  it("table, md and html print the precision line and each cell's prediction; json carries the model", () => {
    const table = getReporter("table")!.render(m);
    assert.match(table, /Predictions \(tiosa-assess\/1, made before each move\): \d+ of \d+ cells as predicted; FAILURE precision/);
    assert.match(table, /predicted FAILURE by initramfs-lacks-disk-driver \(1\.1\.a FAILURE/);
    assert.match(getReporter("md")!.render(m), /\*\*Prediction\*\*: predicted /);
    assert.match(getReporter("html")!.render(m), /id="predictions"/);
    const json = JSON.parse(getReporter("json")!.render(m)) as ReportModel;
    assert.equal(json.summary.predictions.cells, m.summary.predictions.cells);
  });

  it("a run without assessments (older runs) has no prediction and prints no prediction line", () => {
    const g = writeFixtureRun();
    try {
      const s = RunStore.open(g.runDir, { readonly: true });
      let plain: ReportModel;
      try { plain = buildReportModel(s); } finally { s.close(); }
      assert.ok(plain.cells.every((c) => c.prediction === null));
      assert.doesNotMatch(getReporter("table")!.render(plain), /Predictions/);
    } finally {
      g.cleanup();
    }
  });
});
