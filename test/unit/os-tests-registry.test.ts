import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { OS_TEST_REGISTRY, catalogueOf, probesOf, type OsTest } from "../../src/os-tests/index.js";
import { CATALOGUE, HYPERVISOR_TESTS, OS_TESTS, testById } from "../../src/method/catalogue.js";
import { evaluate, ruleTable } from "../../src/evaluate/evaluate.js";
import { PROBES } from "../../src/guest/probes/index.js";
import { appsProbe } from "../../src/guest/probes/apps.js";
import { buildCombinedScript } from "../../src/guest/script.js";
import { resolveCaptureOptions } from "../../src/guest/options.js";
import type { Probe } from "../../src/guest/probe.js";
import { baseSnapshot, variant } from "../support/snapshots.js";
import { computeGolden, type Golden } from "../support/os-tests-golden.js";

/**
 * Issue #18: a Table III test is one module (src/os-tests/) and the catalogue, the rule
 * table and the probe list are derived from the registry of those modules.
 */

const NOW = new Date("2026-11-23");
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const isOsTest = (x: unknown): x is OsTest => typeof x === "object" && x !== null && "definition" in x && "decide" in x && "probe" in x;

describe("the Table III registry", () => {
  it("every Table III row of the catalogue has exactly one module entry, in catalogue order", () => {
    assert.equal(OS_TESTS.length, 20);
    for (const row of OS_TESTS) {
      assert.equal(OS_TEST_REGISTRY.filter((t) => t.definition.id === row.id).length, 1, row.id);
    }
    assert.deepEqual(OS_TESTS.map((r) => r.id), OS_TEST_REGISTRY.map((t) => t.definition.id));
    assert.deepEqual(OS_TESTS, catalogueOf(OS_TEST_REGISTRY));
    for (const t of OS_TEST_REGISTRY) {
      assert.equal(t.definition.level, "os");
      assert.equal(testById(t.definition.id), t.definition, "the catalogue holds the module's own row");
      assert.equal(CATALOGUE.filter((c) => c.id === t.definition.id).length, 1);
    }
  });

  it("every OS test exported by a module under src/os-tests is in the registry (no forgotten registry line)", async () => {
    const files = readdirSync(`${ROOT}src/os-tests`).filter((f) => f.endsWith(".ts") && f !== "index.ts");
    const exported: OsTest[] = [];
    for (const f of files) {
      const mod = await import(new URL(`../../src/os-tests/${f.replace(/\.ts$/, ".js")}`, import.meta.url).href) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        if (isOsTest(v)) exported.push(v);
        else if (Array.isArray(v)) exported.push(...v.filter(isOsTest));
      }
    }
    assert.equal(exported.length, OS_TEST_REGISTRY.length);
    for (const t of exported) assert.ok(OS_TEST_REGISTRY.includes(t), `${t.definition.id} is exported but not registered`);
  });

  it("each test's probe fills the snapshot field the test reads", () => {
    for (const t of OS_TEST_REGISTRY) {
      assert.ok((t.probe.fields as readonly string[]).includes(t.field), `${t.definition.id}: ${t.probe.name} does not fill ${t.field}`);
    }
  });

  it("the probe list is the registry's probes, each once, in registry order, then the application checks", () => {
    assert.deepEqual(PROBES, [...probesOf(OS_TEST_REGISTRY), appsProbe]);
    assert.deepEqual(PROBES.map((p) => p.name), ["os", "resources", "filesystems", "interfaces", "firewall", "routes", "icmp", "rdns", "remote-shell", "apps"]);
    // 2.4 changes the guest: it is named by its tests but runs apart from the probe list
    assert.ok(OS_TEST_REGISTRY.some((t) => t.probe.name === "user-ops"));
    assert.ok(!PROBES.some((p) => p.name === "user-ops"));
  });

  it("the rule table holds every Table II and Table III row once, with the module's rule for Table III", () => {
    const table = ruleTable();
    assert.deepEqual(table.map((r) => r.def.id), [...HYPERVISOR_TESTS, ...OS_TESTS].map((d) => d.id));
    for (const t of OS_TEST_REGISTRY) assert.equal(table.find((r) => r.def.id === t.definition.id)!.def, t.definition);
  });
});

