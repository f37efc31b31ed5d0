import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseLibvirtDomainXml, scaledBytes, tiosaRunIdOf, parseXmlTree } from "../../src/descriptors/libvirt-xml.js";
import { VmInventory } from "../../src/inventory/model.js";
import { UserError } from "../../src/errors.js";

const CORPUS = "/work/shared/corpus/descriptors";
const read = (f: string) => readFileSync(join(CORPUS, f), "utf8");
const parse = (f: string) => parseLibvirtDomainXml(read(f), f);
const GiB = 1024 ** 3, MiB = 1024 ** 2, KiB = 1024;

test("every libvirt and virt-install domain XML of the corpus parses into a valid inventory", () => {
  const files = readdirSync(CORPUS).filter((f) => /^(libvirt|virtinstall)__/.test(f));
  assert.equal(files.length, 24);
  for (const f of files) {
    const inv = parse(f);
    assert.equal(VmInventory.safeParse(inv).success, true, f);
    assert.ok(inv.name.length > 0, f);
  }
});

test("ESX 8 domain: pvscsi disk, empty SATA cdrom, vmxnet3 on 'VM Network', UEFI, 2 GiB", () => {
  const v = parse("libvirt__esx-in-the-wild-12.xml");
  assert.equal(v.hypervisorType, "vmware");
  assert.equal(v.memoryBytes, 2 * GiB);
  assert.equal(v.cpu.count, 1);
  assert.equal(v.firmware, "uefi");
  assert.deepEqual(v.disks.map((d) => [d.target, d.bus, d.device, d.controller, d.source]), [
    ["sda", "scsi", "disk", "vmpvscsi", "[datastore] directory/Auto-esx8.0-rhell9.3-efi-with-empty-cdrom.vmdk"],
    ["sda", "sata", "cdrom", null, null],
  ]);
  assert.deepEqual(v.nics, [{ model: "vmxnet3", network: "VM Network", mac: "00:50:56:a0:cf:2f", filter: null }]);
  assert.deepEqual(v.graphics, ["video:vmvga"]);
});

test("q35 virtio-pci domain: two user-mode NICs (virtio, e1000e), virtio disk on a block device", () => {
  const v = parse("libvirt__qemuxml2xmlout-q35-virtio-pci.xml");
  assert.equal(v.machine, "q35");
  assert.equal(v.cpu.count, 2);
  assert.equal(v.memoryBytes, 2097152 * KiB);
  assert.deepEqual(v.disks.map((d) => [d.target, d.bus, d.source]), [["vdb", "virtio", "/dev/HostVG/QEMUGuest1"]]);
  assert.deepEqual(v.nics.map((n) => [n.model, n.network, n.mac]), [["virtio", "user", "00:11:22:33:44:55"], ["e1000e", "user", "00:11:22:33:44:66"]]);
  assert.ok(v.notes.some((n) => n.includes("/export/to/guest")));
});

test("NUMA domain: 16 vCPUs as 2 sockets x 4 cores x 2 threads, memory in KiB", () => {
  const v = parse("libvirt__qemuxml2xmlout-cpu-numa1.xml");
  assert.deepEqual(v.cpu, { count: 16, model: null, sockets: 2, cores: 4, threads: 2 });
  assert.equal(v.memoryBytes, 219100 * KiB);
});

test("Xen PV with 4 of 8 vCPUs online counts the online ones and notes the maximum", () => {
  const v = parse("libvirt__test-paravirt-maxvcpus.xml");
  assert.equal(v.cpu.count, 4);
  assert.equal(v.firmware, null);
  assert.equal(v.osType, "linux");
  assert.deepEqual(v.disks.map((d) => [d.target, d.bus, d.format]), [["xvda", "xen", "qcow2"]]);
  assert.ok(v.notes.includes("vcpu: 4 online of 8 maximum"));
});

test("Xen HVM with OVMF: UEFI, three IDE devices, e1000 on xenbr1, cirrus", () => {
  const v = parse("libvirt__test-fullvirt-ovmf.xml");
  assert.equal(v.firmware, "uefi");
  assert.equal(v.memoryBytes, 592896 * KiB);
  assert.deepEqual(v.disks.map((d) => [d.target, d.device, d.format]), [["hda", "disk", "raw"], ["hdb", "disk", "qcow2"], ["hdc", "cdrom", "raw"]]);
  assert.deepEqual(v.nics.map((n) => [n.model, n.network]), [["e1000", "xenbr1"]]);
  assert.deepEqual(v.graphics, ["vnc", "video:cirrus"]);
});

