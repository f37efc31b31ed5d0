import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { BUILTIN_FAMILIES, getFamily } from "../../src/hypervisor/families/index.js";
import { HardwareFamily } from "../../src/hypervisor/families/family.js";
import { VmInventory } from "../../src/inventory/model.js";
import { assess, assessmentExitCode } from "../../src/assess/assess.js";
import type { AssessSubject, Concern } from "../../src/assess/concern.js";
import { ASSESS_RULES } from "../../src/assess/rules/index.js";
import { factsScript, type GuestFacts } from "../../src/adapt/facts.js";
import { FIX, K, hostonlyFacts, read } from "../support/guest-facts.js";

// Recorded facts: Debian 12's kernel 6.1.0-50 (modules.alias/dep/builtin of the drivers involved)
// and an initramfs MODULES=list virtio_pci virtio_blk ext4 (test/fixtures/adapt).
const subject = (o: { facts?: GuestFacts | null; inventory?: VmInventory | null; from?: string; factsMissing?: string } = {}): AssessSubject => ({
  source: "test-vm", inventory: o.inventory ?? null, facts: o.facts === undefined ? hostonlyFacts() : o.facts,
  sourceFamily: o.from ? getFamily(o.from) : null, ...(o.factsMissing ? { factsMissing: o.factsMissing } : {}),
});
const run = (s: AssessSubject, to: string[] = ["kvm", "vmware", "hyperv", "xen"], keepsMac = false) => assess(s, to.map(getFamily), { keepsMac });
const byId = (cs: Concern[], id: string) => cs.filter((c) => c.id === id);
const inventory = (o: Partial<VmInventory>) => VmInventory.parse({ name: "vm", origin: "libvirt-xml", memoryBytes: 2 ** 30, cpu: { count: 1 }, disks: [], nics: [], ...o });
const keyfile = (mac: string, extra = "") => `[connection]\nid=ens3\ntype=ethernet\n${extra}\n[ethernet]\nmac-address=${mac}\n\n[ipv4]\nmethod=auto\n`;

test("initramfs-lacks-disk-driver: a MODULES=list virtio initramfs is critical for PVSCSI, IDE, and fine on virtio", () => {
  const a = run(subject());
  const c = byId(a.concerns, "initramfs-lacks-disk-driver");
  assert.deepEqual(c.flatMap((x) => x.families).sort(), ["hyperv", "vmware", "xen"]);
  const vm = c.find((x) => x.families.includes("vmware"))!;
  assert.equal(vm.severity, "critical");
  assert.match(vm.detail, /vmw_pvscsi/);
  assert.deepEqual(vm.predicts, [{ test: "1.1.a", verdict: "FAILURE" }]);
  assert.match(c.find((x) => x.families.includes("hyperv"))!.detail, /ata_piix/);
  assert.equal(a.worst.kvm === "critical", false, "nothing critical on kvm");
});

test("initramfs-lacks-disk-driver: dracut is named in the evidence; an initramfs that could not be listed is an info, not a guess", () => {
  const d = byId(run(subject({ facts: hostonlyFacts((f) => { f.initramfsTool = "dracut"; }) }), ["vmware"]).concerns, "initramfs-lacks-disk-driver")[0]!;
  assert.ok(d.evidence.includes("dracut: host-only initramfs"));
  const u = byId(run(subject({ facts: hostonlyFacts((f) => { f.initramfsModules = []; }) }), ["vmware"]).concerns, "initramfs-lacks-disk-driver")[0]!;
  assert.equal(u.severity, "info");
  assert.match(u.detail, /could not be listed/);
});

test("initramfs-lacks-disk-driver: an initramfs holding the target's drivers raises nothing", () => {
  const facts = hostonlyFacts((f) => { f.initramfsModules.push("vmw_pvscsi", "sd_mod", "scsi_mod", "scsi_common", "t10_pi", "crc_t10dif", "crct10dif_common", "crc64_rocksoft", "crc64"); });
  assert.deepEqual(byId(run(subject({ facts }), ["vmware"]).concerns, "initramfs-lacks-disk-driver"), []);
});