describe("adding a test module to a copy of the registry", () => {
  // A hypothetical OS test with its own probe, to show what one new file brings with it.
  const uptimeProbe: Probe = {
    name: "uptime",
    fields: ["hostname"],
    script: () => "cat /proc/sys/kernel/hostname",
    parse: (out) => ({ hostname: out.stdout.trim() }),
  };
  const hostnameTest: OsTest<string> = {
    definition: { id: "2.1.z", name: "Host name", group: "2.1 OS metadata", level: "os", rule: "hostname", success: "no change", warning: "-", failure: "changed" },
    probe: uptimeProbe,
    field: "hostname",
    value: (g) => g.hostname,
    show: (h) => h,
    decide: (s, t) => (s === t ? { verdict: "SUCCESS", reason: "no change" } : { verdict: "FAILURE", reason: `changed: ${s} -> ${t}` }),
    observed: (g) => g.hostname ?? null,
  };
  const copy: readonly OsTest[] = [...OS_TEST_REGISTRY, hostnameTest];
  const source = variant((s) => { s.guest!.hostname = "vm-a"; });
  const target = variant((s) => { s.guest!.hostname = "vm-b"; });

  it("shows up in the derived catalogue rows and probe list, and its probe in the guest script", () => {
    assert.deepEqual(catalogueOf(copy).at(-1), hostnameTest.definition);
    assert.deepEqual(probesOf(copy), [...probesOf(OS_TEST_REGISTRY), uptimeProbe]);
    const script = buildCombinedScript(probesOf(copy), resolveCaptureOptions(), "abc");
    assert.ok(script.sections.includes("uptime"));
    assert.ok(!OS_TEST_REGISTRY.includes(hostnameTest), "the registry itself is untouched");
  });

  it("is evaluated with its module's rule and counts in the 3.2.a aggregation; the other rows do not change", () => {
    const before = evaluate(source, target, { now: NOW });
    const after = evaluate(source, target, { now: NOW, osTests: copy });
    const row = after.tests.find((t) => t.id === "2.1.z");
    assert.deepEqual(row, { id: "2.1.z", name: "Host name", level: "os", verdict: "FAILURE", source: "vm-a", target: "vm-b", reason: "changed: vm-a -> vm-b" });
    assert.deepEqual(after.tests.filter((t) => t.id !== "2.1.z"), before.tests);
    assert.equal(before.os.verdict, "SUCCESS");
    assert.equal(after.os.verdict, "FAILURE");
    assert.match(after.os.reason, /2\.1\.z/);
    assert.ok(!before.tests.some((t) => t.id === "2.1.z"));
  });

  it("gets the shared frame of Table III: no baseline is N/A, not captured on the target is FAILURE", () => {
    const noBaseline = evaluate(variant((s) => { s.guest!.hostname = null; }), target, { now: NOW, osTests: copy }).tests.find((t) => t.id === "2.1.z")!;
    assert.equal(noBaseline.verdict, "N/A");
    const lost = evaluate(source, variant((s) => { s.guest = null; }), { now: NOW, osTests: copy }).tests.find((t) => t.id === "2.1.z")!;
    assert.equal(lost.verdict, "FAILURE");
    assert.match(lost.reason, /could not be performed on the target/);
  });
});

describe("the same results as before the modules (test/fixtures/os-tests/golden.json)", () => {
  const want = JSON.parse(readFileSync(`${ROOT}test/fixtures/os-tests/golden.json`, "utf8")) as Golden;
  const got = computeGolden();
  it("`tiosa tests --format json` lists the same catalogue, byte for byte", () => assert.equal(got.catalogue, want.catalogue));
  it("the same Table II and Table III ids", () => assert.deepEqual(got.ids, want.ids));
  it("the same probes and the same combined guest script", () => {
    assert.deepEqual(got.probes, want.probes);
    assert.equal(got.script, want.script);
  });
  it("the snapshot/v1 and rules/v1 JSON Schemas are unchanged", () => assert.deepEqual(got.schemas, want.schemas));
  it("identical evaluations (rows, aggregates, printed table) for every pair of fixture snapshots, default and strict profile", () => {
    assert.equal(Object.keys(got.evaluations).length, Object.keys(want.evaluations).length);
    for (const [k, v] of Object.entries(want.evaluations)) assert.equal(got.evaluations[k], v, k);
  });
  it("the base snapshot against itself is still all SUCCESS", () => {
    const e = evaluate(baseSnapshot(), baseSnapshot(), { now: NOW });
    assert.equal(e.verdict, "SUCCESS");
  });
});
