import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { haveCommand, runOk } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { bootImage, sshBanner, sshRun, type HardwareName } from "../../src/qemu/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { targetHardwareOf } from "../../src/adapt/devices.js";
import { applyPlan, listAdaptations, readGuestFacts, undoAdaptation, type AdaptSource } from "../../src/adapt/apply.js";
import { runScriptOffline } from "../../src/adapt/guestfs.js";
import { planAdaptation, type PlanItem } from "../../src/adapt/plan.js";

/**
 * Real images, real QEMU (TCG here), real libguestfs. One VM at a time (2 cores shared).
 * The unadapted image is booted on the same hardware as the adapted one, so the difference
 * is the adaptation's, not the emulator's.
 */
const haveQemu = await haveCommand("qemu-system-x86_64");
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine (no virtualization at all)";
const vmware = targetHardwareOf(getFamily("vmware"));
const only = <A extends PlanItem["action"]>(items: PlanItem[], a: A) => items.filter((i): i is Extract<PlanItem, { action: A }> => i.action === a);

async function overlayOf(dir: string, name: string, base: string): Promise<string> {
  const p = join(dir, name);
  await runOk("qemu-img", ["create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", p], { timeoutMs: 60_000 });
  return p;
}

/**
 * Boots and waits until SSH answers, the initramfs gives up (console "ALERT!") or the timeout;
 * the console log is kept for evidence.
 */
