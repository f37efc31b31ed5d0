import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../src/errors.js";
import type { HypervisorDriver, LifecycleOp, VmState } from "../../src/hypervisor/driver.js";
import { parseLibvirtDomainXml } from "../../src/descriptors/libvirt-xml.js";
import { shortName } from "../../src/migrate/migrate.js";
import { exportedDomainXml } from "../../src/migrate/runners/export.js";
import { runnerFor } from "../../src/migrate/runners/index.js";
import { ovaHardware } from "../../src/migrate/runners/ova.js";
import { runExport } from "../../src/migrate/runners/export.js";
import { runImport } from "../../src/migrate/runners/import.js";
import { networkMapArgs, runVirtV2v, socketDirProblem } from "../../src/migrate/runners/virt-v2v.js";
import { makeOwnedTempDir, sweepStaleOwnedDirs } from "../../src/util/owned-dir.js";
import { runQemuImgConvert } from "../../src/migrate/runners/qemu-img.js";
import { sourceFamilyOf } from "../../src/migrate/source-vm.js";
import { stopVm } from "../../src/migrate/stop.js";
import { FAMILIES } from "../../src/routes/artifacts.js";
import { discoverRoutes } from "../../src/routes/discover.js";

const DOMAIN = `<domain type='qemu'>
  <name>web</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='vmdk'/>
      <source file='/var/lib/libvirt/images/web &amp; co.vmdk'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/debian.iso'/>
      <target dev='hdc' bus='ide'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file="/data/second.img"/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <controller type='scsi' index='0' model='vmpvscsi'/>
    <interface type='network'><source network='default'/><model type='vmxnet3'/></interface>
  </devices>
</domain>`;

test("every tool of every route between the four families has a runner", () => {
  let tools = 0;
  for (const from of FAMILIES) for (const to of FAMILIES) {
    for (const r of discoverRoutes(from, to)) for (const s of r.steps) {
      assert.equal(typeof runnerFor(s.tool), "function", `${s.tool.id} in ${r.id}`);
      tools++;
    }
  }
  assert.ok(tools > 40, `only ${tools} steps seen`);
  const kvmToVmware = discoverRoutes("kvm", "vmware")[0]!;
  assert.equal(runnerFor(kvmToVmware.steps[0]!.tool), runExport);
  assert.equal(runnerFor(kvmToVmware.steps[2]!.tool), runQemuImgConvert);
  assert.equal(runnerFor(kvmToVmware.steps[4]!.tool), runImport);
  assert.equal(runnerFor(discoverRoutes("vmware", "kvm")[0]!.steps[1]!.tool), runVirtV2v);
});

test("an unknown tool id is a user error naming the tool", () => {
  assert.throws(() => runnerFor({ id: "ovftool", name: "ovftool", inputs: ["pkg:ova"], output: "vm:vmware", binaries: [] }), (e: unknown) => e instanceof UserError && /ovftool/.test(e.message));
});

test("the exported domain XML points each disk at its copy with the copy's format, and leaves CD-ROMs alone", () => {
  const out = exportedDomainXml(DOMAIN,
    [{ path: "/var/lib/libvirt/images/web & co.vmdk", format: "vmdk" }, { path: "/data/second.img", format: "raw" }],
    [{ path: "/tmp/tiosa-migrate-x/01/export-disk0.qcow2", format: "qcow2" }, { path: "/tmp/tiosa-migrate-x/01/export-disk1.qcow2", format: "qcow2" }]);
  const inv = parseLibvirtDomainXml(out, "exported");
  const disks = inv.disks.filter((d) => d.device === "disk");
  assert.deepEqual(disks.map((d) => [d.source, d.format]), [
    ["/tmp/tiosa-migrate-x/01/export-disk0.qcow2", "qcow2"],
    ["/tmp/tiosa-migrate-x/01/export-disk1.qcow2", "qcow2"],
  ]);
  const cd = inv.disks.find((d) => d.device === "cdrom");
  assert.equal(cd?.source, "/srv/iso/debian.iso");
  assert.equal(cd?.format, "raw");
  assert.match(out, /cache='none'/);
});

test("the source family comes from tiosa's marker first, else from the hardware", () => {
  const inv = parseLibvirtDomainXml(DOMAIN, "d");
  assert.equal(sourceFamilyOf(DOMAIN, inv), "vmware");
  const marked = DOMAIN.replace("<devices>", `<metadata><tiosa:run xmlns:tiosa="https://tiosa.dev/xmlns/run/1" id="01234567" family="xen"/></metadata><devices>`);
  assert.equal(sourceFamilyOf(marked, parseLibvirtDomainXml(marked, "d")), "xen");
  const virtio = DOMAIN.replace(/bus='scsi'/g, "bus='virtio'").replace(/sd([ab])/g, "vd$1").replace("vmxnet3", "virtio");
  assert.equal(sourceFamilyOf(virtio, parseLibvirtDomainXml(virtio, "d")), "kvm");
  const odd = DOMAIN.replace(/bus='scsi'/g, "bus='sata'").replace("vmxnet3", "e1000");
  assert.equal(sourceFamilyOf(odd, parseLibvirtDomainXml(odd, "d")), null);
});

test("target names drop an earlier run's prefix and fit the driver's rules", () => {
  assert.equal(shortName("tiosa-0a1b2c3d-debian"), "debian");
  assert.equal(shortName("Web Server_01"), "web-server-01");
  assert.equal(shortName("-x"), "x");
  assert.equal(shortName("_"), "vm");
  const long = shortName("a".repeat(60));
  assert.equal(long.length, 31);
  for (const n of ["tiosa-0a1b2c3d-debian", "Web Server_01", "ÄÖÜ", "a".repeat(60) + "-"]) assert.match(shortName(n), /^[a-z0-9][a-z0-9-]{0,30}$/);
});

