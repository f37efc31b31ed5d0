import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decideAccel, probeInitElf, probeInitramfs, PROBE_MARKER, resetAccelDecision } from "../../src/qemu/accel.js";
import { haveCommand } from "../../src/util/exec.js";

/** Reads a newc cpio back: name, mode, rdev, data. */
function readNewc(b: Buffer) {
  const out: { name: string; mode: number; rdev: [number, number]; data: Buffer }[] = [];
  let off = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    assert.equal(b.toString("latin1", off, off + 6), "070701", `magic at ${off}`);
    const f = (i: number) => parseInt(b.toString("latin1", off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = f(1), size = f(6), namesize = f(11);
    const name = b.toString("utf8", off + 110, off + 110 + namesize - 1);
    const dataAt = align(off + 110 + namesize);
    if (name === "TRAILER!!!") break;
    out.push({ name, mode, rdev: [f(9), f(10)], data: b.subarray(dataAt, dataAt + size) });
    off = align(dataAt + size);
  }
  return out;
}

test("the probe's initramfs holds /dev/console (char 5:1) and an executable /init, as the kernel unpacks newc", () => {
  const entries = readNewc(probeInitramfs());
  assert.deepEqual(entries.map((e) => e.name), ["dev", "dev/console", "init"]);
  const con = entries[1]!, init = entries[2]!;
  assert.equal(con.mode, 0o020600);
  assert.deepEqual(con.rdev, [5, 1]);
  assert.equal(init.mode, 0o100755);
  assert.ok(init.data.equals(probeInitElf()));
});

test("the probe's /init is a static x86-64 ELF whose entry point is inside its one loadable segment and which carries the marker", () => {
  const elf = probeInitElf();
  assert.equal(elf.toString("latin1", 0, 4), "\x7fELF");
  assert.equal(elf[4], 2, "64-bit");
  assert.equal(elf.readUInt16LE(16), 2, "ET_EXEC");
  assert.equal(elf.readUInt16LE(18), 0x3e, "x86-64");
  const entry = Number(elf.readBigUInt64LE(24)), phoff = Number(elf.readBigUInt64LE(32));
  assert.equal(elf.readUInt16LE(56), 1, "one program header");
  assert.equal(elf.readUInt32LE(phoff), 1, "PT_LOAD");
  const vaddr = Number(elf.readBigUInt64LE(phoff + 16)), filesz = Number(elf.readBigUInt64LE(phoff + 32));
  assert.equal(filesz, elf.length);
  assert.ok(entry > vaddr && entry < vaddr + filesz);
  // The first instruction is `mov $2, %eax` (open): the code starts where the entry points.
  assert.equal(elf[entry - vaddr], 0xb8);
  assert.ok(elf.includes(Buffer.from(`\n${PROBE_MARKER}\n`)));
  assert.ok(elf.includes(Buffer.from("/dev/console\0")));
});

test("TIOSA_ACCEL wins over any probe", async () => {
  const before = process.env.TIOSA_ACCEL;
  try {
    for (const a of ["kvm", "tcg"] as const) {
      process.env.TIOSA_ACCEL = a;
      const d = await decideAccel();
      assert.equal(d.accel, a);
      assert.equal(d.source, "forced");
      assert.deepEqual(d.probes, []);
    }
  } finally {
    if (before === undefined) delete process.env.TIOSA_ACCEL; else process.env.TIOSA_ACCEL = before;
  }
});

test("a decision is probed once, cached per kernel, and probed again when the kernel changes", async (t) => {
  if (!(await haveCommand("qemu-system-x86_64"))) return t.skip("qemu-system-x86_64 is not installed (scripts/setup.sh installs it)");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-accel-test-"));
  const saved = { x: process.env.XDG_CACHE_HOME, k: process.env.TIOSA_PROBE_KERNEL, a: process.env.TIOSA_ACCEL };
  try {
    delete process.env.TIOSA_ACCEL;
    process.env.XDG_CACHE_HOME = dir;
    // Not a kernel: QEMU refuses it at once, under either accelerator, so this stays fast.
    const kernel = join(dir, "vmlinuz-not-a-kernel");
    await writeFile(kernel, "not a kernel\n");
    process.env.TIOSA_PROBE_KERNEL = kernel;
    resetAccelDecision();
    const first = await decideAccel();
    assert.equal(first.source, "probe");
    assert.equal(first.accel, "tcg");
    assert.equal(first.kernel, kernel);
    assert.match(first.reason, /TCG did not boot it either \(QEMU ended/);
    assert.ok(first.probes.some((p) => p.accel === "tcg" && !p.ok));
    const cached = JSON.parse(await readFile(join(dir, "tiosa", "accel.json"), "utf8"));
    assert.equal(cached.decision.reason, first.reason);

    resetAccelDecision();
    const second = await decideAccel();
    assert.equal(second.source, "cache");
    assert.equal(second.decidedAt, first.decidedAt);

    await writeFile(kernel, "another file, another size\n");
    resetAccelDecision();
    assert.equal((await decideAccel()).source, "probe");
  } finally {
    for (const [k, v] of [["XDG_CACHE_HOME", saved.x], ["TIOSA_PROBE_KERNEL", saved.k], ["TIOSA_ACCEL", saved.a]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    resetAccelDecision();
    await rm(dir, { recursive: true, force: true });
  }
});