async function bootOutcome(disk: string, hardware: HardwareName, consoleLogPath: string, timeoutMs: number, keyPath: string, command?: string[]) {
  const g = await bootImage({ disk, hardware, consoleLogPath, waitForSsh: false, snapshot: true });
  const readConsole = () => readFile(consoleLogPath, "utf8").catch(() => "");
  const start = Date.now();
  try {
    for (;;) {
      if (await sshBanner(g.sshPort)) {
        // sshd may answer a moment before the key is accepted; retry a few times.
        let r = { code: null as number | null, stdout: "", stderr: "" };
        for (let i = 0; i < 5 && command; i++) {
          r = await sshRun({ port: g.sshPort, privateKeyPath: keyPath, command, timeoutMs: 90_000 });
          if (r.code === 0) break;
          await new Promise((res) => setTimeout(res, 3000));
        }
        return { ssh: true, output: r.stdout + r.stderr, console: await readConsole() };
      }
      const c = await readConsole();
      if (/ALERT!/.test(c)) {
        await new Promise((res) => setTimeout(res, 2000));
        return { ssh: false, output: "initramfs gave up", console: await readConsole() };
      }
      if (Date.now() - start > timeoutMs) return { ssh: false, output: "timeout", console: c };
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    await g.stop();
  }
}

test("debian-12-hostonly: adapted offline (libguestfs) for vmware, it finds its root disk behind pvscsi and answers SSH; the plain copy drops to the initramfs shell; undo restores the initramfs", { skip, timeout: 40 * 60_000 }, async () => {
  const img = await buildImage("debian-12-hostonly");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-test-"));
  try {
    const copy = await overlayOf(dir, "hostonly-copy.qcow2", img.diskPath);

    // Plain copy on vmware hardware: the initramfs cannot see the disk.
    const dead = await bootOutcome(img.diskPath, "pvscsi", join(dir, "dead.log"), 420_000, img.sshPrivateKeyPath);
    assert.equal(dead.ssh, false, "the unadapted copy must not answer SSH on pvscsi");
    assert.match(dead.console, /ALERT!.*does not exist|Gave up waiting for root/, "serial console shows the initramfs giving up on the root disk");

    // Offline, in the libguestfs appliance: the image is never mounted in the host kernel.
    const off: AdaptSource = { kind: "offline", image: copy, format: "qcow2" };
    const facts = await readGuestFacts(off);
    assert.ok(facts.initramfsModules.includes("virtio_blk") && !facts.initramfsModules.includes("vmw_pvscsi"), `the hostonly initramfs is virtio-only: ${facts.initramfsModules.join(" ")}`);
    const planned = planAdaptation(facts, vmware);
    const [add] = only(planned.items, "initramfs-add-modules");
    assert.ok(add && add.modules.includes("vmw_pvscsi") && add.modules.includes("sd_mod"), JSON.stringify(planned.items));
    const applied = await applyPlan(off, planned);
    const list = await listAdaptations(off);
    assert.deepEqual(list.map((l) => l.id), [applied.id]);
    const changes = list[0]!.changes as { targetFamily: string; changes: { action: string }[] };
    assert.equal(changes.targetFamily, "vmware");
    assert.ok(changes.changes.some((c) => c.action === "initramfs-add-modules"));

    const adapted = await bootOutcome(copy, "pvscsi", join(dir, "adapted.log"), 600_000, img.sshPrivateKeyPath, ["findmnt -n -o SOURCE /; lsmod | awk '{print $1}' | grep -x vmw_pvscsi; ip -br link"]);
    assert.equal(adapted.ssh, true, `the adapted copy answers SSH on pvscsi + vmxnet3: ${adapted.output}\n${adapted.console.slice(-1500)}`);
    assert.match(adapted.output, /^\/dev\/sda1$/m, "root is on the SCSI disk");
    assert.match(adapted.output, /^vmw_pvscsi$/m);
    assert.doesNotMatch(adapted.console, /ALERT!/);

    // Undo: the guest's own undo script puts the previous initramfs back.
    const undone = await undoAdaptation(off);
    assert.ok(undone.id);
    const restored = await readGuestFacts(off);
    assert.ok(!restored.initramfsModules.includes("vmw_pvscsi"), "undo put the virtio-only initramfs back");
    assert.deepEqual(await listAdaptations(off), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("debian-13-static: adapted offline (libguestfs) for vmware, it keeps its static address on vmxnet3; the plain copy loses its network", { skip, timeout: 40 * 60_000 }, async () => {
  const img = await buildImage("debian-13-static");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-test-"));
  try {
    const copy = await overlayOf(dir, "static-copy.qcow2", img.diskPath);
    const src: AdaptSource = { kind: "offline", image: copy, format: "qcow2" };
    const facts = await readGuestFacts(src);
    // QEMU gives every guest 52:54:00:12:34:56 unless told otherwise: the migration keeps the MAC.
    const plan = planAdaptation(facts, vmware, { macs: { enp1s0: "52:54:00:12:34:56" } });
    const [pin] = only(plan.items, "pin-nic-name");
    assert.ok(pin, JSON.stringify(plan.items));
    assert.equal(pin.name, "enp1s0");
    assert.deepEqual(pin.drivers, ["vmxnet3"]);
    assert.equal(only(plan.items, "initramfs-add-modules").length, 0, "MODULES=most already has pvscsi");
    await applyPlan(src, plan);

    const dead = await bootOutcome(img.diskPath, "pvscsi", join(dir, "dead.log"), 420_000, img.sshPrivateKeyPath);
    assert.equal(dead.ssh, false, "the plain copy boots without network on vmxnet3");

    const adapted = await bootOutcome(copy, "pvscsi", join(dir, "adapted.log"), 600_000, img.sshPrivateKeyPath, ["ip", "-br", "addr", "show", "enp1s0"]);
    assert.equal(adapted.ssh, true, `the adapted copy answers SSH on vmxnet3: ${adapted.output}\n${adapted.console.slice(-1500)}`);
    assert.match(adapted.output, /^enp1s0\s+UP\s+10\.0\.2\.15\/24/m);

    await undoAdaptation(src);
    const back = await readGuestFacts(src);
    assert.deepEqual(back.networkFiles, facts.networkFiles);
    assert.deepEqual(await listAdaptations(src), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a guest whose kernel lacks the pvscsi driver gets 'cannot adapt: no driver for ... in kernel ...' and is left unchanged", { skip, timeout: 20 * 60_000 }, async () => {
  const img = await buildImage("debian-12-hostonly");
  const dir = await mkdtemp(join(tmpdir(), "tiosa-adapt-test-"));
  try {
    const copy = await overlayOf(dir, "nodriver.qcow2", img.diskPath);
    // A kernel built without the driver: remove the module and let depmod rewrite modules.alias.
    await runScriptOffline(copy, "qcow2", "set -eu\nREL=$(ls /lib/modules | sort -V | tail -n 1)\nrm -f /lib/modules/$REL/kernel/drivers/scsi/vmw_pvscsi.ko*\ndepmod -a $REL\n");
    const src: AdaptSource = { kind: "offline", image: copy, format: "qcow2" };
    const facts = await readGuestFacts(src);
    assert.throws(() => planAdaptation(facts, vmware), (e: unknown) =>
      e instanceof UserError && new RegExp(`^cannot adapt: no driver for VMware PVSCSI controller \\(pvscsi, PCI 15ad:07c0\\) in kernel ${facts.kernelRelease.replace(/\./g, "\\.")}$`).test(e.message));
    assert.deepEqual(await listAdaptations(src), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
