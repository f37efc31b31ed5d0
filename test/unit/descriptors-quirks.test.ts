import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDescriptor, sniff } from "../../src/descriptors/index.js";
import { parseOvf } from "../../src/descriptors/ovf-read.js";
import { parseVmx } from "../../src/descriptors/vmx.js";
import { byteUnitMultiplier } from "../../src/descriptors/units.js";
import { isUserError } from "../../src/errors.js";

const MiB = 2 ** 20, GiB = 2 ** 30;

/** A minimal OVF whose prefixes/namespace/encoding each test varies. */
function ovf(opts: { ns?: boolean; prefix?: string; decl?: string; memUnits?: string; mem?: string; eol?: string } = {}): string {
  const p = opts.prefix ?? "";
  const ns = opts.ns === false ? "" : ` xmlns${p ? `:${p.slice(0, -1)}` : ""}="http://schemas.dmtf.org/ovf/envelope/1"`;
  const ovfNs = p === "ovf:" ? "" : ` xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"`;
  return [
    opts.decl ?? `<?xml version="1.0" encoding="UTF-8"?>`,
    `<${p}Envelope${ns}${ovfNs} xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">`,
    `<${p}References><${p}File ovf:href="d.vmdk" ovf:id="f1" ovf:size="100"/></${p}References>`,
    `<${p}DiskSection><${p}Info>x</${p}Info><${p}Disk ovf:capacity="3" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="d1" ovf:fileRef="f1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></${p}DiskSection>`,
    `<${p}VirtualSystem ovf:id="q"><${p}Info>x</${p}Info><${p}Name>quirky</${p}Name>`,
    `<${p}VirtualHardwareSection><${p}Info>x</${p}Info>`,
    `<${p}Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></${p}Item>`,
    `<${p}Item>${opts.memUnits === undefined ? "" : `<rasd:AllocationUnits>${opts.memUnits}</rasd:AllocationUnits>`}<rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>${opts.mem ?? "1024"}</rasd:VirtualQuantity></${p}Item>`,
    `<${p}Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></${p}Item>`,
    `<${p}Item><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></${p}Item>`,
    `<${p}Item><rasd:Connection>lan</rasd:Connection><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></${p}Item>`,
    `</${p}VirtualHardwareSection></${p}VirtualSystem></${p}Envelope>`,
  ].join(opts.eol ?? "\n");
}

function expectQuirky(bytes: Buffer | string, origin = "t.ovf") {
  const doc = parseOvf(typeof bytes === "string" ? Buffer.from(bytes) : bytes, origin);
  const vm = doc.vms[0]!;
  assert.equal(vm.name, "quirky");
  assert.equal(vm.cpu.count, 2);
  assert.equal(vm.disks[0]!.capacityBytes, 3 * GiB);
  assert.equal(vm.disks[0]!.controller, "pvscsi");
  assert.equal(vm.nics[0]!.model, "vmxnet3");
  return { doc, vm };
}

test("OVF elements read the same with ovf: prefixes, without prefixes, and without any namespace", () => {
  expectQuirky(ovf());
  expectQuirky(ovf({ prefix: "ovf:" }));
  const { vm } = expectQuirky(ovf({ ns: false }));
  assert.ok(vm.notes.some((n) => /no default namespace/.test(n)));
});

test("a UTF-8 BOM, a false UTF-16 declaration and CRLF line endings are read and noted", () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ovf())]);
  assert.ok(expectQuirky(bom).vm.notes.includes("UTF-8 byte-order mark"));
  const lying = expectQuirky(ovf({ decl: `<?xml version="1.0" encoding="utf-16"?>` }));
  assert.ok(lying.vm.notes.some((n) => /declares encoding "utf-16" but the bytes are UTF-8/.test(n)));
  assert.ok(expectQuirky(ovf({ eol: "\r\n" })).vm.notes.includes("CRLF line endings"));
});

test("a real UTF-16LE descriptor with a BOM is decoded", () => {
  const text = ovf({ decl: `<?xml version="1.0" encoding="utf-16"?>` });
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  const { vm } = expectQuirky(bytes);
  assert.ok(vm.notes.includes("UTF-16LE with BOM"));
});

test("memory AllocationUnits in programmatic and informal forms", () => {
  for (const [units, mem, bytes] of [["byte * 2^20", "1024", 1024 * MiB], ["MegaBytes", "512", 512 * MiB], ["MB", "256", 256 * MiB], ["GB", "2", 2 * GiB], ["byte * 2^30", "4", 4 * GiB], ["byte", "1048576", MiB]] as const) {
    const vm = parseOvf(Buffer.from(ovf({ memUnits: units, mem })), "t.ovf").vms[0]!;
    assert.equal(vm.memoryBytes, bytes, units);
  }
  const noUnits = parseOvf(Buffer.from(ovf({ mem: "768" })), "t.ovf").vms[0]!;
  assert.equal(noUnits.memoryBytes, 768 * MiB);
  assert.ok(noUnits.notes.some((n) => /no AllocationUnits; read as MiB/.test(n)));
  assert.equal(byteUnitMultiplier("hertz * 10^6"), null);
  assert.equal(byteUnitMultiplier("byte*2^20"), MiB);
});

