import { test } from "node:test";
import assert from "node:assert/strict";
import { VmInventory } from "../../src/inventory/model.js";
import { buildOvf, writeOvf, STREAM_OPTIMIZED_VMDK } from "../../src/descriptors/ovf-write.js";
import { parseOvf } from "../../src/descriptors/ovf-read.js";
import { formatManifest, parseManifest, sha256Hex } from "../../src/descriptors/manifest.js";

const MiB = 2 ** 20, GiB = 2 ** 30;

const vmwareShaped = VmInventory.parse({
  name: "debian-12 <moved> & back", origin: "libvirt", hypervisorType: "vmware", memoryBytes: 2048 * MiB,
  cpu: { count: 2 }, firmware: "uefi", osType: "debian12", machine: "vmx-08",
  disks: [
    { target: "scsi0:0", bus: "scsi", controller: "pvscsi", device: "disk", format: "vmdk", capacityBytes: 2 * GiB, source: "a" },
    { target: "scsi0:1", bus: "scsi", controller: "pvscsi", device: "disk", format: "vmdk", capacityBytes: 48 * MiB + 512, source: "b" },
    { target: "sata0:0", bus: "sata", controller: "ahci", device: "disk", format: "vmdk", capacityBytes: 1 * GiB, source: "c" },
  ],
  nics: [{ model: "vmxnet3", network: "VM Network", mac: "00:50:56:aa:bb:cc" }, { model: "e1000", network: "backup net" }],
});

const files = [
  { href: "vm-disk1.vmdk", fileBytes: 123456, capacityBytes: 2 * GiB },
  { href: "vm-disk2.vmdk", fileBytes: 65536, capacityBytes: 48 * MiB + 512 },
  { href: "vm-disk3.vmdk", fileBytes: 70000, capacityBytes: 1 * GiB },
];

test("OVF written then read gives back the same inventory (CPU, memory, disks, controllers, NICs, OS, firmware)", () => {
  const xml = writeOvf(vmwareShaped, files);
  const doc = parseOvf(Buffer.from(xml), "written.ovf");
  assert.equal(doc.dialect, "1.x");
  assert.equal(doc.vms.length, 1);
  const back = doc.vms[0]!;
  assert.equal(back.name, vmwareShaped.name);
  assert.equal(back.cpu.count, 2);
  assert.equal(back.memoryBytes, 2048 * MiB);
  assert.equal(back.firmware, "uefi");
  assert.equal(back.osType, "debian12");
  assert.equal(back.hypervisorType, "vmware");
  assert.deepEqual(back.disks.map((d) => [d.target, d.bus, d.controller, d.format, d.capacityBytes, d.source]), [
    ["scsi0:0", "scsi", "pvscsi", "vmdk", 2 * GiB, "vm-disk1.vmdk"],
    ["scsi0:1", "scsi", "pvscsi", "vmdk", 48 * MiB + 512, "vm-disk2.vmdk"],
    ["sata0:0", "sata", "ahci", "vmdk", 1 * GiB, "vm-disk3.vmdk"],
  ]);
  assert.deepEqual(back.nics.map((n) => [n.model, n.network, n.mac]), [["vmxnet3", "VM Network", "00:50:56:aa:bb:cc"], ["e1000", "backup net", null]]);
  assert.deepEqual(doc.files.map((f) => [f.href, f.size]), files.map((f) => [f.href, f.fileBytes]));
  assert.ok(doc.disks.every((d) => d.formatUri === STREAM_OPTIMIZED_VMDK && d.variant === "streamOptimized"));
  assert.deepEqual(doc.networks, ["VM Network", "backup net"]);
});

test("capacities that are whole GiB use byte * 2^30, others plain bytes", () => {
  const xml = writeOvf(vmwareShaped, files);
  assert.match(xml, /ovf:capacity="2" ovf:capacityAllocationUnits="byte \* 2\^30"/);
  assert.match(xml, /ovf:capacity="50332160" ovf:capacityAllocationUnits="byte"/);
});

test("hardware OVF has no word for is written as the nearest accepted one, with a note", () => {
  const kvm = VmInventory.parse({
    name: "kvm-vm", origin: "libvirt", memoryBytes: 1024 * MiB, cpu: { count: 1 }, osType: null,
    disks: [{ target: "vda", bus: "virtio", device: "disk", format: "qcow2", capacityBytes: GiB, source: "x" }, { target: "sda", bus: "sata", device: "cdrom", format: "raw", capacityBytes: null, source: null }],
    nics: [{ model: "virtio", network: "default" }],
  });
  const { xml, notes } = buildOvf(kvm, [{ href: "k.vmdk", fileBytes: 1, capacityBytes: GiB }]);
  const back = parseOvf(Buffer.from(xml), "k.ovf").vms[0]!;
  assert.equal(back.disks[0]!.controller, "lsilogic");
  assert.equal(back.nics[0]!.model, "e1000");
  assert.ok(notes.some((n) => /vda on virtio written as SCSI lsilogic/.test(n)));
  assert.ok(notes.some((n) => /model virtio written as E1000/.test(n)));
  assert.ok(notes.some((n) => /1 removable device/.test(n)));
});

test("a VM without NICs gets no (schema-invalid) empty NetworkSection", () => {
  const vm = VmInventory.parse({ name: "n", origin: "x", memoryBytes: MiB, cpu: { count: 1 }, disks: [], nics: [] });
  assert.doesNotMatch(writeOvf(vm, []), /NetworkSection/);
});

test("the number of disk files must match the inventory's disks", () => {
  assert.throws(() => writeOvf(vmwareShaped, files.slice(1)), /3 disk\(s\) in the inventory but 2/);
});

test("manifest lines are SHA256(file)= hex and parse back", () => {
  const mf = formatManifest([{ name: "a.ovf", sha256: sha256Hex("x") }]);
  assert.equal(mf, `SHA256(a.ovf)= ${sha256Hex("x")}\n`);
  assert.deepEqual(parseManifest(mf).lines, [{ algorithm: "sha256", name: "a.ovf", digest: sha256Hex("x") }]);
  assert.deepEqual(parseManifest("SHA1 (b.vmdk) = ABCDEF\n").lines, [{ algorithm: "sha1", name: "b.vmdk", digest: "abcdef" }]);
});