test("kernel-lacks-driver: a kernel without vmxnet3 loses its NIC on vmware only; a kernel without pvscsi cannot boot there", () => {
  const noNic = hostonlyFacts((f) => { f.modulesAlias = f.modulesAlias.split("\n").filter((l) => !/vmxnet3/.test(l)).join("\n"); });
  const c = byId(run(subject({ facts: noNic })).concerns, "kernel-lacks-driver");
  assert.deepEqual(c.map((x) => x.families), [["vmware"]]);
  assert.match(c[0]!.detail, /VMXNET3.*without a network interface/);
  assert.deepEqual(c[0]!.predicts, [{ test: "2.3.b", verdict: "FAILURE" }]);
  const noDisk = hostonlyFacts((f) => { f.modulesAlias = f.modulesAlias.split("\n").filter((l) => !/vmw_pvscsi/.test(l)).join("\n"); });
  const d = byId(run(subject({ facts: noDisk }), ["vmware"]).concerns, "kernel-lacks-driver")[0]!;
  assert.deepEqual(d.predicts, [{ test: "1.1.a", verdict: "FAILURE" }]);
});

test("device-name-in-fstab: /dev/vda1 as root is critical where disks are sdX, kept (info) on virtio; UUID and LABEL raise nothing", () => {
  const facts = hostonlyFacts((f) => { f.fstab = read(join(FIX, "fstab-by-name")); });
  const c = byId(run(subject({ facts })).concerns, "device-name-in-fstab");
  const root = c.find((x) => x.severity === "critical" && x.evidence[0]!.includes("/dev/vda1"))!;
  assert.deepEqual(root.families.sort(), ["hyperv", "vmware", "xen"]);
  assert.match(root.detail, /\/dev\/sda1: the root file system is not found/);
  assert.ok(c.some((x) => x.severity === "info" && x.families.includes("kvm")));
  assert.ok(c.some((x) => x.severity === "warning" && /vda2/.test(x.evidence[0]!)), "swap by name: a warning");
  assert.deepEqual(byId(run(subject()).concerns, "device-name-in-fstab"), [], "LABEL=root and root=UUID=");
});

test("device-name-in-fstab: root=/dev/sda1 on the kernel command line and a by-path mount", () => {
  const facts = hostonlyFacts((f) => { f.cmdline = "root=/dev/sda1 ro"; f.fstab = "UUID=1 / ext4 defaults 0 1\n/dev/disk/by-path/pci-0000:00:05.0-scsi-0:0:1:0-part1 /srv ext4 defaults 0 2\n"; });
  const c = byId(run(subject({ facts }), ["kvm"]).concerns, "device-name-in-fstab");
  assert.ok(c.some((x) => x.severity === "critical" && /root= names \/dev\/sda1; on .kvm. the disk is \/dev\/vda1/.test(x.detail)));
  assert.ok(c.some((x) => x.severity === "warning" && /by-path/.test(x.detail)));
});

test("network-bound-to-name: an ifupdown stanza for enp0s3 is lost on every family; one for enp1s0 only off kvm's q35", () => {
  const f0 = hostonlyFacts((f) => { f.networkFiles = [{ path: "/etc/network/interfaces", content: read(join(FIX, "interfaces-static-enp0s3")) }]; });
  assert.deepEqual(byId(run(subject({ facts: f0 })).concerns, "network-bound-to-name").flatMap((c) => c.families).sort(), ["hyperv", "kvm", "vmware", "xen"]);
  const f1 = hostonlyFacts((f) => { f.networkFiles = [{ path: "/etc/network/interfaces", content: "auto enp1s0\niface enp1s0 inet dhcp\n" }]; });
  const c = byId(run(subject({ facts: f1 })).concerns, "network-bound-to-name");
  assert.deepEqual(c.flatMap((x) => x.families).sort(), ["hyperv", "vmware", "xen"]);
  assert.match(c[0]!.detail, /'enp1s0'; on '(vmware|hyperv|xen)' the first NIC is 'ens3'/);
  assert.ok(c[0]!.evidence[0]!.includes("/etc/network/interfaces: auto enp1s0"));
  // NetworkManager interface-name= and ifcfg DEVICE= without HWADDR bind by name too.
  const nm = hostonlyFacts((f) => { f.networkFiles = [{ path: "/etc/NetworkManager/system-connections/a.nmconnection", content: "[connection]\ntype=ethernet\ninterface-name=eth0\n" }, { path: "/etc/sysconfig/network-scripts/ifcfg-eth1", content: "DEVICE=eth1\nBOOTPROTO=dhcp\n" }]; });
  assert.deepEqual(byId(run(subject({ facts: nm }), ["kvm"]).concerns, "network-bound-to-name").flatMap((x) => x.evidence), ["/etc/NetworkManager/system-connections/a.nmconnection: interface-name=eth0", "/etc/sysconfig/network-scripts/ifcfg-eth1: DEVICE=eth1"]);
});

