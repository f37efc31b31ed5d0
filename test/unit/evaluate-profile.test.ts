import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRulesProfile, DEFAULT_PROFILE } from "../../src/evaluate/profile.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { UserError } from "../../src/errors.js";
import { baseSnapshot, variant } from "../support/snapshots.js";

const renamedAndReaddressed = variant((s) => {
  s.guest!.interfaces![0]!.name = "ens4";
  s.guest!.interfaces![0]!.addresses = ["10.0.2.16/24"];
  s.guest!.routes!.forEach((r) => { r.device = "ens4"; });
});

function rejects(yaml: string, pattern: RegExp) {
  assert.throws(() => parseRulesProfile(yaml, "ops.yaml"), (e: unknown) => e instanceof UserError && pattern.test(e.message));
}

describe("rules profile", () => {
  it("an empty file gives the paper's default rules", () => {
    assert.deepEqual(parseRulesProfile("", "empty.yaml"), DEFAULT_PROFILE);
    assert.equal(DEFAULT_PROFILE.thresholds.icmp.success.rttBelowMs, 3000);
    assert.equal(DEFAULT_PROFILE.thresholds.memory.warnDeviationPercent, 10);
  });

  it("a waiver takes the test out of the aggregation but keeps it visible", () => {
    const p = parseRulesProfile(`waivers:\n  - test: "2.3.b"\n    justification: the app resolves peers by name\n`, "ops.yaml");
    const e = evaluate(baseSnapshot(), variant((s) => { s.guest!.interfaces![0]!.addresses = []; }), { profile: p, now: new Date("2026-11-23") });
    const row = e.tests.find((t) => t.id === "2.3.b")!;
    assert.equal(row.verdict, "FAILURE");
    assert.equal(row.waived?.justification, "the app resolves peers by name");
    assert.equal(e.os.verdict, "SUCCESS");
  });

  it("an expired waiver no longer applies and is reported", () => {
    const p = parseRulesProfile(`waivers:\n  - test: "2.3.*"\n    justification: temporary\n    expires: 2026-01-31\n`, "ops.yaml");
    const e = evaluate(baseSnapshot(), renamedAndReaddressed, { profile: p, now: new Date("2026-11-23") });
    assert.equal(e.tests.find((t) => t.id === "2.3.a")!.waived, undefined);
    assert.equal(e.verdict, "WARNING");
    assert.deepEqual(e.expiredWaivers, ["2.3.* (expired 2026-01-31)"]);
  });

  it("a waiver valid until a future day applies", () => {
    const p = parseRulesProfile(`waivers:\n  - test: "2.3.*"\n    justification: renumbering planned\n    expires: 2026-11-23\n`, "ops.yaml");
    const e = evaluate(baseSnapshot(), renamedAndReaddressed, { profile: p, now: new Date("2026-11-23") });
    assert.equal(e.verdict, "SUCCESS");
  });

  it("a severity cap lowers a verdict and records the rule's own verdict (the paper's IP-change example)", () => {
    const p = parseRulesProfile(`caps:\n  - test: 2.3.b\n    max: SUCCESS\n    justification: application is impervious to IP changes\n`, "ops.yaml");
    const t = variant((s) => { s.guest!.interfaces![0]!.addresses = ["10.0.2.16/24"]; });
    const e = evaluate(baseSnapshot(), t, { profile: p });
    const row = e.tests.find((x) => x.id === "2.3.b")!;
    assert.equal(row.verdict, "SUCCESS");
    assert.equal(row.ruleVerdict, "WARNING");
    assert.equal(e.verdict, "SUCCESS");
  });

  it("a cap never raises a verdict", () => {
    const p = parseRulesProfile(`caps:\n  - test: 2.3.b\n    max: WARNING\n    justification: x\n`, "ops.yaml");
    assert.equal(evaluate(baseSnapshot(), baseSnapshot(), { profile: p }).tests.find((x) => x.id === "2.3.b")!.verdict, "SUCCESS");
  });

  it("thresholds are configurable", () => {
    const p = parseRulesProfile(`thresholds:\n  icmp:\n    success:\n      rttBelowMs: 100\n`, "ops.yaml");
    const t = variant((s) => { s.guest!.icmp!.private!.maxRttMs = 150; });
    assert.equal(evaluate(baseSnapshot(), t, { profile: p }).tests.find((x) => x.id === "2.3.e")!.verdict, "WARNING");
    assert.equal(p.thresholds.icmp.warning.rttBelowMs, 6000);
  });

  describe("bad rules files are rejected with the file, line and reason", () => {
    it("a waiver without justification", () => rejects(`waivers:\n  - test: 2.3.b\n`, /ops\.yaml', line 2: waivers\.0\.justification/));
    it("an unknown test id", () => rejects(`caps:\n  - test: 2.9.z\n    max: WARNING\n    justification: x\n`, /line 2: caps\.0\.test: unknown test '2\.9\.z'/));
    it("an aggregation rule cannot be waived", () => rejects(`waivers:\n  - test: 3.3.a\n    justification: x\n`, /unknown test '3\.3\.a'.*cannot be waived/));
    it("an unknown key", () => rejects(`thresholds:\n  memory:\n    warnPercent: 5\n`, /line 3: thresholds\.memory: Unrecognized key: "warnPercent"/));
    it("a wrong type", () => rejects(`thresholds:\n  cpu:\n    warnDeviationPercent: lots\n`, /line 3: thresholds\.cpu\.warnDeviationPercent/));
    it("a bad verdict name", () => rejects(`caps:\n  - test: 2.3.b\n    max: FINE\n    justification: x\n`, /line 3: caps\.0\.max/));
    it("a bad date", () => rejects(`waivers:\n  - test: 2.3.b\n    justification: x\n    expires: next week\n`, /line 4: waivers\.0\.expires: expires must be a date/));
    it("broken YAML", () => rejects(`waivers:\n  - test: [\n`, /ops\.yaml', line \d+: invalid YAML/));
    it("duplicate keys", () => rejects(`caps: []\ncaps: []\n`, /invalid YAML/));
    it("a wrong schema version", () => rejects(`schemaVersion: rules/v9\n`, /line 1: schemaVersion/));
  });
});
