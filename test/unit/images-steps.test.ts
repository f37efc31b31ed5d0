import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StepRunner, ImageBuildError, requireFreeSpace, type BuildProgress } from "../../src/images/steps.js";
import { ExecError } from "../../src/util/exec.js";
import { moduleDepends, resolveModules } from "../../src/images/tiny.js";
import { UserError } from "../../src/errors.js";

const execError = (stderr: string) => new ExecError("tool: exit 1", { code: 1, signal: null, stdout: "", stderr, timedOut: false, durationMs: 1 });

test("a failing step is reported with the image and the step's name", async () => {
  const events: BuildProgress[] = [];
  const s = new StepRunner("debian-12", tmpdir(), (p) => events.push(p));
  await assert.rejects(s.step("install GRUB", async () => { throw new Error("grub-install: error: cannot find a device"); }),
    (e: unknown) => e instanceof ImageBuildError && e instanceof UserError && /image 'debian-12': step 'install GRUB' failed: grub-install/.test(e.message));
  assert.deepEqual(events.map((e) => e.phase), ["start"]);
});

test("a full disk is named as such, with the directory and its free space", async () => {
  const s = new StepRunner("tiny", tmpdir());
  await assert.rejects(s.step("mmdebstrap", async () => { throw execError("tar: ./usr/lib/x: Cannot write: No space left on device"); }),
    (e: unknown) => e instanceof ImageBuildError && /step 'mmdebstrap' failed: disk full in .* MiB free/.test(e.message));
});

test("a failed package download is named as such, quoting apt's line", async () => {
  const s = new StepRunner("tiny", tmpdir());
  await assert.rejects(s.step("mmdebstrap (download)", async () => { throw execError("W: something\nE: Failed to fetch http://deb.debian.org/debian/pool/main/b/busybox.deb  404  Not Found\nE: failed"); }),
    (e: unknown) => e instanceof ImageBuildError && /package download failed: E: Failed to fetch http:\/\/deb\.debian\.org/.test(e.message));
});

test("an aborted build says it was interrupted, at which step", async () => {
  const ac = new AbortController();
  const s = new StepRunner("tiny", tmpdir(), undefined, ac.signal);
  await assert.rejects(s.step("assemble initramfs", async () => { ac.abort(new Error("interrupted by SIGINT")); throw new Error("killed"); }),
    (e: unknown) => e instanceof ImageBuildError && /step 'assemble initramfs' failed: interrupted \(interrupted by SIGINT\)/.test(e.message));
});

test("successful steps are timed and reported start then done", async () => {
  const events: BuildProgress[] = [];
  const s = new StepRunner("tiny", tmpdir(), (p) => events.push(p));
  assert.equal(await s.step("one", async () => 42), 42);
  assert.deepEqual(events.map((e) => `${e.step}:${e.phase}`), ["one:start", "one:done"]);
  assert.equal(s.timings.length, 1);
});

test("a build that cannot fit is refused before it starts", async () => {
  await assert.rejects(requireFreeSpace("debian-12", tmpdir(), Number.MAX_SAFE_INTEGER),
    (e: unknown) => e instanceof ImageBuildError && /step 'check free space' failed: \d+ MiB free/.test(e.message));
});

/** A fake .ko: only the .modinfo strings matter to moduleDepends. */
const ko = (depends: string) => Buffer.from(`\x7fELF....\0license=GPL\0depends=${depends}\0vermagic=6.1.0\0`, "latin1");

test("module dependencies are read from the .modinfo strings", () => {
  assert.deepEqual(moduleDepends(ko("virtio,virtio_ring")), ["virtio", "virtio_ring"]);
  assert.deepEqual(moduleDepends(ko("")), []);
});

test("modules come out dependencies first; built-in ones are skipped; unknown ones are errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-mods-"));
  try {
    await mkdir(join(dir, "kernel/drivers/net"), { recursive: true });
    await writeFile(join(dir, "kernel/drivers/net/virtio_net.ko"), ko("net_failover,virtio_ring"));
    await writeFile(join(dir, "kernel/drivers/net/net_failover.ko"), ko("failover"));
    await writeFile(join(dir, "kernel/drivers/net/failover.ko"), ko(""));
    await writeFile(join(dir, "kernel/drivers/net/ne2k-pci.ko"), ko("8390"));
    await writeFile(join(dir, "kernel/drivers/net/8390.ko"), ko(""));
    await writeFile(join(dir, "modules.builtin"), "kernel/drivers/virtio/virtio_ring.ko\n");
    const { files, builtin } = await resolveModules(dir, ["virtio_net", "ne2k_pci"]);
    assert.deepEqual(files.map((f) => f.split("/").pop()), ["failover.ko", "net_failover.ko", "virtio_net.ko", "8390.ko", "ne2k-pci.ko"]);
    assert.deepEqual(builtin, ["virtio_ring"]);
    await assert.rejects(resolveModules(dir, ["pata_acpi"]), /kernel module 'pata_acpi' not found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
