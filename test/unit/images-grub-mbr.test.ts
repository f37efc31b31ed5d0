import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMbrDisk, PARTITION_OFFSET } from "../../src/images/disk.js";
import { writeGrubToMbrGap } from "../../src/images/guestfs-disk.js";
import { haveCommand } from "../../src/util/exec.js";

/**
 * The libguestfs disk method writes GRUB's boot sector and core.img into a raw disk file
 * itself (there is no block device to give grub-install). What it must keep and what it
 * must refuse, on real sfdisk-made disks.
 */
const noSfdisk = !(await haveCommand("sfdisk")) && "sfdisk is not installed (apt-get install fdisk)";

async function withDisk(fn: (dir: string, raw: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-mbr-"));
  try {
    const raw = join(dir, "disk.raw");
    await createMbrDisk(raw, 4);
    await fn(dir, raw);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("boot code goes into the first 440 bytes and core.img after the MBR; the partition table stays", { skip: noSfdisk }, async () => {
  await withDisk(async (dir, raw) => {
    const before = await readFile(raw);
    const boot = Buffer.alloc(512, 0xb0);
    const core = Buffer.alloc(3 * 512 + 7, 0xc0);
    await writeFile(join(dir, "boot.img"), boot);
    await writeFile(join(dir, "core.img"), core);
    const r = await writeGrubToMbrGap(raw, join(dir, "boot.img"), join(dir, "core.img"));
    assert.equal(r.coreBytes, core.length);
    const after = await readFile(raw);
    assert.ok(after.subarray(0, 440).every((b) => b === 0xb0), "boot code");
    assert.deepEqual(after.subarray(440, 512), before.subarray(440, 512), "disk signature, partition table and 55AA are the disk's own");
    assert.ok(after.subarray(512, 512 + core.length).every((b) => b === 0xc0), "core.img from sector 1");
    assert.ok(after.subarray(512 + core.length, PARTITION_OFFSET).every((b) => b === 0), "nothing else in the gap");
    assert.equal(after.length, before.length);
  });
});

test("a core.img that would overwrite the first partition is refused", { skip: noSfdisk }, async () => {
  await withDisk(async (dir, raw) => {
    await writeFile(join(dir, "boot.img"), Buffer.alloc(512));
    await writeFile(join(dir, "core.img"), Buffer.alloc(PARTITION_OFFSET));
    const before = await readFile(raw);
    await assert.rejects(writeGrubToMbrGap(raw, join(dir, "boot.img"), join(dir, "core.img")), /does not fit before the first partition/);
    assert.deepEqual(await readFile(raw), before, "nothing written");
  });
});

test("a disk without an MBR partition table is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-mbr-"));
  try {
    const raw = join(dir, "blank.raw");
    await writeFile(raw, Buffer.alloc(PARTITION_OFFSET * 2));
    await writeFile(join(dir, "boot.img"), Buffer.alloc(512));
    await writeFile(join(dir, "core.img"), Buffer.alloc(512));
    await assert.rejects(writeGrubToMbrGap(raw, join(dir, "boot.img"), join(dir, "core.img")), /has no MBR partition table/);
    await writeFile(join(dir, "boot.img"), Buffer.alloc(100));
    await assert.rejects(writeGrubToMbrGap(raw, join(dir, "boot.img"), join(dir, "core.img")), /not one sector/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
