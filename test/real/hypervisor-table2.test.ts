import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { launchVm } from "../../src/hypervisor/launch.js";
import { main } from "../../src/cli/main.js";
import { Snapshot } from "../../src/snapshot/schema.js";
import { HypervisorInventory } from "../../src/inventory/model.js";

/**
 * One debian-12 guest in the kvm family, booted once: its inventory is compared with what
 * the domain XML and the guest itself say, then `tiosa capture` runs all of Table II 1.1,
 * 1.2, 1.4 (Terminate last) plus the guest probe and writes a snapshot/v1.
 */
const URI = "qemu:///system";
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";

async function cli(args: string[]) {
  let out = "", err = "";
  const code = await main(args, { out: (s) => { out += s + "\n"; }, err: (s) => { err += s + "\n"; process.stderr.write(`  | ${s}\n`); } });
  return { code, out, err };
}

test("debian-12 in the kvm family: inventory equals domain XML and guest; capture passes every Table II test and leaves nothing behind", { skip, timeout: 30 * 60_000 }, async () => {
  await run("bash", ["scripts/setup.d/50-libvirt.sh"], { timeoutMs: 60_000 });
  const image = await buildImage("debian-12");
  const driver = new LibvirtDriver(URI);
  const work = await mkdtemp(join(tmpdir(), "tiosa-hvtest-"));
  let vm = "";
  try {
    const access = { user: "root", identityFile: image.sshPrivateKeyPath };
    const t0 = Date.now();
    const { handle, wait } = await launchVm({ driver, spec: { name: "t2", family: getFamily("kvm"), disks: [{ path: image.diskPath, format: image.format }] }, access, timeoutMs: 900_000 });
    vm = handle.name;
    process.stderr.write(`booted ${vm} (${handle.accel}) to SSH in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${wait.address}\n`);

    // Sequence 1 inventory against the domain XML and the guest's own view.
    const inv = await driver.vmInventory(vm);
    const xml = await driver.domainXml(vm);
    // Generous: at a load average of 20 one SSH round trip into a TCG guest took over 30 s.
    const guest = async (script: string) => {
      const r = await wait.transport.exec(script, { timeoutMs: 180_000 });
      assert.equal(r.code, 0, `guest command '${script}' failed: ${r.stderr}`);
      return r.stdout.trim();
    };
    assert.equal(inv.state, "running");
    assert.equal(inv.hypervisorType, handle.accel === "kvm" ? "kvm" : "qemu");
    assert.equal(inv.memoryBytes, 1024 * 1024 * 1024);
    assert.match(xml, /<memory unit='KiB'>1048576<\/memory>/);
    const memTotalKiB = Number(/MemTotal:\s+(\d+)/.exec(await guest("cat /proc/meminfo"))![1]);
    assert.ok(memTotalKiB > 800 * 1024 && memTotalKiB <= 1024 * 1024, `guest MemTotal ${memTotalKiB} KiB for 1 GiB`);
    assert.equal(inv.cpu.count, Number(await guest("nproc")));
    assert.equal(inv.disks.length, 1);
    const disk = inv.disks[0]!;
    assert.deepEqual([disk.target, disk.bus, disk.format], ["vda", "virtio", "qcow2"]);
    const imgInfo = JSON.parse((await run("qemu-img", ["info", "--output=json", "-U", disk.source!], { timeoutMs: 30_000 })).stdout) as { "virtual-size": number; "actual-size": number };
    assert.equal(disk.capacityBytes, imgInfo["virtual-size"]);
    assert.equal(disk.capacityBytes, Number(await guest("cat /sys/block/vda/size")) * 512);
    // libvirt's allocation is what the host file system allocated (st_blocks): it can run ahead of
    // the file's apparent size (delayed allocation) while the guest writes, but never past the
    // disk's capacity plus qcow2 metadata.
    const st = await stat(disk.source!);
    assert.ok(disk.allocationBytes! > 100 * 1024 * 1024 && disk.allocationBytes! <= disk.capacityBytes! * 1.05, `allocation ${disk.allocationBytes} (file ${st.size} bytes, ${st.blocks * 512} allocated)`);
    assert.equal(inv.nics.length, 1);
    assert.equal(inv.nics[0]!.model, "virtio");
    assert.equal(inv.nics[0]!.network, driver.networkName);
    const guestNics = await guest("for n in /sys/class/net/*; do [ -e $n/device ] && echo $(cat $n/address) $(basename $(readlink $n/device/driver)); done; true");
    assert.match(guestNics, new RegExp(`${inv.nics[0]!.mac} virtio_net`));
    assert.ok(inv.io && inv.io.block[0]!.readBytes > 0 && inv.io.interfaces[0]!.rxBytes > 0, "I/O counters of a running guest");

    const all = HypervisorInventory.parse(JSON.parse((await cli(["inspect", URI, "--format", "json"])).out));
    assert.ok(all.vmCount >= 1 && all.vms.some((v) => v.name === vm));
    assert.equal(all.hypervisor.type, "qemu");
    assert.match(all.hypervisor.version ?? "", /^\d+\.\d+/);
    assert.equal(all.hypervisor.accel, handle.accel);

    // Table II + guest probe + inventory => snapshot/v1, through the CLI.
    const out = join(work, "snap.json");
    const t1 = Date.now();
    const r = await cli(["capture", URI, "--vm", vm, "--ssh", `root@${wait.address}`, "--identity", image.sshPrivateKeyPath, "-o", out, "--allow-terminate", "--boot-timeout", "900"]);
    process.stderr.write(`capture took ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
    assert.equal(r.code, 0, r.err);
    const snap = Snapshot.parse(JSON.parse(await readFile(out, "utf8")));
    assert.equal(snap.subject?.family, "kvm");
    assert.equal(snap.subject?.accel, handle.accel);
    assert.equal(snap.inventory?.name, vm);
    assert.equal(snap.guest?.kernel?.arch, "x86_64");
    const ids = ["1.1.a", "1.1.b", "1.1.c", "1.1.d", "1.1.e", "1.1.f", "1.1.g", "1.2.a", "1.2.b", "1.2.c", "1.4.a", "1.4.b"];
    for (const id of ids) {
      const res = snap.hypervisorTests[id];
      assert.ok(res, `${id} missing`);
      process.stderr.write(`${id} ${res.result} (${res.durationMs} ms): ${res.detail}\n`);
      assert.equal(res.result, "ok", `${id}: ${res.detail}`);
    }
    assert.match(snap.hypervisorTests["1.1.b"]!.detail, /boot_id changed from \S+ to \S+/);
    assert.match(snap.hypervisorTests["1.1.f"]!.detail, /boot_id unchanged/);
    const shot = snap.hypervisorTests["1.4.b"]!.evidence![0]!;
    assert.ok((await stat(shot)).size > 100, "screenshot kept as evidence");
    // Terminate removed the domain and its volume.
    assert.equal((await run("virsh", ["-c", URI, "domstate", vm], { timeoutMs: 30_000 })).code, 1);
    await assert.rejects(stat(disk.source!));
    vm = "";
  } finally {
    const report = await driver.cleanup();
    await rm(work, { recursive: true, force: true });
    assert.deepEqual(report.failed, []);
    const left = (await run("virsh", ["-c", URI, "list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
    assert.ok(!left.includes(`tiosa-${driver.runId}`), `left behind: ${left}`);
    const pools = (await run("virsh", ["-c", URI, "pool-list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
    assert.ok(!pools.includes(driver.poolName));
  }
});
