import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { aggregateHypervisor, aggregateOs, aggregateOverall } from "../../src/evaluate/aggregate.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import type { Aggregate, TestRow } from "../../src/evaluate/types.js";
import { baseSnapshot, variant } from "../support/snapshots.js";

const r = (id: string, verdict: TestRow["verdict"], level: TestRow["level"] = id.startsWith("1.") ? "hypervisor" : "os", extra: Partial<TestRow> = {}): TestRow =>
  ({ id, name: id, level, verdict, source: "", target: "", reason: "", ...extra });

describe("3.1.a hypervisor aggregation", () => {
  const cases: [string, TestRow[], string][] = [
    ["all successful", [r("1.1.a", "SUCCESS"), r("1.1.g", "SUCCESS"), r("1.2.b", "SUCCESS")], "SUCCESS"],
    ["Attach Volume failed: only WARNING, as the paper's 'otherwise'", [r("1.1.a", "SUCCESS"), r("1.1.g", "SUCCESS"), r("1.2.b", "FAILURE")], "WARNING"],
    ["Launch failed", [r("1.1.a", "FAILURE"), r("1.1.g", "SUCCESS")], "FAILURE"],
    ["Terminate failed", [r("1.1.a", "SUCCESS"), r("1.1.g", "FAILURE")], "FAILURE"],
    ["failed Launch waived leaves the aggregation", [r("1.1.a", "FAILURE", "hypervisor", { waived: { justification: "x" } }), r("1.1.g", "SUCCESS")], "SUCCESS"],
    ["N/A rows are left out", [r("1.1.a", "SUCCESS"), r("1.5.a", "N/A")], "SUCCESS"],
    ["nothing compared", [r("1.5.a", "N/A")], "N/A"],
  ];
  for (const [label, rows, expected] of cases) it(`${label} -> ${expected}`, () => assert.equal(aggregateHypervisor(rows).verdict, expected));
});

describe("3.2.a OS aggregation", () => {
  const cases: [string, TestRow[], string][] = [
    ["all successful", [r("2.1.a", "SUCCESS"), r("app:web", "SUCCESS", "application")], "SUCCESS"],
    ["a warning", [r("2.1.a", "SUCCESS"), r("2.3.a", "WARNING")], "WARNING"],
    ["a failure beats a warning", [r("2.3.a", "WARNING"), r("2.3.b", "FAILURE")], "FAILURE"],
    ["an application failure counts", [r("2.1.a", "SUCCESS"), r("app:web", "FAILURE", "application")], "FAILURE"],
    ["a waived failure leaves the aggregation", [r("2.1.a", "SUCCESS"), r("2.3.b", "FAILURE", "os", { waived: { justification: "IPs do not matter" } })], "SUCCESS"],
  ];
  for (const [label, rows, expected] of cases) it(`${label} -> ${expected}`, () => assert.equal(aggregateOs(rows).verdict, expected));
  it("a test that could not be performed on the target fails the OS aggregation", () => {
    const e = evaluate(baseSnapshot(), variant((s) => { s.guest!.routes = null; }));
    assert.equal(e.os.verdict, "FAILURE");
    assert.match(e.os.reason, /2\.3\.d/);
  });
});

describe("3.3.a overall aggregation", () => {
  const a = (id: Aggregate["id"], verdict: Aggregate["verdict"]): Aggregate => ({ id, verdict, reason: "" });
  const cases: [string, string, string, string][] = [
    ["SUCCESS", "SUCCESS", "SUCCESS", "both successful"],
    ["SUCCESS", "WARNING", "WARNING", "one warning"],
    ["WARNING", "FAILURE", "FAILURE", "failure takes precedence over warning"],
    ["FAILURE", "SUCCESS", "FAILURE", "hypervisor failure"],
    ["N/A", "WARNING", "WARNING", "hypervisor not compared"],
    ["N/A", "N/A", "N/A", "nothing compared"],
  ];
  for (const [h, o, expected, label] of cases) {
    it(`${label}: 3.1=${h}, 3.2=${o} -> ${expected}`, () =>
      assert.equal(aggregateOverall(a("3.1.a", h as Aggregate["verdict"]), a("3.2.a", o as Aggregate["verdict"])).verdict, expected));
  }
  it("an evaluation where nothing could be compared is a FAILURE, not a success", () => {
    const empty = variant((s) => { s.hypervisorTests = {}; s.guest = null; });
    assert.equal(evaluate(empty, empty).verdict, "FAILURE");
  });
  it("a renamed NIC on an otherwise identical target gives WARNING overall", () => {
    const e = evaluate(baseSnapshot(), variant((s) => { s.guest!.interfaces![0]!.name = "ens4"; s.guest!.routes!.forEach((x) => { x.device = "ens4"; }); }));
    assert.equal(e.verdict, "WARNING");
    assert.deepEqual(e.tests.filter((t) => t.verdict === "WARNING").map((t) => t.id), ["2.3.a", "2.3.d"]);
  });
});
