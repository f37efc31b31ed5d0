import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/util/exec.js";
import { buildImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { launchVm } from "../../src/hypervisor/launch.js";
import type { HypervisorTestContext, Results } from "../../src/hypervisor/table2/context.js";
import { testInjection } from "../../src/hypervisor/table2/injection.js";
import { testNetworks } from "../../src/hypervisor/table2/network.js";
import { cleanupNetworkObjects, listTiosaNetworkObjects } from "../../src/hypervisor/libvirt/networks.js";
import { cleanupHostNetworking, findHostLeftovers, isNetworkTestLink, isNetworkTestNamespace } from "../../src/netns/cleanup.js";
import { Snapshot } from "../../src/snapshot/schema.js";

/**
 * Table II 1.3 (injection) and 1.5 (network management) on real libvirt guests: a debian-12
 * VM in the kvm family and in the vmware family, each booted once by the test (plus the
 * stops and starts the tests themselves need), all peers in network namespaces here.
 * Skipped only where there is no qemu-system binary at all.
 */
const URI = "qemu:///system";
const FAMILIES = (process.env.TIOSA_NET_FAMILIES ?? "kvm,vmware").split(",").map((s) => s.trim()).filter(Boolean);

async function haveQemu(): Promise<boolean> {
  return (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
}

async function hostListings(): Promise<{ nets: string; filters: string; netns: string; links: string }> {
  const v = (args: string[]) => run("virsh", ["-c", URI, ...args], { timeoutMs: 30_000 }).then((r) => r.stdout);
  return {
    nets: await v(["net-list", "--all", "--name"]),
    filters: await v(["nwfilter-list"]),
    netns: (await run("ip", ["netns", "list"], { timeoutMs: 10_000 })).stdout,
    links: (await run("ip", ["-o", "link", "show"], { timeoutMs: 10_000 })).stdout,
  };
}

const skip = (await haveQemu()) ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";

for (const familyName of FAMILIES) {
  test(`injection and network tests on a debian-12 guest with ${familyName} hardware are proven from inside the guest and leave nothing behind`, { skip, timeout: 90 * 60_000 }, async () => {
    const image = await buildImage("debian-12", { onProgress: (p) => { if (p.phase !== "info") process.stderr.write(`[image] ${p.step} ${p.phase}\n`); } });
    const driver = new LibvirtDriver(URI);
    const family = getFamily(familyName);
    const evidenceDir = await mkdtemp(join(tmpdir(), "tiosa-nettest-evidence-"));
    const log = (m: string) => process.stderr.write(`[${familyName}] ${m}\n`);
    let results: Results = {};
    try {
      await driver.connect();
      const access = { user: "root", identityFile: image.sshPrivateKeyPath };
      const t0 = Date.now();
      const { handle, wait } = await launchVm({ driver, spec: { name: `net-${familyName}`, family, disks: [{ path: image.diskPath, format: image.format }] }, access, timeoutMs: 900_000 });
      log(`booted ${handle.name} (${handle.accel}) in ${((Date.now() - t0) / 1000).toFixed(1)} s, SSH at ${wait.address}`);
      const ctx: HypervisorTestContext = {
        driver, vm: handle.name, guest: wait.transport, access, evidenceDir, allowTerminate: true, bootTimeoutMs: 900_000, log,
      };
      const t1 = Date.now();
      Object.assign(results, await testInjection(ctx));
      log(`injection group: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      const t2 = Date.now();
      Object.assign(results, await testNetworks(ctx));
      log(`network group: ${((Date.now() - t2) / 1000).toFixed(1)} s`);
      for (const [id, r] of Object.entries(results)) log(`${id} ${r.result} (${((r.durationMs ?? 0) / 1000).toFixed(1)} s): ${r.detail}`);

      // The VM is back to running with only its own NIC, and its guest answers.
      assert.equal(await driver.state(handle.name), "running");
      assert.equal((await ctx.guest.exec("true", { timeoutMs: 20_000 })).code, 0, "the guest answers after the tests");
      const nics = (await driver.virsh.ok(["domiflist", "--", handle.name])).trim().split("\n").filter(Boolean);
      assert.equal(nics.length, 1, `only the VM's own NIC is left: ${nics.join(" | ")}`);
      const injectedLeft = await ctx.guest.exec("ls /etc/systemd/network/10-tiosa-injected.network /root/tiosa-injected-* 2>/dev/null | wc -l", { timeoutMs: 20_000 });
      assert.equal(injectedLeft.stdout.trim(), "0", "the injected files were removed from the guest");

      // The results fit the snapshot contract, keyed by Table II id.
      Snapshot.shape.hypervisorTests.parse(results);
      for (const id of ["1.3.a", "1.3.b", "1.5.a", "1.5.b", "1.5.c", "1.5.d"]) {
        assert.equal(results[id]?.result, "ok", `${id}: ${results[id]?.detail}`);
      }
      assert.match(results["1.3.a"]!.detail, /has 10\.253\.\d+\.10\/24 .*Network File: \/etc\/systemd\/network\/10-tiosa-injected\.network.*[1-9]\d* received/);
      assert.match(results["1.3.b"]!.detail, /offline .*with the injected content.*online .*with the written content.*removed/);
      assert.match(results["1.5.b"]!.detail, /got 10\.251\.1\.\d+\/24 by DHCP.*[1-9] received.*tiosa-peer flat-peer saw-client 10\.251\.1\./);
      assert.match(results["1.5.a"]!.detail, /tagged 101: ping 10\.251\.2\.2 \(VLAN 101 peer\) [1-9]\/2, ping 10\.251\.2\.3 \(VLAN 102 peer, same subnet\) 0\/2; port moved to 102: ping 10\.251\.2\.3 [1-9]\/2, ping 10\.251\.2\.2 0\/2/);
      assert.match(results["1.5.c"]!.detail, /before [1-9]\/2, filtered 0\/3, after unbinding [1-9]\/3.*tiosa-peer flat-peer/);
      assert.match(results["1.5.d"]!.detail, /via 10\.254\.\d+\.1 .*tiosa-peer remote-subnet-peer saw-client 10\.254\.\d+\.\d+ \(peer saw the guest's own address/);
    } finally {
      const report = await driver.cleanup();
      if (report.failed.length) log(`driver cleanup failed: ${JSON.stringify(report.failed)}`);
      // For a run killed half-way: the same removal keyed on this run's names.
      await cleanupNetworkObjects(driver.virsh, driver.runId);
      await cleanupHostNetworking(driver.runId);
      await rm(evidenceDir, { recursive: true, force: true });
    }
    // Nothing of this run is left on the host: libvirt networks, filters, namespaces, links.
    const after = await hostListings();
    const runPrefix = `tiosa-${driver.runId}`;
    assert.ok(!after.nets.includes(runPrefix), `virsh net-list --all: ${after.nets}`);
    assert.ok(!after.filters.includes(runPrefix), `virsh nwfilter-list: ${after.filters}`);
    assert.deepEqual(after.netns.split("\n").map((l) => l.split(" ")[0]!).filter((n) => n && isNetworkTestNamespace(n)), [], `ip netns: ${after.netns}`);
    assert.deepEqual(after.links.split("\n").map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? "").filter((n) => n && isNetworkTestLink(n)), [], "ip link shows no tiosa test link");
    assert.deepEqual(await findHostLeftovers(), { namespaces: [], links: [], ovsBridges: [] });
    assert.deepEqual(await listTiosaNetworkObjects(driver.virsh, driver.runId), { networks: [], filters: [] });
  });
}
