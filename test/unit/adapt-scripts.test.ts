import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { AdaptPlan } from "../../src/adapt/plan.js";
import { applyScript, linkFiles, touchedFiles, undoScript } from "../../src/adapt/scripts.js";
import { changesDocument } from "../../src/adapt/apply.js";

const plan: AdaptPlan = {
  kernelRelease: "6.1.0-50-amd64", targetFamily: "vmware",
  target: { disk: "pvscsi", nic: "vmxnet3", firmware: "bios" },
  items: [
    { action: "initramfs-add-modules", change: true, device: "pvscsi", modules: ["scsi_common", "scsi_mod", "vmw_pvscsi", "sd_mod"], reason: "r" },
    { action: "root-by-uuid", change: true, file: "/etc/fstab", from: "/dev/vda1", to: "UUID=4f1c2a5e-8d7b-4c1e-9a3f-2b6d8e0c7a11", reason: "r" },
    { action: "root-by-uuid", change: true, file: "kernel-cmdline", from: "/dev/vda1", to: "UUID=4f1c2a5e-8d7b-4c1e-9a3f-2b6d8e0c7a11", reason: "r" },
    { action: "pin-nic-name", change: true, name: "enp0s3", mac: "52:54:00:12:34:56", drivers: ["vmxnet3"], configFile: "/etc/network/interfaces", reason: "it's 'quoted' $(reboot)" },
    { action: "disable-guest-tools", change: true, pkg: "open-vm-tools", units: ["open-vm-tools.service"], reason: "r" },
    { action: "check", change: false, what: "x", reason: "y" },
  ],
};

const shSyntaxOk = (script: string) => spawnSync("sh", ["-n"], { input: script }).status === 0;

test("apply and undo scripts for a full plan are valid POSIX sh (dash -n)", () => {
  const id = "20261123021500-abc123";
  assert.ok(shSyntaxOk(applyScript(plan, id, changesDocument(plan, id, "offline"))));
  assert.ok(shSyntaxOk(undoScript(plan, id)));
});

test("guest-derived text (reasons, file contents) reaches the script only base64-encoded", () => {
  const s = applyScript(plan, "x1", changesDocument(plan, "x1", "online"));
  assert.ok(!s.includes("$(reboot)"), "a reason with a command substitution is not in the script as text");
  assert.ok(s.includes("base64 -d"));
});

test("a value with shell metacharacters is refused, not quoted into the script", () => {
  const bad: AdaptPlan = { ...plan, items: [{ action: "pin-nic-name", change: true, name: "e0';reboot;'", mac: null, drivers: ["vmxnet3"], configFile: "/etc/network/interfaces", reason: "r" }] };
  assert.throws(() => applyScript(bad, "x1", "{}"), /refusing to put iface/);
  const badMod: AdaptPlan = { ...plan, items: [{ action: "initramfs-add-modules", change: true, device: "pvscsi", modules: ["a b"], reason: "r" }] };
  assert.throws(() => applyScript(badMod, "x1", "{}"), /refusing to put module/);
  assert.throws(() => applyScript(plan, "../../etc", "{}"), /refusing to put id/);
});

test("the NIC keeps its name by MAC first, then by the target's driver (lexical order: first match wins)", () => {
  const item = plan.items[3] as Extract<AdaptPlan["items"][number], { action: "pin-nic-name" }>;
  const files = linkFiles(item, "x1");
  assert.deepEqual(files.map((f) => f.path), ["/etc/systemd/network/70-tiosa-adapt-enp0s3-mac.link", "/etc/systemd/network/71-tiosa-adapt-enp0s3-driver.link"]);
  assert.match(files[0]!.content, /\[Match\]\nMACAddress=52:54:00:12:34:56\n\n\[Link\]\nName=enp0s3\n/);
  assert.match(files[1]!.content, /\[Match\]\nType=ether\nDriver=vmxnet3\n\n\[Link\]\nName=enp0s3\n/);
});

test("undo restores every file apply may touch, including the boot loader configuration", () => {
  const files = touchedFiles(plan, "x1");
  for (const f of ["/etc/initramfs-tools/modules", "/etc/fstab", "/etc/default/grub", "/boot/grub/grub.cfg", "/etc/systemd/network/70-tiosa-adapt-enp0s3-mac.link"]) {
    assert.ok(files.includes(f), f);
    assert.ok(undoScript(plan, "x1").includes(`'${f}'`), f);
  }
});
