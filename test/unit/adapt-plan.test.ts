import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { BUILTIN_FAMILIES } from "../../src/hypervisor/families/index.js";
import { DEVICE_MODELS, targetHardwareOf } from "../../src/adapt/devices.js";
import { parseFacts, SECTION } from "../../src/adapt/facts.js";
import { aliasMatches, depClosure, driversFor, nameBoundInterfaces, parseModulesDep, planAdaptation, type PlanItem } from "../../src/adapt/plan.js";

import { FIX, K, hostonlyFacts, read } from "../support/guest-facts.js";

const family = (name: string) => targetHardwareOf(BUILTIN_FAMILIES.find((f) => f.name === name)!);
const only = <A extends PlanItem["action"]>(items: PlanItem[], a: A) => items.filter((i): i is Extract<PlanItem, { action: A }> => i.action === a);

test("modules.alias globs match the modalias QEMU's pvscsi raises, and not another device's", () => {
  assert.equal(aliasMatches("pci:v000015ADd000007C0sv*sd*bc*sc*i*", "pci:v000015ADd000007C0sv000015ADsd000007C0bc01sc07i00"), true);
  assert.equal(aliasMatches("pci:v000015ADd000007C0sv*sd*bc*sc*i*", "pci:v000015ADd000007B0sv000015ADsd000007B0bc02sc00i00"), false);
  assert.equal(aliasMatches("scsi:t-0x00*", "scsi:t-0x00"), true);
  assert.equal(aliasMatches("pci:v*d*sv*sd*bc01sc0[1-6]i*", "pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80"), true);
});

test("the real kernel's drivers for each family's devices are found by alias", () => {
  const f = hostonlyFacts();
  assert.deepEqual(driversFor(DEVICE_MODELS.pvscsi!, f).loadable, ["sd_mod", "vmw_pvscsi"]);
  assert.deepEqual(driversFor(DEVICE_MODELS.vmxnet3!, f).loadable, ["vmxnet3"]);
  assert.deepEqual(driversFor(DEVICE_MODELS.tulip!, f).loadable, ["tulip"]);
  assert.deepEqual(driversFor(DEVICE_MODELS.rtl8139!, f).loadable, ["8139cp", "8139too"]);
  assert.ok(driversFor(DEVICE_MODELS["piix-ide"]!, f).loadable.includes("ata_piix"));
  assert.deepEqual(driversFor(DEVICE_MODELS["virtio-blk"]!, f).loadable, ["virtio_blk", "virtio_pci"]);
});

test("modules.dep closure lists dependencies before the module, as modprobe loads them", () => {
  const deps = parseModulesDep(read(join(K, "modules.dep")));
  assert.deepEqual(depClosure(["vmw_pvscsi"], deps), ["scsi_common", "scsi_mod", "vmw_pvscsi"]);
  const sd = depClosure(["sd_mod"], deps);
  assert.equal(sd[sd.length - 1], "sd_mod");
  assert.ok(sd.includes("crc_t10dif") && sd.includes("scsi_mod"));
});

test("a virtio-only initramfs gets pvscsi + sd_mod and their dependencies for the vmware family", () => {
  const plan = planAdaptation(hostonlyFacts(), family("vmware"));
  const [add] = only(plan.items, "initramfs-add-modules");
  assert.ok(add, "an initramfs item");
  assert.equal(add.device, "pvscsi");
  for (const m of ["vmw_pvscsi", "sd_mod", "scsi_mod", "scsi_common", "t10_pi"]) assert.ok(add.modules.includes(m), `${m} in ${add.modules.join(",")}`);
  assert.ok(add.modules.indexOf("scsi_mod") < add.modules.indexOf("vmw_pvscsi"));
  assert.match(add.reason, /PVSCSI.*15ad:07c0.*vmw_pvscsi/);
  assert.ok(!add.modules.includes("vmxnet3"), "the NIC driver comes from the root file system, not the initramfs");
});

test("hyperv and xen (IDE) need ata_piix and libata; kvm (virtio-blk) needs nothing more", () => {
  for (const fam of ["hyperv", "xen"]) {
    const [add] = only(planAdaptation(hostonlyFacts(), family(fam)).items, "initramfs-add-modules");
    assert.ok(add && add.modules.includes("ata_piix") && add.modules.includes("libata") && add.modules.includes("sd_mod"), fam);
  }
  const kvm = planAdaptation(hostonlyFacts(), family("kvm"));
  assert.equal(only(kvm.items, "initramfs-add-modules").length, 0);
  assert.ok(kvm.items.some((i) => i.action === "check" && /virtio-blk/.test(i.what)));
});

test("a kernel without the NIC's driver gets 'cannot adapt: no driver for X in kernel Y'", () => {
  const f = hostonlyFacts((x) => { x.modulesAlias = x.modulesAlias.split("\n").filter((l) => !/ vmxnet3$/.test(l)).join("\n"); });
  assert.throws(() => planAdaptation(f, family("vmware")), (e: unknown) =>
    e instanceof UserError && /^cannot adapt: no driver for VMware VMXNET3 NIC \(vmxnet3, PCI 15ad:07b0\) in kernel 6\.1\.0-50-amd64$/.test(e.message));
  const g = hostonlyFacts((x) => { x.modulesAlias = x.modulesAlias.split("\n").filter((l) => !/ vmw_pvscsi$/.test(l)).join("\n"); });
  assert.throws(() => planAdaptation(g, family("vmware")), /cannot adapt: no driver for VMware PVSCSI controller/);
});

