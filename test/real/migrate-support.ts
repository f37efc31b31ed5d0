import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, type BuiltImage } from "../../src/images/index.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../../src/hypervisor/libvirt/driver.js";
import { waitForGuest } from "../../src/hypervisor/launch.js";
import { migrate, type MigrateResult } from "../../src/migrate/migrate.js";
import type { Family } from "../../src/routes/artifacts.js";
import { run } from "../../src/util/exec.js";

export const URI = "qemu:///system";
export const haveQemu = (await run("sh", ["-c", "command -v qemu-system-x86_64"], { timeoutMs: 5000 })).code === 0;
export const skipNoQemu = haveQemu ? false : "no qemu-system-x86_64 on this machine: no virtualization at all";

/**
 * A TCG boot takes ~30 s on an idle machine but several minutes when the machine's two
 * cores are shared by many guests (measured: systemd still starting after 480 s at load ~20).
 */
const BOOT_TIMEOUT_MS = Number(process.env.TIOSA_MIGRATE_BOOT_TIMEOUT_S ?? 900) * 1000;

export interface SourceVm {
  driver: LibvirtDriver;
  vm: string;
  image: BuiltImage;
}

/** A guest (debian-12 unless named) defined, not started, on the local libvirt with a family's hardware. */
export async function defineSource(family: Family, imageName = "debian-12"): Promise<SourceVm> {
  const image = await buildImage(imageName);
  const driver = new LibvirtDriver(URI);
  const h = await driver.defineVm({ name: `src-${family}`, family: getFamily(family), disks: [{ path: image.diskPath, format: image.format }], memoryMiB: 1024 });
  return { driver, vm: h.name, image };
}

export interface Moved {
  result: MigrateResult;
  bootId: string;
  bootSeconds: number;
  /** The target domain's XML as defined by the route. */
  targetXml: string;
}

/**
 * Moves the source over one route, boots the result and proves it is the image's guest:
 * SSH answers with the image's key and gives its boot id. Everything the run created on
 * the target is removed afterwards, and the work directory is gone.
 */
export async function moveAndBoot(src: SourceVm, to: Family, routeId: string, opts: { shutdownTimeoutMs?: number } = {}): Promise<Moved> {
  const workParent = mkdtempSync(join(tmpdir(), "tiosa-migrate-test-"));
  let runId: string | null = null;
  try {
    const result = await migrate({
      sourceUri: URI, vm: src.vm, targetUri: URI, family: to, routeId, workDir: workParent, shutdownTimeoutMs: opts.shutdownTimeoutMs,
      onStart: (i) => { runId = i.targetRunId; },
      onMessage: (m) => process.stderr.write(`  ${m}\n`),
      onStep: (s) => process.stderr.write(`  ${s.tool}: ${s.seconds.toFixed(1)} s, read ${s.bytesRead}, wrote ${s.bytesWritten}\n`),
    });
    assert.deepEqual(readdirSync(workParent), [], "work directory removed after success");
    assert.equal(result.route.id, routeId);
    assert.equal(result.steps.length, result.route.steps.length);
    assert.match(result.targetVm, new RegExp(`^tiosa-${result.targetRunId}-`));
    const target = new LibvirtDriver(URI, result.targetRunId);
    const xml = (await run("virsh", ["-c", URI, "dumpxml", result.targetVm], { timeoutMs: 30_000 })).stdout;
    await target.lifecycle(result.targetVm, "start");
    const t0 = Date.now();
    const wait = await waitForGuest({
      driver: target, vm: result.targetVm, access: { user: "root", identityFile: src.image.sshPrivateKeyPath }, timeoutMs: BOOT_TIMEOUT_MS,
    });
    const bootSeconds = (Date.now() - t0) / 1000;
    assert.match(wait.bootId, /^[0-9a-f-]{36}$/);
    process.stderr.write(`  ${routeId}: ${result.targetVm} answered over SSH after ${bootSeconds.toFixed(1)} s, boot id ${wait.bootId}\n`);
    return { result, bootId: wait.bootId, bootSeconds, targetXml: xml };
  } finally {
    if (runId) {
      const r = await new LibvirtDriver(URI, runId).cleanup();
      assert.deepEqual(r.failed, []);
      await assertRunGone(runId);
    }
    rmSync(workParent, { recursive: true, force: true });
  }
}

/** No domain, pool or network of the run is left on the local libvirt. */
export async function assertRunGone(runId: string): Promise<void> {
  for (const what of [["list", "--all", "--name"], ["pool-list", "--all", "--name"], ["net-list", "--all", "--name"]]) {
    const out = (await run("virsh", ["-c", URI, ...what], { timeoutMs: 30_000 })).stdout;
    assert.ok(!out.includes(`tiosa-${runId}`), `left behind by run ${runId} (${what[0]}): ${out}`);
  }
}
