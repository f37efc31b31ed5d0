import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import { VmInventory } from "../../src/inventory/model.js";
import { readDescriptor } from "../../src/descriptors/index.js";
import { openOva } from "../../src/descriptors/ova.js";
import { packOva } from "../../src/descriptors/ova-pack.js";
import { writeOvf } from "../../src/descriptors/ovf-write.js";
import { formatManifest, sha256Hex } from "../../src/descriptors/manifest.js";
import { checkImage, safeImageInfo } from "../../src/disk/qemu-img.js";
import { haveCommand, runOk } from "../../src/util/exec.js";
import { isUserError } from "../../src/errors.js";

/**
 * Real qemu-img images (a few MiB), real OVAs written by packOva, and a hostile set
 * built here: each must be refused with a message naming the OVA and the entry, leave
 * nothing outside the work directory, and leave no work directory behind.
 */

const MiB = 2 ** 20;
let dir = "";
let vmdk = "";      // 8 MiB virtual streamOptimized VMDK holding 3 MiB of random data
let vmdkSize = 0;
let qcow2Backed = ""; // qcow2 naming /etc/shadow as its backing file
let qcow2DataFile = ""; // qcow2 with an external data file
let truncatedVmdk = "";
let vmdkDescriptor = "";

const vm = VmInventory.parse({
  name: "hostile-test", origin: "test", hypervisorType: "vmware", memoryBytes: 256 * MiB, cpu: { count: 1 }, osType: "debian12",
  disks: [{ target: "scsi0:0", bus: "scsi", controller: "pvscsi", device: "disk", format: "vmdk", capacityBytes: 8 * MiB, source: "x" }],
  nics: [{ model: "vmxnet3", network: "VM Network" }],
});

