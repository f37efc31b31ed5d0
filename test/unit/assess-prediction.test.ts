import { test } from "node:test";
import assert from "node:assert/strict";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { assess } from "../../src/assess/assess.js";
import { predictCell, predictionLine, summarisePredictions } from "../../src/assess/prediction.js";
import { hostonlyFacts } from "../support/guest-facts.js";

// A MODULES=list virtio initramfs on kvm, assessed for kvm and vmware: critical on vmware
// (no vmw_pvscsi), a NIC change (warning) on both.
const a = assess({ source: "g on kvm", inventory: null, facts: hostonlyFacts(), sourceFamily: getFamily("kvm") }, [getFamily("kvm"), getFamily("vmware")]);

test("a cell's prediction is the worst predicted verdict of its family's concerns, each predicted test set against the observed one", () => {
  const vm = predictCell(a, "vmware", { verdict: "FAILURE", tests: [] });
  assert.equal(vm.verdict, "FAILURE");
  assert.equal(vm.hit, true);
  const c = vm.concerns.find((x) => x.id === "initramfs-lacks-disk-driver")!;
  assert.deepEqual(c.predicts, [{ test: "1.1.a", verdict: "FAILURE", observed: null }]);
  const kvm = predictCell(a, "kvm", { verdict: "WARNING", tests: [{ id: "2.3.a", verdict: "WARNING" }] });
  assert.equal(kvm.verdict, "WARNING");
  assert.equal(kvm.concerns.find((x) => x.id === "nic-identity-changes")!.predicts[0]!.observed, "WARNING");
  assert.equal(predictCell(a, "kvm", { verdict: null, tests: [] }).hit, null, "no result yet: neither hit nor miss");
});

test("precision and recall of FAILURE and WARNING cells count hits, false alarms and misses", () => {
  const p = (verdict: "FAILURE" | "WARNING" | "SUCCESS") => ({ verdict, ruleset: "tiosa-assess/1", concerns: [], hit: null });
  const s = summarisePredictions([
    { prediction: p("FAILURE"), verdict: "FAILURE" },
    { prediction: p("FAILURE"), verdict: "FAILURE" },
    { prediction: p("FAILURE"), verdict: "WARNING" }, // false alarm for FAILURE, a miss for WARNING
    { prediction: p("WARNING"), verdict: "FAILURE" }, // a missed FAILURE
    { prediction: p("WARNING"), verdict: "WARNING" },
    { prediction: p("SUCCESS"), verdict: "SUCCESS" },
    { prediction: null, verdict: "FAILURE" }, // no assessment: not counted
    { prediction: p("FAILURE"), verdict: null }, // no result: not counted
  ]);
  assert.equal(s.cells, 6);
  assert.equal(s.hits, 4);
  assert.deepEqual(s.failure, { truePositives: 2, falsePositives: 1, falseNegatives: 1, precision: 2 / 3, recall: 2 / 3 });
  assert.deepEqual(s.warning, { truePositives: 1, falsePositives: 1, falseNegatives: 1, precision: 0.5, recall: 0.5 });
  assert.match(predictionLine(s), /4 of 6 cells as predicted; FAILURE precision 0\.67 \(2\/3\), recall 0\.67 \(2\/3\); WARNING precision 0\.50 \(1\/2\), recall 0\.50 \(1\/2\)/);
  assert.equal(summarisePredictions([]).failure.precision, null, "nothing predicted: no precision, not 0");
});

test("a predicted test result counts as Table IV aggregates it: a Suspend FAILURE makes a WARNING cell, a Launch or OS test FAILURE a FAILURE", async () => {
  const { cellEffect } = await import("../../src/assess/prediction.js");
  assert.equal(cellEffect({ test: "1.1.e", verdict: "FAILURE" }), "WARNING");
  assert.equal(cellEffect({ test: "1.1.a", verdict: "FAILURE" }), "FAILURE");
  assert.equal(cellEffect({ test: "1.1.g", verdict: "FAILURE" }), "FAILURE");
  assert.equal(cellEffect({ test: "2.3.b", verdict: "FAILURE" }), "FAILURE");
  assert.equal(cellEffect({ test: "2.3.a", verdict: "WARNING" }), "WARNING");
  const onKvmFacts = assess({ source: "g", inventory: null, facts: hostonlyFacts(), sourceFamily: getFamily("kvm") }, [getFamily("kvm")], { keepsMac: true });
  assert.equal(predictCell(onKvmFacts, "kvm", { verdict: "SUCCESS", tests: [] }).verdict, "SUCCESS", "same hardware, MAC kept: nothing predicted");
});

test("a predicted test the campaign's rules waive does not count toward the cell, and is shown as waived", () => {
  const onVmware = assess({ source: "g", inventory: null, facts: null, sourceFamily: getFamily("vmware") }, [getFamily("vmware")], { keepsMac: true });
  const p = predictCell(onVmware, "vmware", { verdict: "SUCCESS", tests: [{ id: "1.1.e", verdict: "FAILURE", waived: { justification: "QEMU cannot save a vmdk VM" } }, { id: "1.1.f", verdict: "FAILURE", waived: { justification: "same" } }] });
  assert.equal(p.verdict, "SUCCESS");
  assert.equal(p.hit, true);
  assert.equal(p.concerns.find((c) => c.id === "emulated-suspend")!.predicts[0]!.observed, "FAILURE (waived)");
});
