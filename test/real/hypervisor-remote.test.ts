import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { main } from "../../src/cli/main.js";
import { HypervisorInventory } from "../../src/inventory/model.js";
import { pngStats } from "../../src/hypervisor/png.js";
import { startRemoteHost, stopRemoteHost } from "../support/remote-host.js";

/**
 * The remote path for real: a second "host" on this machine (test/support/remote-host.ts), a
 * network namespace with its own sshd and libvirtd, driven as qemu+ssh://root@ADDR/system.
 */
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64 && command -v libvirtd && command -v sshd || command -v /usr/sbin/sshd"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64/libvirtd on this machine: no virtualization at all";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { out: (s) => { out += s + "\n"; }, err: (s) => { err += s + "\n"; } });
  return { code, out, err };
}

test("qemu+ssh to a second libvirtd: inventory, a marked VM defined from an uploaded disk, screenshot, and tiosa cleanup leave the remote empty", { skip, timeout: 15 * 60_000 }, async () => {
  const image = await buildImage("tiny");
  const t0 = Date.now();
  const h = await startRemoteHost();
  process.stderr.write(`remote host up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${h.uri}\n`);
  let driver: LibvirtDriver | undefined;
  try {
    const t1 = Date.now();
    const empty = HypervisorInventory.parse(JSON.parse((await cli(["inspect", h.uri, "--format", "json"])).out));
    process.stderr.write(`remote inspect in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    assert.equal(empty.vmCount, 0, JSON.stringify(empty.vms.map((v) => v.name)));
    // No vmx/svm on this CPU: the remote side must not pick the KVM shim.
    assert.equal(empty.hypervisor.accel, (await readFile("/proc/cpuinfo", "utf8")).match(/\b(vmx|svm)\b/) ? "kvm" : "tcg");
    assert.equal(empty.hypervisor.type, "qemu");
    assert.equal(empty.target, h.uri);

    driver = new LibvirtDriver(h.uri);
    const t2 = Date.now();
    const handle = await driver.defineVm({ name: "remote", family: getFamily("kvm"), disks: [{ path: image.diskPath, format: image.format }], memoryMiB: 256 });
    process.stderr.write(`remote define with disk upload in ${((Date.now() - t2) / 1000).toFixed(1)} s, accel ${handle.accel}\n`);
    await driver.lifecycle(handle.name, "start");
    const inv = HypervisorInventory.parse(JSON.parse((await cli(["inspect", h.uri, "--vm", handle.name, "--format", "json"])).out));
    assert.equal(inv.vmCount, 1);
    const vm = inv.vms[0]!;
    assert.equal(vm.state, "running");
    assert.equal(vm.memoryBytes, 256 * 1024 * 1024);
    assert.equal(vm.disks[0]!.capacityBytes, JSON.parse((await runOk("qemu-img", ["info", "--output=json", "-U", image.diskPath])).stdout)["virtual-size"]);
    assert.match(vm.disks[0]!.source ?? "", /^\/var\/lib\/libvirt\/images\/tiosa-[0-9a-f]{8}\//);
    // The remote guest boots: its screen fills with kernel text (the busybox guest has no agent or route to us).
    let stats;
    for (let i = 0; i < 40; i++) {
      await new Promise((res) => setTimeout(res, 3000));
      const file = join(h.dir, "shot.png");
      await driver.screenshot(handle.name, file);
      stats = pngStats(await readFile(file));
      if (stats.lumaStdDev > 5) break;
    }
    assert.ok(stats && stats.lumaStdDev > 5, `remote screen stayed blank: ${JSON.stringify(stats)}`);
    await assert.rejects(driver.readSerialConsole(handle.name), /remote host/);

    // A run that "died": only tiosa cleanup URI removes what it left.
    const c = await cli(["cleanup", h.uri, "--format", "json"]);
    assert.equal(c.code, 0, c.err);
    const report = JSON.parse(c.out) as { removed: string[] };
    assert.ok(report.removed.includes(`domain ${handle.name}`));
    assert.ok(report.removed.includes(`pool ${driver.poolName}`));
    assert.ok(report.removed.includes(`network ${driver.networkName}`));
    const list = async (what: string) => (await runOk("virsh", ["-c", h.uri, what, "--all", "--name"])).stdout.trim();
    assert.equal(await list("list"), "");
    assert.equal(await list("pool-list"), "");
    assert.doesNotMatch(await list("net-list"), /tiosa-/);
  } finally {
    // Nothing left after `tiosa cleanup`; this also removes the driver's local staging files.
    if (driver) assert.deepEqual((await driver.cleanup()).failed, []);
    await stopRemoteHost(h);
    assert.equal((await run("ip", ["netns", "list"], { timeoutMs: 10_000 })).stdout.includes(h.ns), false);
  }
});

test("an unreachable qemu+ssh URI ends with a clear message, exit 2, within 30 s", { skip, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-unreach-"));
  try {
    // 10.250.0.254 is in the lab subnet but nothing answers there (no namespace owns it).
    const uri = `qemu+ssh://root@10.250.0.254/system?keyfile=${join(dir, "nokey")}&no_verify=1`;
    const t = Date.now();
    const r = await cli(["inspect", uri]);
    const s = (Date.now() - t) / 1000;
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /hypervisor 'qemu\+ssh:\/\/root@10\.250\.0\.254\/system[^']*'(?: is unreachable|: 'virsh version' did not answer within 20 s)/);
    assert.ok(s < 30, `took ${s} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
