import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, writeFile, readFile } from "node:fs/promises";
import { join, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFixtureRun, type FixtureRun } from "../support/report-fixtures.js";
import { main } from "../../src/cli/main.js";

const BIN = fileURLToPath(new URL("../../../bin/tiosa.js", import.meta.url));
/** In-process, through the same entry point as the binary (main()), to keep the test fast. */
async function tiosa(...args: string[]) {
  let stdout = "", stderr = "";
  const status = await main(args, { out: (s) => { stdout += s + "\n"; }, err: (s) => { stderr += s + "\n"; } });
  return { status, stdout, stderr };
}

// The run is the reporting-pipeline fixture (invented outcomes), not a campaign result.
describe("tiosa report", () => {
  let f: FixtureRun;
  before(() => { f = writeFixtureRun(); });
  after(() => f.cleanup());

  it("reports the latest run of --output and exits with the campaign's verdict", () => {
    const r = spawnSync(process.execPath, [BIN, "report", "--output", f.outputDir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 20, r.stderr);
    assert.match(r.stdout, /Summary: 12 paths: 3 successful, 2 with warnings, 7 failures/);
  });

  it("takes a run id or a run directory", async () => {
    assert.equal((await tiosa("report", f.runId, "--output", f.outputDir, "--format", "json")).status, 20);
    const r = await tiosa("report", f.runDir, "--format", "json");
    assert.equal(r.status, 20);
    assert.equal(JSON.parse(r.stdout).run.id, f.runId);
  });

  it("writes --out FILE in the chosen format", async () => {
    const out = join(f.outputDir, "report.html");
    const r = await tiosa("report", f.runDir, "--format", "html", "--out", out);
    assert.equal(r.status, 20);
    assert.equal(r.stdout, "");
    assert.match(await readFile(out, "utf8"), /^<!DOCTYPE html>/);
  });

  it("lists runs", async () => {
    const r = await tiosa("report", "--list", "--output", f.outputDir, "--format", "json");
    assert.equal(r.status, 0);
    assert.deepEqual(JSON.parse(r.stdout).map((x: { id: string }) => x.id), [f.runId]);
  });

  it("exits 2 naming the run when it is missing or corrupt", async () => {
    const missing = await tiosa("report", "no-such-run", "--output", f.outputDir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /run 'no-such-run': no such run/);
    assert.doesNotMatch(missing.stderr, /at .*\.js:\d+/, "no stack trace");
    const bad = join(f.outputDir, "broken");
    await mkdir(bad);
    await writeFile(join(bad, "run.sqlite"), "garbage ".repeat(600));
    const corrupt = await tiosa("report", bad);
    assert.equal(corrupt.status, 2);
    assert.match(corrupt.stderr, new RegExp(`run '.*${basename(bad)}': .*is not a readable tiosa run database`));
    const empty = await tiosa("report", "--output", join(f.outputDir, "nothing-here"));
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /no run in/);
    const fmt = await tiosa("report", f.runDir, "--format", "pdf");
    assert.equal(fmt.status, 2);
  });
});
