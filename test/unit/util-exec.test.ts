import { test } from "node:test";
import assert from "node:assert/strict";
import { run, PIPE_CLOSE_GRACE_MS } from "../../src/util/exec.js";
import { processAlive } from "../../src/util/process.js";

const gone = async (pid: number) => {
  for (let i = 0; i < 50 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !processAlive(pid);
};

test("a tool that exits while a helper it started keeps its output pipe open still gives its result", async () => {
  // virt-v2v killed mid-conversion left its qemu-nbd holding the pipes: the run hung for ever.
  const t0 = Date.now();
  const r = await run("sh", ["-c", "sleep 60 & echo $!; echo started"], { timeoutMs: 30_000 });
  const helper = Number(r.stdout.split("\n")[0]);
  try {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /started/);
    assert.ok(Date.now() - t0 < PIPE_CLOSE_GRACE_MS + 3000, `took ${Date.now() - t0} ms`);
  } finally {
    try { process.kill(helper, "SIGKILL"); } catch { /* gone */ }
  }
});

test("in its own process group, what the tool left running is killed when it exits", async () => {
  const t0 = Date.now();
  const r = await run("sh", ["-c", "sleep 60 & echo $!"], { ownProcessGroup: true, timeoutMs: 30_000 });
  const helper = Number(r.stdout.trim());
  assert.ok(helper > 0, r.stdout);
  assert.ok(await gone(helper), `helper ${helper} still runs`);
  assert.ok(Date.now() - t0 < PIPE_CLOSE_GRACE_MS, `the pipes closed with the group: ${Date.now() - t0} ms`);
});

test("aborting a tool in its own process group stops its helpers too, after the grace it was given", async () => {
  const ac = new AbortController();
  const p = run("sh", ["-c", "sleep 60 & echo $!; wait"], { ownProcessGroup: true, signal: ac.signal, killGraceMs: 500 });
  await new Promise((r) => setTimeout(r, 300));
  ac.abort();
  const r = await p;
  const helper = Number(r.stdout.trim());
  assert.notEqual(r.code, 0);
  assert.ok(helper > 0 && (await gone(helper)), `helper ${helper} still runs`);
});

test("a tool in its own process group does not outlive tiosa exiting without stopping it (second Ctrl-C)", async () => {
  const { spawnSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const execJs = fileURLToPath(new URL("../../src/util/exec.js", import.meta.url));
  const { mkdtemp, readFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-exec-test-"));
  const pidFile = join(dir, "helper.pid");
  // A child node process starts a tool whose helper would run for a minute, then exits at once.
  const script = `import { run } from ${JSON.stringify(execJs)};
run("sh", ["-c", 'sleep 60 & echo $! > "$1"; wait', "sh", ${JSON.stringify(pidFile)}], { ownProcessGroup: true });
setTimeout(() => process.exit(130), 500);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  const helper = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  await rm(dir, { recursive: true, force: true });
  assert.equal(r.status, 130, r.stderr);
  assert.ok(helper > 0, "the tool did not start its helper");
  assert.ok(await gone(helper), `helper ${helper} outlived the process that started it`);
});