test("malformed OVF XML is a UserError naming the file and the line", () => {
  assert.throws(() => parseOvf(Buffer.from(ovf().replace("</VirtualSystem>", "")), "broken.ovf"), (e: Error) => isUserError(e));
  assert.throws(() => parseOvf(Buffer.from("<Envelope><VirtualSystem></Envelope>"), "broken.ovf"), (e: Error) => isUserError(e) && /broken\.ovf: not well-formed XML \(line \d+/.test(e.message));
});

test("a DOCTYPE with entity definitions is refused rather than expanded", () => {
  const bomb = `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><Envelope><VirtualSystem/></Envelope>`;
  assert.throws(() => parseOvf(Buffer.from(bomb), "bomb.ovf"), (e: Error) => isUserError(e) && /bomb\.ovf: .*DOCTYPE/.test(e.message));
});

test("content sniffing: kind decided by content, with what it looked like otherwise", () => {
  assert.equal(sniff(Buffer.from(ovf())).kind, "ovf");
  assert.equal(sniff(Buffer.from(`<?xml version="1.0"?>\n<!-- c -->\n<domain type="kvm"><name>x</name></domain>`)).kind, "libvirt-xml");
  assert.equal(sniff(Buffer.from(`.encoding = "UTF-8"\nconfig.version = "8"\nmemsize = "512"\n`)).kind, "vmx");
  assert.match(sniff(Buffer.from("<html><body/></html>")).lookedLike, /XML with root element <html>/);
  assert.match(sniff(Buffer.from("# Disk DescriptorFile\nversion=1\nRW 8 SPARSE \"x.vmdk\"\n")).lookedLike, /VMDK disk descriptor/);
  assert.match(sniff(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2])).lookedLike, /binary/);
});

test("readDescriptor decides by content, not extension, and names the file when it cannot read it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-desc-test-"));
  try {
    writeFileSync(join(dir, "really-ovf.xml"), ovf());
    const inv = await readDescriptor(join(dir, "really-ovf.xml"));
    assert.equal(inv.vms[0]!.origin, "ovf");
    writeFileSync(join(dir, "vm.vmx"), "hello world\nthis is not a vmx\n");
    await assert.rejects(readDescriptor(join(dir, "vm.vmx")), (e: Error) => isUserError(e) && e.message.includes("vm.vmx") && /text starting with "hello world"/.test(e.message));
    await assert.rejects(readDescriptor(join(dir, "absent.ovf")), (e: Error) => isUserError(e) && /absent\.ovf: no such file/.test(e.message));
    await assert.rejects(readDescriptor(dir), (e: Error) => isUserError(e) && /not a regular file/.test(e.message));
    writeFileSync(join(dir, "dom.xml"), `<domain type="kvm"><name>libvirt-vm</name><memory unit="KiB">1048576</memory><vcpu>2</vcpu><os><type>hvm</type></os><devices/></domain>`);
    const lv = await readDescriptor(join(dir, "dom.xml"));
    assert.equal(lv.vms[0]!.name, "libvirt-vm");
    assert.equal(lv.vms[0]!.cpu.count, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("VMX: keys are case-insensitive, absent devices are skipped and named, |22 escapes decoded", () => {
  const vm = parseVmx([
    `.encoding = "UTF-8"`, `DISPLAYNAME = "a |22quoted|22 vm"`, `NumVCPUs = "4"`, `MEMSIZE = "3072"`, `guestOS = "debian11-64"`, `firmware = "efi"`,
    `scsi0.present = "TRUE"`, `scsi0.virtualDev = "lsisas1068"`, `scsi0:0.present = "TRUE"`, `scsi0:0.fileName = "a.vmdk"`,
    `scsi0:1.present = "FALSE"`, `scsi0:1.fileName = "gone.vmdk"`,
    `sata0.present = "TRUE"`, `sata0:2.present = "TRUE"`, `sata0:2.fileName = "b.vmdk"`, `sata0:2.deviceType = "disk"`,
    `ide1:0.present = "TRUE"`, `ide1:0.deviceType = "atapi-cdrom"`,
    `ethernet0.present = "TRUE"`, `ethernet0.virtualDev = "vlance"`, `ethernet0.networkName = "lan"`,
    `ethernet1.present = "FALSE"`, `ethernet1.virtualDev = "e1000"`,
  ].join("\r\n"), "x.vmx");
  assert.equal(vm.name, `a "quoted" vm`);
  assert.equal(vm.cpu.count, 4);
  assert.equal(vm.memoryBytes, 3072 * MiB);
  assert.equal(vm.firmware, "uefi");
  assert.deepEqual(vm.disks.map((d) => [d.target, d.device, d.controller, d.source]), [
    ["ide1:0", "cdrom", "piix4", null], ["sata0:2", "disk", "ahci", "b.vmdk"], ["scsi0:0", "disk", "lsisas1068", "a.vmdk"],
  ]);
  assert.deepEqual(vm.nics.map((n) => [n.model, n.network]), [["pcnet", "lan"]]);
  assert.ok(vm.notes.some((n) => /not present \(ignored\): scsi0:1/.test(n)));
  assert.ok(vm.notes.some((n) => /NICs declared but not present \(ignored\): ethernet1/.test(n)));
});