test("an OVA's description wins, the carried one fills what the OVF does not say", () => {
  const carried = parseLibvirtDomainXml(DOMAIN, "d");
  const ovf = { ...carried, name: "from-ovf", memoryBytes: null, cpu: { ...carried.cpu, count: 4 } };
  const h = ovaHardware([ovf], carried);
  assert.equal(h.name, "from-ovf");
  assert.equal(h.cpu.count, 4);
  assert.equal(h.memoryBytes, 1024 * 2 ** 20);
  assert.equal(ovaHardware([], carried), carried);
});

/** A driver whose guest powers off after `offAfter` state polls (never, if null). */
function fakeDriver(initial: VmState, offAfter: number | null) {
  let state = initial, polls = 0;
  const ops: LifecycleOp[] = [];
  const d = {
    uri: "test:///fake",
    async state() {
      if (ops.includes("shutdown") && offAfter !== null && ++polls > offAfter) state = "shut off";
      return state;
    },
    async lifecycle(_vm: string, op: LifecycleOp) {
      ops.push(op);
      if (op === "destroy") state = "shut off";
    },
  };
  return { driver: d as unknown as HypervisorDriver, ops };
}

test("step 4: a running VM is shut down gracefully and not destroyed when it powers off", async () => {
  const { driver, ops } = fakeDriver("running", 1);
  const r = await stopVm(driver, "vm", { timeoutMs: 10_000 });
  assert.equal(r.how, "shutdown");
  assert.equal(r.was, "running");
  assert.deepEqual(ops, ["shutdown"]);
});

test("step 4: a guest that ignores the shutdown is powered off after the bounded wait", async () => {
  const { driver, ops } = fakeDriver("running", null);
  const r = await stopVm(driver, "vm", { timeoutMs: 100 });
  assert.equal(r.how, "destroy");
  assert.deepEqual(ops, ["shutdown", "destroy"]);
});

test("step 4: a stopped VM is left alone, a paused one destroyed, a managed save refused", async () => {
  const off = fakeDriver("shut off", 0);
  assert.equal((await stopVm(off.driver, "vm")).how, "none");
  assert.deepEqual(off.ops, []);
  const paused = fakeDriver("paused", 0);
  assert.equal((await stopVm(paused.driver, "vm")).how, "destroy");
  const saved = fakeDriver("saved", 0);
  await assert.rejects(stopVm(saved.driver, "vm"), (e: unknown) => e instanceof UserError && /managed save/.test(e.message));
});

test("virt-v2v's NBD sockets get a short directory: the full campaign's work path was too deep for a UNIX socket", async () => {
  // The path virt-v2v 2.2 refused ("UNIX socket path ... is too long") in the first --full run.
  const deep = "/work/fullrun/20261123-113704-full/work/case_debian-12_vmware-_kvm_export-ova_v2v_ova_libvirt_c1/02-v2v_ova_libvirt/tmp";
  const problem = socketDirProblem(deep);
  assert.ok(problem?.includes(deep) && problem.includes("108 bytes"), String(problem));
  const dir = await makeOwnedTempDir("tiosa-v2v-");
  try {
    assert.equal(socketDirProblem(dir), null, dir);
    assert.equal(socketDirProblem(`${dir}/${"x".repeat(200)}`)?.startsWith("virt-v2v's temporary directory"), true);
  } finally {
    await (await import("node:fs/promises")).rm(dir, { recursive: true, force: true });
  }
});

test("an owned temporary directory is swept once its owner is dead, and only its own prefix's", async () => {
  const { mkdtemp, readdir, rm, readFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join, basename } = await import("node:path");
  const parent = await mkdtemp(join(tmpdir(), "tiosa-owned-test-"));
  try {
    const mine = await makeOwnedTempDir("tiosa-v2v-", parent);
    assert.equal((await readFile(join(mine, "owner.pid"), "utf8")).trim(), String(process.pid));
    const dead = await makeOwnedTempDir("tiosa-v2v-", parent);
    const otherKind = await makeOwnedTempDir("tiosa-boot-", parent);
    const removed = await sweepStaleOwnedDirs("tiosa-v2v-", parent, () => false);
    assert.deepEqual(removed.sort(), [basename(mine), basename(dead)].sort());
    assert.deepEqual(await readdir(parent), [basename(otherKind)]);
    const live = await makeOwnedTempDir("tiosa-v2v-", parent);
    assert.deepEqual(await sweepStaleOwnedDirs("tiosa-v2v-", parent), [], "this process is alive: its directory stays");
    assert.ok((await readdir(parent)).includes(basename(live)));
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test("virt-v2v -o libvirt maps every NIC onto the target's network: by MAC where known, bridges (as -i ova reads OVF Connections) onto the network's bridge", () => {
  assert.deepEqual(networkMapArgs("tiosa-2213f2ac", "tbr151", ["52:54:00:AB:cd:01", "52:54:00:ab:cd:01", "52:54:00:00:00:02"]), [
    "--mac", "52:54:00:ab:cd:01:network:tiosa-2213f2ac",
    "--mac", "52:54:00:00:00:02:network:tiosa-2213f2ac",
    "--network", "tiosa-2213f2ac",
    "--bridge", "tbr151",
  ]);
  assert.deepEqual(networkMapArgs("net", null, []), ["--network", "net"]);
});