test("network-bound-to-mac: keyfile mac-address=, netplan match: macaddress, ifcfg HWADDR and networkd MACAddress= are critical with a new MAC, info when the MAC is kept", () => {
  const facts = hostonlyFacts((f) => {
    f.networkFiles = [
      { path: "/etc/NetworkManager/system-connections/ens3.nmconnection", content: keyfile("52:54:00:AA:BB:01") },
      { path: "/etc/netplan/50-cloud-init.yaml", content: "network:\n  version: 2\n  ethernets:\n    ens3:\n      match:\n        macaddress: \"52:54:00:aa:bb:02\"\n      set-name: ens3\n      dhcp4: true\n" },
      { path: "/etc/sysconfig/network-scripts/ifcfg-eth0", content: "DEVICE=eth0\nHWADDR=52:54:00:aa:bb:03\nBOOTPROTO=dhcp\n" },
      { path: "/etc/systemd/network/10-a.network", content: "[Match]\nMACAddress=52:54:00:aa:bb:04\n\n[Network]\nDHCP=yes\n" },
    ];
  });
  const c = byId(run(subject({ facts }), ["vmware"]).concerns, "network-bound-to-mac");
  assert.deepEqual(c.map((x) => x.evidence[0]!.replace(/^.*: /, "")), ["mac-address=52:54:00:AA:BB:01", "ens3: match: macaddress: 52:54:00:aa:bb:02, set-name: ens3", "HWADDR=52:54:00:aa:bb:03", "MACAddress=52:54:00:aa:bb:04"].map((s) => s.replace(/^.*: /, "")));
  assert.ok(c.every((x) => x.severity === "critical" && x.predicts[0]!.test === "2.3.b"));
  const kept = byId(run(subject({ facts }), ["vmware"], true).concerns, "network-bound-to-mac");
  assert.ok(kept.length === 4 && kept.every((x) => x.severity === "info" && x.predicts.length === 0));
  // The ifcfg's DEVICE=eth0 is also a name the target does not give.
  assert.ok(byId(run(subject({ facts }), ["vmware"]).concerns, "network-bound-to-name").some((x) => /ifcfg-eth0/.test(x.evidence[0]!)));
});

test("network-bound-to-mac: netplan's rendering under /run is the same binding, named beside its /etc/netplan source, not a second concern", () => {
  const facts = hostonlyFacts((f) => {
    f.networkFiles = [
      { path: "/etc/netplan/50-cloud-init.yaml", content: "network:\n  version: 2\n  ethernets:\n    ens3:\n      match:\n        macaddress: \"52:54:00:aa:bb:02\"\n      set-name: ens3\n      dhcp4: true\n" },
      { path: "/run/systemd/network/10-netplan-ens3.network", content: "[Match]\nPermanentMACAddress=52:54:00:aa:bb:02\nName=ens3\n\n[Network]\nDHCP=ipv4\n" },
      { path: "/run/systemd/network/10-other.network", content: "[Match]\nMACAddress=52:54:00:aa:bb:09\n" },
    ];
  });
  const c = byId(run(subject({ facts }), ["vmware"]).concerns, "network-bound-to-mac");
  assert.deepEqual(c.map((x) => x.evidence[0]), [
    "/etc/netplan/50-cloud-init.yaml: ens3: match: macaddress: 52:54:00:aa:bb:02, set-name: ens3 (rendered as /run/systemd/network/10-netplan-ens3.network)",
    "/run/systemd/network/10-other.network: MACAddress=52:54:00:aa:bb:09",
  ]);
});

