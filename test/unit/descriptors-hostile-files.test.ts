import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, openSync, closeSync, ftruncateSync, writeFileSync } from "node:fs";
import { openOva } from "../../src/descriptors/ova.js";
import { isUserError } from "../../src/errors.js";
import { assertRefused, DeadlineWorker, runCli, runInProcess, tempDir, TIME_BOUND_MS, vmxWith } from "../support/hostile-descriptors.js";

/**
 * Issue 23: descriptor files are read in time linear in their size, only up to a size
 * that fits their kind, and only when they are regular files (a FIFO or device must not
 * block the reader). Inputs are generated here, never committed.
 */

const tmp = tempDir();
after(() => tmp.remove());

const MB = 1_000_000, MiB = 2 ** 20;

test("VMX parsing is linear: 10 MB of long space runs, blank lines, escapes and keys parses in under a second", async () => {
  // Each part alone was quadratic or slow before: a 100 KB value of spaces took 4.6 s, blank lines and escapes seconds per 10 MB.
  const hostile = [
    vmxWith(),
    `annotation = "${" ".repeat(3 * MB)}x"`,
    "\n".repeat(2 * MB),
    `displayName = "${"|22".repeat(MB)}"`,
    ...Array.from({ length: 40_000 }, (_, i) => `scsi${i % 8}:${i}.fileName = "d${i}.vmdk"`),
    `${" ".repeat(MB)}=${" ".repeat(MB)}`,
  ].join("\n");
  assert.ok(hostile.length >= 10 * MB, `${hostile.length} characters`);
  const worker = new DeadlineWorker();
  try {
    const r = await worker.run({ op: "parse-vmx", text: hostile, origin: "big.vmx" }, 10_000);
    assert.ok(r !== null, "parseVmx did not finish a 10 MB file within 10 s");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 1000, `10 MB VMX parsed in ${r.ms.toFixed(0)} ms`);
    assert.equal(r.summary!.name, '"'.repeat(MB));
    assert.equal(r.summary!.cpu, 2);
    assert.ok(r.summary!.notes.some((n) => /beyond VMware's maxima .* ignored/.test(n)), JSON.stringify(r.summary!.notes.map((n) => n.slice(0, 100))));
  } finally {
    await worker.close();
  }
});

test("a .vmx with a 1 MB value of spaces (under the size limit) is read by the CLI within the bound", async () => {
  const file = tmp.path("spaces.vmx");
  writeFileSync(file, vmxWith({ more: `annotation = "${" ".repeat(MB)}x"\n` }));
  const cli = runCli(["inspect", file]);
  assert.equal(cli.code, 0, cli.stderr);
  const inproc = await runInProcess(["inspect", file]);
  assert.equal(inproc.code, 0, inproc.stderr);
  assert.ok(inproc.ms < TIME_BOUND_MS, `${inproc.ms.toFixed(0)} ms`);
});

test("a .vmx over 1 MiB is refused naming the file, its size and the limit", async () => {
  const file = tmp.path("huge.vmx");
  const content = vmxWith({ more: `annotation = "${" ".repeat(2 * MiB)}"\n` });
  writeFileSync(file, content);
  await assertRefused(file, [new RegExp(`: ${Buffer.byteLength(content)} bytes \\(2 MiB\\), more than the 1 MiB tiosa reads for a \\.vmx file`)]);
});

test("a text descriptor over 16 MiB is refused from its size, before it is read", async () => {
  const file = tmp.path("huge.ovf");
  const fd = openSync(file, "w");
  ftruncateSync(fd, 17 * MiB); // sparse: nothing written
  closeSync(fd);
  await assertRefused(file, [/: 17825792 bytes \(17 MiB\), more than the 16 MiB tiosa reads for a text descriptor/]);
});

test("a FIFO, a character device and a directory are refused at once, naming what they are", async (t) => {
  const fifo = tmp.path("pipe.ovf");
  const mk = spawnSync("mkfifo", [fifo]);
  if (mk.status !== 0) t.diagnostic(`mkfifo unavailable (${mk.error?.message ?? mk.stderr}); FIFO case skipped`);
  else {
    // Nothing ever writes to it: a reader that opened it blocking would hang until the guard kills it.
    await assertRefused(fifo, [/not a regular file \(a FIFO \(named pipe\)\)/]);
    await assert.rejects(openOva(fifo), (e: Error) => isUserError(e) && /a FIFO/.test(e.message));
  }
  await assertRefused("/dev/null", [/not a regular file \(a character device\)/]);
  const dir = tmp.path("dir.ovf");
  mkdirSync(dir);
  await assertRefused(dir, [/not a regular file \(a directory\)/]);
});
