import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_FAMILIES, getFamily, loadFamilyFile, familyNames } from "../../src/hypervisor/families/index.js";
import { buildDomainXml, buildAttachDiskXml, buildFixedSubnetNetworkXml, buildNetworkXml, targetName } from "../../src/hypervisor/libvirt/domain-xml.js";
import { fixedGuestNetwork } from "../../src/images/recipe.js";
import { findRecipe } from "../../src/images/index.js";
import { parseLibvirtDomainXml, parseXmlTree, tiosaRunIdOf } from "../../src/descriptors/libvirt-xml.js";
import { UserError } from "../../src/errors.js";

const domainOf = (family: string, accel: "kvm" | "tcg" = "tcg") => buildDomainXml({
  name: "tiosa-0123abcd-vm", runId: "0123abcd", family: getFamily(family), accel, memoryMiB: 1024, vcpus: 2,
  disks: [{ path: "/pool/disk0", format: getFamily(family).disk.format }], network: "tiosa-0123abcd", serialLogPath: "/log/x-serial.log",
});

test("the four families of the paper, each saying it is emulated hardware, not the vendor's hypervisor", () => {
  assert.deepEqual(BUILTIN_FAMILIES.map((f) => f.name), ["kvm", "vmware", "hyperv", "xen"]);
  for (const f of BUILTIN_FAMILIES) assert.match(f.description, /emulated on QEMU/, f.name);
  for (const f of BUILTIN_FAMILIES.filter((f) => f.name !== "kvm")) assert.match(f.description, /not (VMware's|Microsoft's|the Xen) hypervisor/, f.name);
});

test("each family's domain XML reads back as that family's hardware", () => {
  const expect: Record<string, [string, string, string | null, string, string, string]> = {
    kvm: ["pc-q35", "virtio", null, "qcow2", "virtio", "video:vga"],
    vmware: ["pc", "scsi", "vmpvscsi", "vmdk", "vmxnet3", "video:vmvga"],
    hyperv: ["pc", "ide", null, "vpc", "tulip", "video:vga"],
    xen: ["pc", "ide", null, "vpc", "rtl8139", "video:cirrus"],
  };
  for (const [name, [machine, bus, controller, format, nic, video]] of Object.entries(expect)) {
    const inv = parseLibvirtDomainXml(domainOf(name), name);
    assert.equal(inv.machine, machine === "pc-q35" ? "q35" : machine, name);
    assert.deepEqual([inv.disks[0]!.bus, inv.disks[0]!.controller, inv.disks[0]!.format], [bus, controller, format], name);
    assert.equal(inv.nics[0]!.model, nic, name);
    assert.equal(inv.nics[0]!.network, "tiosa-0123abcd", name);
    assert.ok(inv.graphics.includes(video), name);
    assert.equal(inv.cpu.count, 2);
    assert.equal(inv.memoryBytes, 1024 * 1024 * 1024);
  }
});

test("TCG domains are type 'qemu', KVM ones type 'kvm'; both carry the run marker", () => {
  assert.equal(parseLibvirtDomainXml(domainOf("kvm", "tcg"), "t").hypervisorType, "qemu");
  assert.equal(parseLibvirtDomainXml(domainOf("kvm", "kvm"), "k").hypervisorType, "kvm");
  assert.equal(tiosaRunIdOf(parseXmlTree(domainOf("xen"), "x")), "0123abcd");
});

test("hyperv turns on Hyper-V enlightenments that QEMU accepts under TCG", () => {
  const inv = parseLibvirtDomainXml(domainOf("hyperv"), "h");
  assert.ok(inv.notes.includes("Hyper-V enlightenments: relaxed, vapic, spinlocks"));
  assert.doesNotMatch(domainOf("hyperv"), /vpindex|synic|stimer/);
  assert.doesNotMatch(domainOf("kvm"), /<hyperv/);
});

