import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { migrate } from "../../src/migrate/migrate.js";
import { discoverRoutes } from "../../src/routes/discover.js";
import { URI, assertRunGone, defineSource, moveAndBoot, skipNoQemu } from "./migrate-support.js";

/**
 * Sequence 2 on real tools: the debian-12 guest defined on the local libvirt with one
 * family's hardware is moved over every route between kvm and vmware that needs no
 * virt-v2v (those are in migrate-virt-v2v.test.ts) and must boot on the target: SSH
 * answers with the image's key. The kvm source is started first so that step 4 has a
 * running guest to stop (shut down if its guest is up in time, else powered off).
 */

test("kvm -> vmware: a running debian-12 is stopped, moved over every route, and boots with VMware hardware", { skip: skipNoQemu, timeout: 45 * 60_000 }, async () => {
  const src = await defineSource("kvm");
  try {
    await src.driver.lifecycle(src.vm, "start");
    const routes = discoverRoutes("kvm", "vmware").filter((r) => !r.slow);
    assert.ok(routes.length >= 1);
    for (const [i, r] of routes.entries()) {
      const moved = await moveAndBoot(src, "vmware", r.id, { shutdownTimeoutMs: 60_000 });
      if (i === 0) {
        assert.equal(moved.result.stop.was, "running");
        assert.notEqual(moved.result.stop.how, "none");
        assert.ok(moved.result.stop.seconds < 120, `stopped in ${moved.result.stop.seconds} s`);
        process.stderr.write(`  step 4: ${moved.result.stop.how} after ${moved.result.stop.seconds.toFixed(1)} s\n`);
      }
      assert.equal(moved.result.sourceFamily, "kvm");
      const xml = moved.targetXml;
      assert.match(xml, /model='vmpvscsi'/);
      assert.match(xml, /<model type='vmxnet3'\/>/);
      assert.match(xml, /type='vmdk'/);
      const imp = moved.result.steps.at(-1)!;
      assert.equal(imp.tool, "import-ova");
      assert.ok(imp.bytesRead > 100 * 2 ** 20, `import read ${imp.bytesRead} bytes: the OVA of a real guest`);
      for (const s of moved.result.steps.filter((x) => x.tool !== "take-disks")) assert.ok(s.bytesWritten > 0, `${s.tool} wrote nothing`);
      assert.ok(moved.result.room.freeDiskBytes! > moved.result.room.neededDiskBytes.actual);
      assert.equal(moved.result.room.neededMemoryBytes, 1024 * 2 ** 20);
    }
  } finally {
    await src.driver.cleanup();
    await assertRunGone(src.driver.runId);
  }
});

test("vmware -> kvm: every route without virt-v2v moves debian-12 and it boots with KVM hardware", { skip: skipNoQemu, timeout: 45 * 60_000 }, async () => {
  const src = await defineSource("vmware");
  try {
    const routes = discoverRoutes("vmware", "kvm").filter((r) => !r.slow);
    assert.ok(routes.length >= 1);
    for (const r of routes) {
      const moved = await moveAndBoot(src, "kvm", r.id);
      assert.equal(moved.result.sourceFamily, "vmware");
      assert.equal(moved.result.stop.how, "none");
      const xml = moved.targetXml;
      assert.match(xml, /bus='virtio'/);
      assert.match(xml, /type='qcow2'/);
    }
  } finally {
    await src.driver.cleanup();
    await assertRunGone(src.driver.runId);
  }
});

test("kvm -> vmware: debian-12-hostonly moved by the adapt route boots behind PVSCSI (the plain copy cannot, hypervisor-families shows)", { skip: skipNoQemu, timeout: 45 * 60_000 }, async () => {
  const src = await defineSource("kvm", "debian-12-hostonly");
  try {
    const moved = await moveAndBoot(src, "vmware", "adapt");
    const a = moved.result.adapt;
    assert.ok(a, "the migrate result carries the adapt record");
    process.stderr.write(`  adapt: ${a.changes.join("; ")}; transferred ${a.transfer.transferredBytes} of ${a.transfer.sourceFileBytes} bytes (${(a.transfer.shareOfSource * 100).toFixed(1)} %), preparation ${(a.timingsMs.preparation / 1000).toFixed(1)} s\n`);
    assert.ok(a.changes.some((c) => /initramfs: .*vmw_pvscsi/.test(c)), `the plan adds the PVSCSI driver: ${a.changes.join("; ")}`);
    assert.ok(a.transfer.verified);
    assert.ok(a.transfer.shareOfSource > 0 && a.transfer.shareOfSource < 1, `share ${a.transfer.shareOfSource}`);
    assert.match(moved.targetXml, /model='vmpvscsi'/);
    assert.match(moved.targetXml, /<model type='vmxnet3'\/>/);
  } finally {
    await src.driver.cleanup();
    await assertRunGone(src.driver.runId);
  }
});

test("an abort during the import removes the defined domain, its volumes, pool, network and the work files", { skip: skipNoQemu, timeout: 20 * 60_000 }, async () => {
  const src = await defineSource("kvm");
  const workParent = mkdtempSync(join(tmpdir(), "tiosa-migrate-abort-"));
  const ac = new AbortController();
  let runId: string | null = null;
  try {
    const route = discoverRoutes("kvm", "vmware")[0]!;
    await assert.rejects(migrate({
      sourceUri: URI, vm: src.vm, targetUri: URI, family: "vmware", routeId: route.id, workDir: workParent, signal: ac.signal,
      onStart: (i) => { runId = i.targetRunId; },
      // The last step has defined the VM on the target when this fires.
      onStep: (_s, i) => { if (i === route.steps.length - 1) ac.abort(new Error("test abort after the import")); },
    }), /test abort after the import/);
    assert.ok(runId);
    await assertRunGone(runId);
    assert.deepEqual(readdirSync(workParent), []);
  } finally {
    rmSync(workParent, { recursive: true, force: true });
    await src.driver.cleanup();
  }
});

test("tiosa migrate: an unknown route id lists the known ones, a bad family or URI is exit 2", { skip: skipNoQemu, timeout: 5 * 60_000 }, async () => {
  const src = await defineSource("kvm");
  const err: string[] = [];
  const io = { out: () => {}, err: (s: string) => { err.push(s); } };
  let codes: number[];
  try {
    codes = [
      await main(["migrate", URI, "--vm", src.vm, "--to", URI, "--family", "vmware", "--route", "no-such-route"], io),
      await main(["migrate", URI, "--vm", src.vm, "--to", URI, "--family", "vbox"], io),
      await main(["migrate", "qemu+ssh://root@192.0.2.1/system", "--vm", src.vm, "--to", URI, "--family", "kvm"], io),
    ];
  } finally {
    await src.driver.cleanup();
  }
  const text = err.join("\n");
  assert.deepEqual(codes, [2, 2, 2], text);
  assert.match(text, /route 'no-such-route' does not exist from kvm to vmware; known routes:\n\s+export-libvirt-xml\+take-disks\+qemu-img:qcow2>vmdk\+pack-ova\+import-ova/);
  assert.match(text, /--family vbox: unknown family/);
  assert.match(text, /192\.0\.2\.1.*unreachable|did not answer/);
});
