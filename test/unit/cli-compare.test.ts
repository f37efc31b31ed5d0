import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { baseSnapshot, variant } from "../support/snapshots.js";

const BIN = fileURLToPath(new URL("../../../bin/tiosa.js", import.meta.url));
const tiosa = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

describe("tiosa compare", () => {
  let dir: string;
  const f = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tiosa-test-"));
    await writeFile(f("src.json"), JSON.stringify(baseSnapshot()));
    await writeFile(f("renamed.json"), JSON.stringify(variant((s) => { s.guest!.interfaces![0]!.name = "ens4"; })));
    await writeFile(f("noboot.json"), JSON.stringify(variant((s) => { s.guest = null; s.hypervisorTests = { "1.1.a": { result: "failed", detail: "ALERT! LABEL=root does not exist" } }; })));
    await writeFile(f("empty.json"), "");
    await writeFile(f("garbage.json"), "{ not json");
    await writeFile(f("array.json"), "[1,2,3]");
    await writeFile(f("wrongtypes.json"), JSON.stringify(variant((s) => { (s.guest!.cpu as unknown as { count: string }).count = "two"; })));
    await writeFile(f("v9.json"), JSON.stringify({ ...baseSnapshot(), schemaVersion: "snapshot/v9" }));
    await writeFile(f("rules.yaml"), "caps:\n  - test: 2.3.a\n    max: SUCCESS\n    justification: names do not matter to us\n");
    await writeFile(f("badrules.yaml"), "waivers:\n  - test: 2.3.a\n");
    const big = await open(f("big.json"), "w");
    await big.truncate(100 * 1024 * 1024); // 100 MB sparse file
    await big.close();
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it("two identical snapshots print SUCCESS and exit 0", () => {
    const r = tiosa("compare", f("src.json"), f("src.json"));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Verdict: SUCCESS/);
  });

  it("--format json prints the documented shape", () => {
    const r = tiosa("compare", f("src.json"), f("renamed.json"), "--format", "json");
    assert.equal(r.status, 10);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, "WARNING");
    assert.equal(j.hypervisor.verdict, "SUCCESS");
    assert.equal(j.os.verdict, "WARNING");
    const nic = j.tests.find((t: { id: string }) => t.id === "2.3.a");
    assert.deepEqual(Object.keys(nic).filter((k) => ["id", "verdict", "source", "target", "reason"].includes(k)).sort(), ["id", "reason", "source", "target", "verdict"]);
    assert.equal(nic.verdict, "WARNING");
    assert.match(nic.reason, /renamed enp0s3 -> ens4/);
  });

  it("a guest that did not boot exits 20 with FAILURE", () => {
    const r = tiosa("compare", f("src.json"), f("noboot.json"));
    assert.equal(r.status, 20);
    assert.match(r.stdout, /3\.1\.a Hypervisor\s+FAILURE/);
  });

  it("--rules applies a cap", () => {
    const r = tiosa("compare", f("src.json"), f("renamed.json"), "--rules", f("rules.yaml"));
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  const hostile: [string, string[], RegExp][] = [
    ["an empty file", ["empty.json"], /empty\.json': the file is empty/],
    ["a 100 MB file", ["big.json"], /big\.json': 104857600 bytes is over the/],
    ["invalid JSON", ["garbage.json"], /garbage\.json': not valid JSON/],
    ["a JSON array", ["array.json"], /array\.json': \$: expected a JSON object/],
    ["wrong types", ["wrongtypes.json"], /wrongtypes\.json': \$\.guest\.cpu\.count: /],
    ["an unknown schema version", ["v9.json"], /v9\.json': \$\.schemaVersion: unknown schema version "snapshot\/v9"/],
    ["a missing file", ["nope.json"], /nope\.json': no such file/],
    ["a directory", ["."], /not a regular file/],
  ];
  for (const [label, [file], pattern] of hostile) {
    it(`${label} exits 2 naming the problem, without a stack trace`, () => {
      const r = tiosa("compare", f("src.json"), f(file!));
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it("a bad rules file exits 2 naming file and line", () => {
    const r = tiosa("compare", f("src.json"), f("src.json"), "--rules", f("badrules.yaml"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /badrules\.yaml', line 2: waivers\.0\.justification/);
  });

  it("a missing argument exits 2 with usage", () => {
    const r = tiosa("compare", f("src.json"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected exactly two snapshot files/);
  });

  it("an unknown option exits 2", () => {
    const r = tiosa("compare", f("src.json"), f("src.json"), "--bogus");
    assert.equal(r.status, 2);
  });
});

describe("tiosa schema and tests", () => {
  it("schema snapshot prints a JSON Schema that requires schemaVersion", () => {
    const r = tiosa("schema", "snapshot");
    assert.equal(r.status, 0);
    const s = JSON.parse(r.stdout);
    assert.ok(s.required.includes("schemaVersion"));
    assert.equal(s.properties.schemaVersion.const, "snapshot/v1");
  });
  it("schema rules prints the rules profile schema", () => {
    const s = JSON.parse(tiosa("schema", "rules").stdout);
    assert.ok(s.properties.waivers);
  });
  it("an unknown schema name exits 2", () => assert.equal(tiosa("schema", "nope").status, 2));
  it("tests --format json lists all 41 catalogue entries", () => {
    const j = JSON.parse(tiosa("tests", "--format", "json").stdout);
    assert.equal(j.tests.length, 18 + 20 + 3);
    assert.deepEqual(j.tests.filter((t: { id: string }) => t.id.startsWith("2.4")).map((t: { id: string }) => t.id), ["2.4.a", "2.4.b", "2.4.c", "2.4.d", "2.4.e", "2.4.f"]);
  });
});