test("LXC container: no disks, says so, memory 500000 KiB", () => {
  const v = parse("libvirt__lxc-systemd.xml");
  assert.equal(v.hypervisorType, "lxc");
  assert.equal(v.disks.length, 0);
  assert.equal(v.memoryBytes, 500000 * KiB);
  assert.ok(v.notes.some((n) => n.startsWith("container domain")));
});

test("Parallels disk without a bus gets libvirt's bus from the target name, with a note", () => {
  const v = parse("libvirt__domain-parallels-vm-simple.xml");
  assert.equal(v.disks[0]!.bus, "ide");
  assert.ok(v.notes[0]!.includes("derived from the target name"));
});

test("non-x86 guests (aarch64, s390x, ppc64) have no BIOS and are noted", () => {
  for (const f of ["libvirt__qemuxml2xmlout-machine-loadparm-multiple-disks-nets-s390.xml", "virtinstall__virt-install-ppc64-pseries-f20.xml"]) {
    const v = parse(f);
    assert.equal(v.firmware, null, f);
    assert.ok(v.notes.some((n) => n.includes("not x86")), f);
  }
  assert.equal(parse("virtinstall__virt-install-aarch64-kvm-import.xml").firmware, "uefi");
});

test("virt-install many-devices: nwfilters bound to NICs, host devices noted, network disks named", () => {
  const v = parse("virtinstall__virt-install-many-devices.xml");
  assert.equal(v.cpu.count, 9);
  assert.deepEqual([v.cpu.sockets, v.cpu.cores, v.cpu.threads], [1, 3, 3]);
  assert.deepEqual(v.nics.filter((n) => n.filter).map((n) => n.filter), ["foobar", "filterbar"]);
  assert.ok(v.disks.some((d) => d.source === "rbd://ceph-mon-1.example.com:6789/rbd-sourcename/fedora"));
  assert.ok(v.notes.some((n) => n.startsWith("16 host device(s)")));
  assert.ok(v.notes.some((n) => n.startsWith("Hyper-V enlightenments")));
});

test("virt-install Xen HVM: memory without a unit is KiB", () => {
  const v = parse("virtinstall__virt-install-xen-hvm.xml");
  assert.equal(v.memoryBytes, 65536 * KiB);
  assert.equal(v.machine, "xenfv");
});

test("scaled units follow libvirt: KB is 1000, k/KiB 1024, G is GiB", () => {
  const node = (t: string, unit?: string) => (unit ? { "#text": t, "@unit": unit } : t);
  assert.equal(scaledBytes(node("1", "KB"), "x", "m"), 1000);
  assert.equal(scaledBytes(node("1", "k"), "x", "m"), 1024);
  assert.equal(scaledBytes(node("2", "G"), "x", "m"), 2 * GiB);
  assert.equal(scaledBytes(node("512", "MiB"), "x", "m"), 512 * MiB);
  assert.equal(scaledBytes(node("3"), "x", "m"), 3 * KiB);
  assert.throws(() => scaledBytes(node("1", "parsecs"), "x", "<memory>"), /unknown unit 'parsecs'/);
});

test("not XML, another root element, or no name: a UserError naming the input", () => {
  assert.throws(() => parseLibvirtDomainXml("hello", "f.xml"), (e: unknown) => e instanceof UserError && /f\.xml: not XML/.test(e.message));
  assert.throws(() => parseLibvirtDomainXml("<network><name>x</name></network>", "n.xml"), /n\.xml: not a libvirt domain XML \(root element is <network>/);
  assert.throws(() => parseLibvirtDomainXml("<domain type='kvm'><memory>1</memory></domain>", "d.xml"), /d\.xml: libvirt domain XML has no <name>/);
  assert.throws(() => parseLibvirtDomainXml("<domain><name>a</name>", "broken.xml"), /broken\.xml: not well-formed XML/);
});

test("the tiosa run marker is read from <metadata>, and only in tiosa's namespace", () => {
  const marked = `<domain type='qemu'><name>tiosa-1-x</name><metadata><tiosa:run xmlns:tiosa="https://tiosa.dev/xmlns/run/1" id="0badcafe"/></metadata></domain>`;
  assert.equal(tiosaRunIdOf(parseXmlTree(marked, "m")), "0badcafe");
  const other = `<domain><name>x</name><metadata><foo:run xmlns:foo="https://example.org/x" id="1"/></metadata></domain>`;
  assert.equal(tiosaRunIdOf(parseXmlTree(other, "o")), null);
});
