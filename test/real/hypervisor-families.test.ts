import { test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { GuestNeverBootedError, launchVm } from "../../src/hypervisor/launch.js";
import { main } from "../../src/cli/main.js";

/**
 * A guest from `tiosa images build` in each hardware family (kvm is covered with Table II
 * in hypervisor-table2.test.ts). The guest must see the family's hardware through its own
 * drivers. debian-12-hostonly has only the virtio-blk driver in its initramfs: outside kvm
 * it cannot find its root disk, which the console says and the test expects.
 */
const URI = "qemu:///system";
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";

/** Driver names the guest kernel binds to each family's disk controller and NIC. */
const EXPECT: Record<string, { disk: RegExp; nic: RegExp }> = {
  vmware: { disk: /vmw_pvscsi/, nic: /vmxnet3/ },
  hyperv: { disk: /ata_piix/, nic: /tulip/ },
  xen: { disk: /ata_piix/, nic: /8139(cp|too)/ },
};

async function noneLeft(driver: LibvirtDriver): Promise<void> {
  const left = (await run("virsh", ["-c", URI, "list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
  assert.ok(!left.includes(`tiosa-${driver.runId}`), `left behind: ${left}`);
  const pools = (await run("virsh", ["-c", URI, "pool-list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
  assert.ok(!pools.includes(driver.poolName), `pool left: ${pools}`);
}

for (const name of Object.keys(EXPECT)) {
  test(`debian-12 boots with ${name} hardware and its kernel drives that hardware`, { skip, timeout: 25 * 60_000 }, async () => {
    const image = await buildImage("debian-12");
    const driver = new LibvirtDriver(URI);
    try {
      const t0 = Date.now();
      const { handle, wait } = await launchVm({
        driver, spec: { name: `fam-${name}`, family: getFamily(name), disks: [{ path: image.diskPath, format: image.format }] },
        access: { user: "root", identityFile: image.sshPrivateKeyPath }, timeoutMs: 900_000,
      });
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      // Every driver bound along each disk's and NIC's device path, up to the PCI root: the
      // controller (ata_piix, vmw_pvscsi) sits several levels above the block device.
      const drivers = (await wait.transport.exec('for d in /sys/block/*/device /sys/class/net/*/device; do p=$(readlink -f "$d"); while [ "$p" != /sys/devices ] && [ "$p" != / ]; do [ -e "$p/driver" ] && basename "$(readlink -f "$p/driver")"; p=${p%/*}; done; done | sort -u', { timeoutMs: 30_000 })).stdout;
      process.stderr.write(`${name}: SSH after ${s} s (define incl. disk conversion + boot, ${handle.accel}); drivers:\n${drivers}\n`);
      assert.match(drivers, EXPECT[name]!.disk);
      assert.match(drivers, EXPECT[name]!.nic);
      const inv = await driver.vmInventory(handle.name);
      const f = getFamily(name);
      assert.equal(inv.disks[0]!.format, f.disk.format);
      assert.equal(inv.disks[0]!.bus, f.disk.bus);
      assert.equal(inv.nics[0]!.model, f.nic.model);
    } finally {
      const r = await driver.cleanup();
      assert.deepEqual(r.failed, []);
      await noneLeft(driver);
    }
  });
}

for (const name of Object.keys(EXPECT)) {
    test(`debian-12-hostonly in the ${name} family never boots: the console's ALERT is the message, within a bounded time, nothing left`, { skip, timeout: 25 * 60_000 }, async () => {
    const image = await buildImage("debian-12-hostonly");
    const driver = new LibvirtDriver(URI);
    try {
      const t0 = Date.now();
      await assert.rejects(
        launchVm({
          driver, spec: { name: `hostonly-${name}`, family: getFamily(name), disks: [{ path: image.diskPath, format: image.format }] },
          access: { user: "root", identityFile: image.sshPrivateKeyPath }, timeoutMs: 900_000,
        }),
        (e: unknown) => {
          assert.ok(e instanceof GuestNeverBootedError, String(e));
          assert.match(e.message, /did not boot: its serial console says "ALERT! .* does not exist/);
          return true;
        },
      );
      const s = (Date.now() - t0) / 1000;
      process.stderr.write(`hostonly/${name}: ALERT seen after ${s.toFixed(1)} s\n`);
      assert.ok(s < 900, `${s} s`);
    } finally {
      const r = await driver.cleanup();
      assert.deepEqual(r.failed, []);
      await noneLeft(driver);
    }
  });
}

test("a VM that does not exist ends with a clear message and exit 2", { skip, timeout: 120_000 }, async () => {
  let err = "";
  const t = Date.now();
  const code = await main(["hypervisor-tests", URI, "--vm", "tiosa-no-such-vm", "--ssh", "root", "--identity", "/dev/null"], { out: () => {}, err: (s) => { err += s; } });
  assert.equal(code, 2);
  assert.match(err, /VM 'tiosa-no-such-vm' does not exist on 'qemu:\/\/\/system'/);
  assert.ok(Date.now() - t < 30_000);
});