test("a builtin driver (modules.builtin.modinfo alias) satisfies the device without an initramfs change", () => {
  const f = hostonlyFacts((x) => {
    x.modulesAlias = x.modulesAlias.split("\n").filter((l) => !/ (vmw_pvscsi|sd_mod)$/.test(l)).join("\n");
    x.builtinAliases = "vmw_pvscsi.alias=pci:v000015ADd000007C0sv*sd*bc*sc*i*\nsd_mod.alias=scsi:t-0x00*";
  });
  const plan = planAdaptation(f, family("vmware"));
  assert.equal(only(plan.items, "initramfs-add-modules").length, 0);
});

test("fstab and root= by device name are rewritten by UUID, mapped through the appliance's /dev/sda names", () => {
  const f = hostonlyFacts((x) => {
    x.fstab = read(join(FIX, "fstab-by-name"));
    x.cmdline = "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro quiet";
  });
  const items = only(planAdaptation(f, family("vmware")).items, "root-by-uuid");
  assert.deepEqual(items.map((i) => [i.file, i.from, i.to]), [
    ["/etc/fstab", "/dev/vda1", "UUID=4f1c2a5e-8d7b-4c1e-9a3f-2b6d8e0c7a11"],
    ["/etc/fstab", "/dev/vda2", "UUID=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"],
    ["kernel-cmdline", "/dev/vda1", "UUID=4f1c2a5e-8d7b-4c1e-9a3f-2b6d8e0c7a11"],
  ]);
});

test("name-bound network configurations are found in ifupdown, networkd and netplan; type-matched ones are not", () => {
  const files = [
    { path: "/etc/network/interfaces", content: read(join(FIX, "interfaces-static-enp0s3")) },
    { path: "/etc/systemd/network/10-any.network", content: read(join(FIX, "networkd-by-type.network")) },
    { path: "/etc/systemd/network/20-ens3.network", content: read(join(FIX, "networkd-by-name.network")) },
    { path: "/etc/netplan/01.yaml", content: read(join(FIX, "netplan-by-name.yaml")) },
  ];
  assert.deepEqual(nameBoundInterfaces(files).map((b) => b.name), ["enp0s3", "ens3", "eth0"]);
});

test("a static config on enp0s3 is pinned by the NIC's MAC and by the target's driver", () => {
  const f = hostonlyFacts((x) => {
    x.networkFiles = [{ path: "/etc/network/interfaces", content: read(join(FIX, "interfaces-static-enp0s3")) }];
    x.nics = [{ name: "enp0s3", mac: "52:54:00:12:34:56", driver: "virtio_net" }];
  });
  const [pin] = only(planAdaptation(f, family("vmware")).items, "pin-nic-name");
  assert.ok(pin);
  assert.equal(pin.name, "enp0s3");
  assert.equal(pin.mac, "52:54:00:12:34:56");
  assert.deepEqual(pin.drivers, ["vmxnet3"]);
  const [xen] = only(planAdaptation(f, family("xen")).items, "pin-nic-name");
  assert.deepEqual(xen!.drivers, ["8139cp", "8139too"]);
});

test("two name-bound NICs with unknown MACs cannot be told apart: a clear error", () => {
  const f = hostonlyFacts((x) => {
    x.networkFiles = [{ path: "/etc/network/interfaces", content: "auto ens3 ens4\niface ens3 inet dhcp\niface ens4 inet dhcp\n" }];
  });
  assert.throws(() => planAdaptation(f, family("vmware")), /binds interfaces ens3, ens4 by name and their MACs are unknown/);
  const ok = planAdaptation(f, family("vmware"), { macs: { ens3: "52:54:00:00:00:03", ens4: "52:54:00:00:00:04" } });
  assert.equal(only(ok.items, "pin-nic-name").length, 2);
});

test("source-family guest tools are disabled on another family; the guest agent is kept with its reason", () => {
  const f = hostonlyFacts((x) => { x.installedPackages = ["open-vm-tools", "qemu-guest-agent"]; });
  const kvm = planAdaptation(f, family("kvm"));
  const [tools] = only(kvm.items, "disable-guest-tools");
  assert.equal(tools?.pkg, "open-vm-tools");
  assert.ok(tools.units.includes("open-vm-tools.service"));
  assert.equal(only(planAdaptation(f, family("vmware")).items, "disable-guest-tools").length, 0);
  assert.ok(planAdaptation(f, family("xen")).items.some((i) => i.action === "check" && /qemu-guest-agent/.test(i.what)));
});

test("the facts script's output is parsed into sections, network files and NICs", () => {
  const out = [
    `${SECTION} release`, "6.1.0-50-amd64",
    `${SECTION} modules.alias`, "alias pci:v000015ADd000007B0sv*sd*bc*sc*i* vmxnet3",
    `${SECTION} modules.dep`, "kernel/drivers/net/vmxnet3/vmxnet3.ko:",
    `${SECTION} initramfs.modules`, "virtio_blk", "dm-mod",
    `${SECTION} file /etc/network/interfaces`, "auto enp0s3", "iface enp0s3 inet dhcp",
    `${SECTION} packages`, "qemu-guest-agent",
    `${SECTION} nics`, "enp0s3 52:54:00:12:34:56 virtio_net",
    `${SECTION} uefi`, "no",
    `${SECTION} end`,
  ].join("\n");
  const f = parseFacts(out, "online");
  assert.equal(f.kernelRelease, "6.1.0-50-amd64");
  assert.deepEqual(f.initramfsModules, ["dm_mod", "virtio_blk"]);
  assert.equal(f.networkFiles[0]?.path, "/etc/network/interfaces");
  assert.deepEqual(f.nics, [{ name: "enp0s3", mac: "52:54:00:12:34:56", driver: "virtio_net" }]);
  assert.throws(() => parseFacts(out.replace(`${SECTION} end`, ""), "online"), /did not finish/);
});