test("the facts script leaves secrets of NetworkManager keyfiles and ifcfg files in the guest", () => {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-assess-"));
  try {
    const f = join(dir, "wifi.nmconnection");
    writeFileSync(f, "[wifi-security]\nkey-mgmt=wpa-psk\npsk=hunter2\n[802-1x]\npassword=s3cret\nprivate-key-password=x\n[ethernet]\nmac-address=52:54:00:00:00:01\n");
    const grep = /grep -viE ('[^']+')/.exec(factsScript())![1]!;
    const out = execFileSync("sh", ["-c", `grep -viE ${grep} "$1"`, "sh", f], { encoding: "utf8" });
    assert.doesNotMatch(out, /hunter2|s3cret|private-key-password/);
    assert.match(out, /mac-address=52:54:00:00:00:01/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nic-identity-changes: kvm -> vmware renames enp1s0 to ens3 and gives a new MAC; DHCP then gives another address", () => {
  const facts = hostonlyFacts((f) => { f.networkFiles = [{ path: "/etc/systemd/network/50-tiosa-ethernet.network", content: "[Match]\nType=ether\n\n[Network]\nDHCP=yes\n" }]; });
  const c = byId(run(subject({ facts, from: "kvm" }), ["vmware"]).concerns, "nic-identity-changes");
  assert.match(c[0]!.detail, /enp1s0 -> ens3 and its MAC/);
  assert.deepEqual(c[0]!.predicts, [{ test: "2.3.a", verdict: "WARNING" }]);
  assert.deepEqual(c[1]!.predicts, [{ test: "2.3.b", verdict: "WARNING" }]);
  assert.deepEqual(byId(run(subject({ facts, from: "kvm" }), ["kvm"], true).concerns, "nic-identity-changes"), [], "same hardware, MAC kept: nothing changes");
});

test("firmware-mismatch: a UEFI VM on a BIOS family, a BIOS-only guest on a UEFI family", () => {
  const uefiVm = run(subject({ facts: null, inventory: inventory({ firmware: "uefi" }) }), ["kvm"]);
  assert.equal(byId(uefiVm.concerns, "firmware-mismatch")[0]!.severity, "critical");
  const efiFamily = HardwareFamily.parse({ ...BUILTIN_FAMILIES.find((f) => f.name === "vmware")!, name: "vmware-efi", firmware: "uefi" });
  const a = assess(subject(), [efiFamily]);
  assert.match(byId(a.concerns, "firmware-mismatch")[0]!.detail, /boots by BIOS and 'vmware-efi' starts its VMs with UEFI/);
  assert.deepEqual(byId(run(subject({ facts: null, inventory: inventory({ firmware: "bios" }) }), ["kvm"]).concerns, "firmware-mismatch"), []);
});

test("resources-beyond-target: 100 vCPUs exceed Hyper-V generation 1's 64 and XenServer's 32; kvm states no limit", () => {
  const a = run(subject({ facts: null, inventory: inventory({ cpu: { count: 100, model: null, sockets: null, cores: null, threads: null } }) }));
  assert.deepEqual(byId(a.concerns, "resources-beyond-target").flatMap((c) => c.families).sort(), ["hyperv", "xen"]);
  const mem = run(subject({ facts: null, inventory: inventory({ memoryBytes: 2 * 2 ** 40 }) }), ["hyperv", "xen", "vmware"]);
  assert.deepEqual(byId(mem.concerns, "resources-beyond-target").flatMap((c) => c.families).sort(), ["hyperv", "xen"]);
});

test("guest-tools: open-vm-tools off VMware is a warning; a kvm target without qemu-guest-agent an info", () => {
  const facts = hostonlyFacts((f) => { f.installedPackages = ["open-vm-tools"]; });
  const c = byId(run(subject({ facts }), ["kvm", "vmware"]).concerns, "guest-tools");
  assert.ok(c.some((x) => x.severity === "warning" && x.families.join() === "kvm" && /open-vm-tools/.test(x.detail)));
  assert.ok(c.some((x) => x.severity === "info" && x.families.join() === "kvm" && /qemu-guest-agent/.test(x.detail)));
  assert.ok(!c.some((x) => x.families.includes("vmware") && x.severity === "warning"));
});

test("free-space: under virt-v2v's 100 MiB on / or 50 MiB on /boot is a warning naming the figures", () => {
  const facts = hostonlyFacts((f) => { f.freeSpace = [{ mount: "/", bytes: 80 * 2 ** 20 }, { mount: "/boot", bytes: 60 * 2 ** 20 }]; });
  const c = byId(run(subject({ facts }), ["kvm"]).concerns, "free-space");
  assert.equal(c.length, 1);
  assert.match(c[0]!.detail, /\/ has 80\.0 MiB free, under the 100 MiB/);
});

test("guest-unreadable: without the disk, the assessment says which rules did not run and why", () => {
  const c = byId(run(subject({ facts: null, factsMissing: "its disk x.vmdk is not at hand" }), ["kvm"]).concerns, "guest-unreadable");
  assert.equal(c[0]!.severity, "info");
  assert.match(c[0]!.detail, /x\.vmdk is not at hand/);
});

test("assess: one concern per finding with the families it applies to, worst per family, exit 20/10/0 and the rule set's version", () => {
  const a = run(subject());
  assert.equal(a.ruleset, "tiosa-assess/1");
  assert.equal(a.worst.vmware, "critical");
  assert.equal(assessmentExitCode(a), 20);
  const kvmOnly = run(subject({ from: "kvm" }), ["kvm"], true);
  assert.equal(assessmentExitCode(kvmOnly), kvmOnly.concerns.some((c) => c.severity === "warning") ? 10 : 0);
  assert.ok(!kvmOnly.concerns.some((c) => c.severity === "critical"), JSON.stringify(kvmOnly.concerns));
  const ordered = a.concerns.map((c) => ["critical", "warning", "info"].indexOf(c.severity));
  assert.deepEqual(ordered, [...ordered].sort((x, y) => x - y), "worst first");
});

test("every rule has a stable kebab-case id, an origin, a remedy, and a unit test in this file", async () => {
  const self = read(join(process.cwd(), "test/unit/assess-rules.test.ts")) + read(join(process.cwd(), "test/unit/assess-corpus.test.ts"));
  const ids = ASSESS_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of ASSESS_RULES) {
    assert.match(r.id, /^[a-z]+(-[a-z]+)*$/);
    assert.ok(r.origin.length > 10 && r.remedy.length > 10, r.id);
    assert.ok(self.includes(`"${r.id}"`) || self.includes(`${r.id}:`), `a test names ${r.id}`);
  }
  void K;
});

test("kernel-lacks-driver: a driver built in without aliases in modules.builtin.modinfo (Debian 13's virtio_pci) still drives the device", () => {
  const trixieLike = hostonlyFacts((f) => {
    f.modulesAlias = f.modulesAlias.split("\n").filter((l) => !/ virtio_pci$/.test(l)).join("\n");
    f.builtinAliases = "";
    f.modulesBuiltin += "\nkernel/drivers/virtio/virtio_pci.ko\n";
  });
  assert.deepEqual(byId(run(subject({ facts: trixieLike }), ["kvm"]).concerns, "kernel-lacks-driver"), []);
  const without = hostonlyFacts((f) => { f.modulesAlias = f.modulesAlias.split("\n").filter((l) => !/ virtio_pci$/.test(l)).join("\n"); f.builtinAliases = ""; });
  assert.equal(byId(run(subject({ facts: without }), ["kvm"]).concerns, "kernel-lacks-driver").length, 2, "neither in modules.alias nor built in: disk and NIC");
});

test("emulated-suspend: the vmdk, vhdx and vpc families predict Suspend and Resume FAILUREs on QEMU; kvm's qcow2 none", () => {
  const c = byId(run(subject()).concerns, "emulated-suspend");
  assert.deepEqual(c.flatMap((x) => x.families).sort(), ["hyperv", "vmware", "xen"]);
  assert.deepEqual(c[0]!.predicts, [{ test: "1.1.e", verdict: "FAILURE" }, { test: "1.1.f", verdict: "FAILURE" }]);
  assert.match(c.find((x) => x.families.includes("vmware"))!.detail, /vmdk; QEMU cannot save/);
});

test("initramfs-lacks-disk-driver: one of several drivers for a device is enough (PIIX IDE: ata_piix without ata_generic)", () => {
  const facts = hostonlyFacts((f) => { f.initramfsModules.push("ata_piix", "libata", "scsi_mod", "scsi_common", "sd_mod", "t10_pi", "crc_t10dif", "crct10dif_common", "crc64_rocksoft", "crc64"); });
  assert.deepEqual(byId(run(subject({ facts }), ["hyperv", "xen"]).concerns, "initramfs-lacks-disk-driver"), []);
});