test("pvscsi disks get an explicit drive address, hot-plugged ones on the next free target", () => {
  assert.match(domainOf("vmware"), /<address type='drive' controller='0' bus='0' target='0' unit='0'\/>/);
  const x = buildAttachDiskXml({ path: "/p/e.img", format: "raw", target: "sdb", bus: "scsi", scsiUnitTarget: 1 });
  assert.match(x, /target='1' unit='0'/);
  assert.doesNotMatch(buildAttachDiskXml({ path: "/p/e.img", format: "raw", target: "vdb", bus: "virtio" }), /<address/);
});

test("names and paths are XML-escaped", () => {
  const x = buildAttachDiskXml({ path: "/p/a'b&<c>.img", format: "raw", target: "vdb", bus: "virtio" });
  assert.match(x, /file='\/p\/a&apos;b&amp;&lt;c&gt;\.img'/);
  assert.match(buildNetworkXml("tiosa-x", 123), /<ip address='192\.168\.123\.1'/);
  assert.equal(targetName("vd", 0), "vda");
  assert.equal(targetName("hd", 2), "hdc");
});

test("a static-address guest's network: the host takes its gateway and DNS addresses on the bridge, no DHCP", () => {
  const net = fixedGuestNetwork(findRecipe("debian-13-static"));
  assert.deepEqual(net, { address: "10.0.2.15", prefix: 24, gateway: "10.0.2.2", dns: ["10.0.2.3"] });
  assert.equal(fixedGuestNetwork(findRecipe("debian-12")), null, "a DHCP guest needs no fixed subnet");
  const x = buildFixedSubnetNetworkXml("tiosa-0123abcd", "tbs0123abcd", net!);
  assert.deepEqual([...x.matchAll(/<ip address='([^']+)' netmask='([^']+)'\/>/g)].map((m) => `${m[1]}/${m[2]}`), ["10.0.2.2/255.255.255.0", "10.0.2.3/255.255.255.0"]);
  assert.doesNotMatch(x, /dhcp/);
  assert.match(x, /<forward mode='nat'\/>/);
  // DNS outside the subnet is not the host's to take; a gateway outside it cannot work.
  assert.doesNotMatch(buildFixedSubnetNetworkXml("n", "b", { ...net!, dns: ["9.9.9.9"] }), /9\.9\.9\.9/);
  assert.match(buildFixedSubnetNetworkXml("n", "b", { address: "172.16.5.20", prefix: 20, gateway: "172.16.0.1", dns: [] }), /<ip address='172\.16\.0\.1' netmask='255\.255\.240\.0'\/>/);
  assert.throws(() => buildFixedSubnetNetworkXml("n", "b", { ...net!, gateway: "10.0.3.1" }), /gateway 10\.0\.3\.1 is not another address in 10\.0\.2\.15\/24/);
  assert.throws(() => buildFixedSubnetNetworkXml("n", "b", { ...net!, gateway: "10.0.2.15" }), /not another address/);
});

test("a user's family file (YAML) becomes a usable family name; a bad one is a UserError naming the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-test-"));
  try {
    const good = join(dir, "virtualbox.yaml");
    await writeFile(good, [
      "name: virtualbox", "standsFor: Oracle VirtualBox",
      "description: VirtualBox's default hardware (AHCI disk, e1000 NIC) emulated on QEMU; not VirtualBox itself.",
      "machine: pc", "disk: { bus: sata, format: vdi, targetPrefix: sd }", "nic: { model: e1000 }", "video: { model: vga }",
    ].join("\n"));
    await assert.rejects(loadFamilyFile(good), /disk\.format/);
    await writeFile(good, (await import("node:fs")).readFileSync(good, "utf8").replace("vdi", "raw"));
    const f = await loadFamilyFile(good);
    assert.equal(getFamily("virtualbox"), f);
    assert.ok(familyNames().includes("virtualbox"));
    const clash = join(dir, "kvm.json");
    await writeFile(clash, JSON.stringify({ ...f, name: "kvm" }));
    await assert.rejects(loadFamilyFile(clash), /is a built-in family/);
    assert.throws(() => getFamily("bhyve"), (e: unknown) => e instanceof UserError && /'bhyve' is unknown/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
