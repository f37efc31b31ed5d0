import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmInventory } from "../../src/inventory/model.js";
import { packOva } from "../../src/descriptors/ova-pack.js";
import { libguestfsEnv } from "../../src/libguestfs/env.js";
import { haveCommand, run, runOk } from "../../src/util/exec.js";

/**
 * A real importer reads the OVA we write: virt-v2v -i ova parses the OVF, verifies the
 * manifest's SHA256 lines, opens the streamOptimized disk in its appliance and only then
 * fails, because the disk is blank ("No root device found"). A descriptor it could not use
 * fails earlier ("could not parse ovf:...", "you must call guestfs_add_drive"). ~80 s under TCG.
 */
test("virt-v2v -i ova accepts the OVA packOva writes, up to guest inspection of its blank disk", { timeout: 15 * 60_000 }, async (t) => {
  if (!(await haveCommand("qemu-system-x86_64"))) { t.skip("no qemu-system-x86_64: no virtualization on this machine"); return; }
  assert.ok(await haveCommand("virt-v2v"), "virt-v2v missing: apt-get install virt-v2v nbdkit libnbd-bin (deps/apt-packages.txt)");
  const dir = mkdtempSync(join(tmpdir(), "tiosa-v2v-ova-"));
  try {
    const disk = join(dir, "blank.vmdk");
    await runOk("qemu-img", ["create", "-f", "vmdk", "-o", "subformat=streamOptimized", disk, "64M"]);
    const vm = VmInventory.parse({
      name: "v2v-accepts", origin: "test", memoryBytes: 512 * 2 ** 20, cpu: { count: 1 }, osType: "debian12",
      disks: [{ target: "scsi0:0", bus: "scsi", controller: "pvscsi", device: "disk", format: "vmdk", capacityBytes: 64 * 2 ** 20, source: "x" }],
      nics: [{ model: "vmxnet3", network: "VM Network" }],
    });
    const ova = join(dir, "v2v-accepts.ova");
    await packOva({ vm, images: [disk], out: ova });
    const out = join(dir, "out");
    mkdirSync(out);
    const r = await run("virt-v2v", ["-i", "ova", ova, "-o", "local", "-os", out, "-of", "qcow2"], { env: await libguestfsEnv(), timeoutMs: 12 * 60_000 });
    const log = `${r.stdout}\n${r.stderr}`;
    assert.match(log, /Setting up the source: -i ova/);
    assert.match(log, /Opening the source/);
    assert.doesNotMatch(log, /could not parse|warning: .*ovf|manifest|checksum|guestfs_add_drive/i, log);
    assert.match(log, /No root device found/, log);
    assert.deepEqual(readdirSync(out), [], "nothing converted from a blank disk");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
