import { test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { GuestNeverBootedError, launchVm } from "../../src/hypervisor/launch.js";
import { main } from "../../src/cli/main.js";

/**
 * debian-12-hostonly installed on kvm has only the virtio-blk driver in its initramfs: in any
 * other family's hardware it cannot find its root disk, which the console says and the test
 * expects. (Each guest booting in the family it was built for, with that family's drivers:
 * images-installed-on.test.ts.)
 */
const URI = "qemu:///system";
const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
const skip = haveQemu ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";

/** The families whose disk controller is not virtio. */
const NOT_VIRTIO = ["vmware", "hyperv", "xen"];

async function noneLeft(driver: LibvirtDriver): Promise<void> {
  const left = (await run("virsh", ["-c", URI, "list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
  assert.ok(!left.includes(`tiosa-${driver.runId}`), `left behind: ${left}`);
  const pools = (await run("virsh", ["-c", URI, "pool-list", "--all", "--name"], { timeoutMs: 30_000 })).stdout;
  assert.ok(!pools.includes(driver.poolName), `pool left: ${pools}`);
}

for (const name of NOT_VIRTIO) {
  test(`debian-12-hostonly installed on kvm, in the ${name} family, never boots: the console's ALERT is the message, within a bounded time, nothing left`, { skip, timeout: 25 * 60_000 }, async () => {
    const image = await buildImage("debian-12-hostonly", { family: "kvm" });
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