before(async () => {
  if (!(await haveCommand("qemu-img"))) throw new Error("qemu-img missing: apt-get install qemu-utils (deps/apt-packages.txt)");
  dir = mkdtempSync(join(tmpdir(), "tiosa-ova-test-"));
  const raw = join(dir, "src.raw");
  writeFileSync(raw, Buffer.alloc(8 * MiB));
  const data = createHash("sha256").update("seed").digest();
  const noise = Buffer.alloc(3 * MiB);
  for (let i = 0; i < noise.length; i += 32) createHash("sha256").update(data).update(String(i)).digest().copy(noise, i);
  writeFileSync(raw, noise, { flag: "r+" });
  vmdk = join(dir, "disk.vmdk");
  await runOk("qemu-img", ["convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk]);
  vmdkSize = statSync(vmdk).size;
  qcow2Backed = join(dir, "backed.qcow2");
  await runOk("qemu-img", ["create", "-f", "qcow2", "-b", "/etc/shadow", "-F", "raw", qcow2Backed, "8M"]);
  qcow2DataFile = join(dir, "datafile.qcow2");
  await runOk("qemu-img", ["create", "-f", "qcow2", "-o", `data_file=${join(dir, "outside.raw")},data_file_raw=on`, qcow2DataFile, "8M"]);
  truncatedVmdk = join(dir, "truncated.vmdk");
  writeFileSync(truncatedVmdk, readFileSync(vmdk).subarray(0, Math.floor(vmdkSize / 2)));
  vmdkDescriptor = join(dir, "desc.vmdk");
  writeFileSync(vmdkDescriptor, `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 16384 FLAT "/etc/shadow" 0\n\nddb.virtualHWVersion = "4"\n`);
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface Entry { name: string; data?: Buffer | string; type?: tar.Header["type"]; linkname?: string; size?: number }

async function buildTar(path: string, entries: Entry[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(path));
  for (const e of entries) {
    await new Promise<void>((res, rej) => {
      const header: Partial<tar.Header> & { name: string } = { name: e.name, type: e.type ?? "file", mode: 0o644, mtime: new Date(0) };
      if (e.linkname) header.linkname = e.linkname;
      if (e.type === "character-device") { header.devmajor = 1; header.devminor = 3; }
      pack.entry(header, e.data ?? "", (err) => (err ? rej(err) : res()));
    });
  }
  pack.finalize();
  await done;
}

function ovfFor(diskBytes: number, opts: { href?: string; formatUri?: string; extraFile?: { href: string; size: number } } = {}): string {
  let xml = writeOvf(vm, [{ href: opts.href ?? "disk1.vmdk", fileBytes: diskBytes, capacityBytes: 8 * MiB }]);
  if (opts.formatUri) xml = xml.replace(/ovf:format="[^"]*"/, `ovf:format="${opts.formatUri}"`);
  if (opts.extraFile) xml = xml.replace("</References>", `  <File ovf:href="${opts.extraFile.href}" ovf:id="extra" ovf:size="${opts.extraFile.size}"/>\n  </References>`);
  return xml;
}

/** A well-formed package: descriptor, manifest, disk, with the given tweaks. */
function packageEntries(disk: Buffer, opts: { ovf?: string; diskName?: string; manifest?: string | null } = {}): Entry[] {
  const name = opts.diskName ?? "disk1.vmdk";
  const ovf = opts.ovf ?? ovfFor(disk.length, { href: name });
  const mf = opts.manifest === undefined ? formatManifest([{ name: "vm.ovf", sha256: sha256Hex(ovf) }, { name, sha256: sha256Hex(disk) }]) : opts.manifest;
  return [{ name: "vm.ovf", data: ovf }, ...(mf === null ? [] : [{ name: "vm.mf", data: mf }]), { name, data: disk }];
}

/** Runs openOva on a hostile archive in a private parent directory and checks the aftermath. */
async function expectRefused(label: string, entries: Entry[], message: RegExp, opts: { maxEntryBytes?: number; outsideProbe?: string } = {}) {
  const caseDir = mkdtempSync(join(dir, "case-"));
  const ova = join(caseDir, `${label}.ova`);
  await buildTar(ova, entries);
  const parent = join(caseDir, "work");
  mkdirSync(parent);
  await assert.rejects(openOva(ova, { parentDir: parent, maxEntryBytes: opts.maxEntryBytes }), (e: Error) => {
    assert.ok(isUserError(e), `UserError expected, got ${e.stack}`);
    assert.ok(e.message.startsWith(ova), `message names the OVA: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
  assert.deepEqual(readdirSync(parent), [], "the work directory was removed and nothing else was created in its parent");
  assert.deepEqual(readdirSync(caseDir).sort(), [`${label}.ova`, "work"], "nothing written beside the OVA");
  if (opts.outsideProbe) assert.equal(existsSync(opts.outsideProbe), false, `${opts.outsideProbe} must not exist`);
}

test("packOva writes a ustar OVA with the descriptor first, then the manifest, then the disk; xmllint accepts the OVF", async () => {
  const out = join(dir, "good.ova");
  const packed = await packOva({ vm, images: [vmdk], out });
  const names: string[] = [];
  const extract = tar.extract();
  const reading = (async () => { for await (const e of extract) { names.push(e.header.name); assert.equal(e.header.type, "file"); e.resume(); } })();
  await pipeline(createReadStream(out), extract);
  await reading;
  assert.deepEqual(names, ["good.ovf", "good.mf", "good-disk1.vmdk"]);
  assert.equal(readFileSync(out).subarray(257, 263).toString("latin1"), "ustar\0", "POSIX ustar magic");
  assert.match(packed.manifest, /^SHA256\(good\.ovf\)= [0-9a-f]{64}\nSHA256\(good-disk1\.vmdk\)= [0-9a-f]{64}\n$/);
  if (await haveCommand("xmllint")) {
    const ovfPath = join(dir, "good.ovf");
    writeFileSync(ovfPath, packed.ovfXml);
    await runOk("xmllint", ["--noout", ovfPath]);
  } else {
    console.log("# xmllint not installed (apt libxml2-utils): well-formedness check skipped");
  }
});

test("inspecting a good OVA verifies every entry and disk and reports them in notes, leaving no work directory", async () => {
  const out = join(dir, "inspect.ova");
  await packOva({ vm, images: [vmdk], out });
  const parent = mkdtempSync(join(dir, "parent-"));
  const inv = await readDescriptor(out, { parentDir: parent });
  assert.deepEqual(readdirSync(parent), []);
  const v = inv.vms[0]!;
  assert.equal(v.origin, "ova");
  assert.equal(v.cpu.count, 1);
  assert.equal(v.memoryBytes, 256 * MiB);
  assert.equal(v.disks[0]!.capacityBytes, 8 * MiB);
  assert.equal(v.disks[0]!.controller, "pvscsi");
  assert.ok(v.notes.some((n) => /^entry inspect\.ovf: descriptor, \d+ bytes, sha256 ok$/.test(n)), JSON.stringify(v.notes));
  assert.ok(v.notes.some((n) => /^entry inspect\.mf: manifest, \d+ bytes, n\/a$/.test(n)), JSON.stringify(v.notes));
  assert.ok(v.notes.some((n) => /^entry inspect-disk1\.vmdk: disk, \d+ bytes, sha256 ok$/.test(n)), JSON.stringify(v.notes));
  assert.ok(v.notes.some((n) => /^disk vmdisk1 \(inspect-disk1\.vmdk\): vmdk streamOptimized, virtual 8388608 bytes, qemu-img check ok$/.test(n)), JSON.stringify(v.notes));
});

test("openOva keeps the extracted, verified disks until remove()", async () => {
  const out = join(dir, "keep.ova");
  await packOva({ vm, images: [vmdk], out });
  const pkg = await openOva(out);
  try {
    assert.equal(pkg.disks.length, 1);
    assert.equal(pkg.disks[0]!.info.format, "vmdk");
    assert.equal(sha256Hex(readFileSync(pkg.disks[0]!.path)), sha256Hex(readFileSync(vmdk)));
  } finally {
    await pkg.remove();
  }
  assert.equal(existsSync(pkg.workDir), false);
});

test("hostile OVA: an entry with '..' is refused and nothing lands beside the work directory", async () => {
  const disk = readFileSync(vmdk);
  await expectRefused("traversal", [...packageEntries(disk), { name: "../escaped.vmdk", data: disk }], /entry "\.\.\/escaped\.vmdk": contains '\.\.' \(path traversal\)/);
  await expectRefused("traversal-deep", [...packageEntries(disk), { name: "a/../../../escaped2.vmdk", data: disk }], /contains '\.\.' \(path traversal\)/, { outsideProbe: join(dir, "..", "escaped2.vmdk") });
  // A descriptor that references such a name is refused as soon as it is read.
  await expectRefused("traversal-ref", packageEntries(disk, { diskName: "../escaped.vmdk" }), /entry "vm\.ovf": References a file "\.\.\/escaped\.vmdk" that contains '\.\.'/);
});

test("hostile OVA: an absolute path is refused", async () => {
  const probe = join(dir, `abs-${process.pid}.vmdk`);
  const disk = readFileSync(vmdk);
  await expectRefused("absolute", packageEntries(disk, { diskName: probe }), /is an absolute path; refused/, { outsideProbe: probe });
});

test("hostile OVA: a symbolic link is refused", async () => {
  const ovf = ovfFor(0);
  await expectRefused("symlink", [{ name: "vm.ovf", data: ovf }, { name: "disk1.vmdk", type: "symlink", linkname: "/etc/shadow" }], /entry "disk1\.vmdk": is a symbolic link to "\/etc\/shadow"; refused/);
});

test("hostile OVA: a hard link is refused", async () => {
  const ovf = ovfFor(0);
  await expectRefused("hardlink", [{ name: "vm.ovf", data: ovf }, { name: "disk1.vmdk", type: "link", linkname: "vm.ovf" }], /entry "disk1\.vmdk": is a hard link to "vm\.ovf"; refused/);
});

test("hostile OVA: a device node and a FIFO are refused", async () => {
  const ovf = ovfFor(0);
  await expectRefused("device", [{ name: "vm.ovf", data: ovf }, { name: "disk1.vmdk", type: "character-device" }], /is a device node \(character-device\); refused/);
  await expectRefused("fifo", [{ name: "vm.ovf", data: ovf }, { name: "disk1.vmdk", type: "fifo" }], /is a FIFO; refused/);
});

test("hostile OVA: a duplicate entry name is refused", async () => {
  const disk = readFileSync(vmdk);
  const e = packageEntries(disk);
  await expectRefused("duplicate", [...e, { name: "disk1.vmdk", data: disk }], /entry "disk1\.vmdk": appears twice in the archive/);
});

test("hostile OVA: a disk whose digest does not match the manifest is refused", async () => {
  const disk = readFileSync(vmdk);
  const ovf = ovfFor(disk.length);
  const mf = formatManifest([{ name: "vm.ovf", sha256: sha256Hex(ovf) }, { name: "disk1.vmdk", sha256: sha256Hex("something else") }]);
  await expectRefused("digest", packageEntries(disk, { ovf, manifest: mf }), /entry "disk1\.vmdk": SHA256 digest does not match the manifest vm\.mf/);
  const sha1mf = `SHA1(vm.ovf)= ${createHash("sha1").update(ovf).digest("hex")}\nSHA1(disk1.vmdk)= ${"0".repeat(40)}\n`;
  await expectRefused("digest-sha1", packageEntries(disk, { ovf, manifest: sha1mf }), /entry "disk1\.vmdk": SHA1 digest does not match/);
});

test("hostile OVA: a file the descriptor references but the archive lacks is refused", async () => {
  const disk = readFileSync(vmdk);
  const ovf = ovfFor(disk.length, { extraFile: { href: "disk2.vmdk", size: 1234 } });
  await expectRefused("missing", packageEntries(disk, { ovf }), /entry "disk2\.vmdk": is referenced by vm\.ovf but missing from the archive/);
});

test("hostile OVA: a file the descriptor does not reference is refused", async () => {
  const disk = readFileSync(vmdk);
  await expectRefused("unreferenced", [...packageEntries(disk), { name: "payload.sh", data: "#!/bin/sh\n" }], /entry "payload\.sh": is not referenced by the descriptor vm\.ovf/);
});

test("hostile OVA: an entry over the size cap is refused before it is written", async () => {
  const disk = readFileSync(vmdk);
  await expectRefused("oversized", packageEntries(disk), /entry "disk1\.vmdk": is \d+ bytes, over the 65536-byte limit/, { maxEntryBytes: 64 * 1024 });
});

test("hostile OVA: an entry whose size differs from the descriptor's ovf:size is refused", async () => {
  const disk = readFileSync(vmdk);
  await expectRefused("sizemismatch", packageEntries(disk, { ovf: ovfFor(disk.length + 512) }), new RegExp(`entry "disk1\\.vmdk": is ${disk.length} bytes but the descriptor's References say ovf:size=${disk.length + 512}`));
});

test("hostile OVA: a truncated VMDK (sizes and digests consistent) is refused by qemu-img check", async () => {
  const disk = readFileSync(truncatedVmdk);
  await expectRefused("truncated-vmdk", packageEntries(disk), /entry "disk1\.vmdk": qemu-img check: failed: .*(EOF|after)/);
});

test("hostile OVA: a truncated archive is refused", async () => {
  const caseDir = mkdtempSync(join(dir, "case-"));
  const good = join(caseDir, "whole.ova");
  await buildTar(good, packageEntries(readFileSync(vmdk)));
  const cut = join(caseDir, "cut.ova");
  writeFileSync(cut, readFileSync(good).subarray(0, 4096 + 1000));
  const parent = join(caseDir, "work");
  mkdirSync(parent);
  await assert.rejects(openOva(cut, { parentDir: parent }), (e: Error) => isUserError(e) && e.message.startsWith(cut) && /truncated|not a readable tar|missing/.test(e.message));
  assert.deepEqual(readdirSync(parent), []);
});

test("hostile OVA: a qcow2 naming /etc/shadow as its backing file is refused before qemu-img opens it", async () => {
  const disk = readFileSync(qcow2Backed);
  const ovf = ovfFor(disk.length, { formatUri: "http://www.gnome.org/~markmc/qcow-image-format.html" });
  await expectRefused("backing", packageEntries(disk, { ovf }), /entry "disk1\.vmdk": qcow2 image names a backing file "\/etc\/shadow"; refused/);
  // Declared as a streamOptimized VMDK instead, it is still caught on its header.
  await expectRefused("backing-as-vmdk", packageEntries(disk), /entry "disk1\.vmdk": qcow2 image names a backing file "\/etc\/shadow"/);
});

test("hostile OVA: a qcow2 with an external data file is refused", async () => {
  const disk = readFileSync(qcow2DataFile);
  const ovf = ovfFor(disk.length, { formatUri: "http://www.gnome.org/~markmc/qcow-image-format.html" });
  await expectRefused("datafile", packageEntries(disk, { ovf }), /uses an external data file; refused/);
});

test("hostile OVA: a VMDK descriptor file pointing to an extent outside is refused", async () => {
  const disk = readFileSync(vmdkDescriptor);
  await expectRefused("vmdk-extent", packageEntries(disk), /is a VMDK descriptor file pointing to extent\(s\) "\/etc\/shadow"/);
});

test("hostile OVA: the first entry must be the descriptor", async () => {
  const e = packageEntries(readFileSync(vmdk));
  await expectRefused("order", [e[2]!, e[0]!, e[1]!], /entry "disk1\.vmdk": is the first entry but is not the \.ovf descriptor/);
});

test("qemu-img wrappers: a format mismatch and a raw file with an image header are refused; check records 'unsupported' for vpc", async () => {
  await assert.rejects(safeImageInfo(vmdk, "qcow2", "x"), (e: Error) => isUserError(e) && /expected a qcow2 image but its header says vmdk-sparse/.test(e.message));
  await assert.rejects(safeImageInfo(vmdk, "raw", "x"), (e: Error) => isUserError(e) && /expected a raw image but its header says vmdk-sparse/.test(e.message));
  const info = await safeImageInfo(vmdk, "vmdk", "x");
  assert.equal(info.virtualSize, 8 * MiB);
  assert.equal(info.subformat, "streamOptimized");
  const vhd = join(dir, "d.vhd");
  await runOk("qemu-img", ["convert", "-f", "vmdk", "-O", "vpc", vmdk, vhd]);
  assert.equal((await safeImageInfo(vhd, "vpc", "x")).format, "vpc");
  assert.equal((await checkImage(vhd, "vpc")).status, "unsupported");
  assert.equal((await checkImage(vmdk, "vmdk")).status, "ok");
  truncateSync(vhd, 0);
});
