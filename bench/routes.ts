/**
 * Conversion routes (issue 7) side by side, in one run, on the same debian-12 guest: each
 * route between kvm and vmware (both directions and within a family) runs its tool chain
 * (export, convert, pack/unpack, import = defined on the local libvirt, not booted), timed
 * against a plain `qemu-img convert` of the same source disk to qcow2, with the bytes the
 * route wrote as a share of the source image's allocated size.
 *
 * virt-v2v routes take minutes each under TCG: only with TIOSA_SLOW_BENCH=1.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../src/images/index.js";
import { getFamily } from "../src/hypervisor/families/index.js";
import { LibvirtDriver } from "../src/hypervisor/libvirt/driver.js";
import { migrate, type MigrateResult } from "../src/migrate/migrate.js";
import { allocatedBytes } from "../src/migrate/measure.js";
import { formatBytes } from "../src/util/bytes.js";
import { readSourceVm } from "../src/migrate/source-vm.js";
import type { Family } from "../src/routes/artifacts.js";
import { discoverRoutes } from "../src/routes/discover.js";
import { haveCommand, runOk } from "../src/util/exec.js";
import { renderTable } from "../src/util/table.js";

const URI = "qemu:///system";
const slow = process.env.TIOSA_SLOW_BENCH === "1";
const PAIRS: Array<[Family, Family]> = [["kvm", "vmware"], ["vmware", "kvm"], ["kvm", "kvm"], ["vmware", "vmware"]];

if (!(await haveCommand("qemu-img")) || !(await haveCommand("virsh"))) {
  console.log("routes bench: qemu-img and virsh are needed; skipped");
  process.exit(0);
}

const image = await buildImage("debian-12");
const rows: string[][] = [];
const skipped: string[] = [];
for (const from of ["kvm", "vmware"] as Family[]) {
  const src = new LibvirtDriver(URI);
  try {
    const h = await src.defineVm({ name: `bench-${from}`, family: getFamily(from), disks: [{ path: image.diskPath, format: image.format }], memoryMiB: 1024 });
    const disk = (await readSourceVm(src, h.name)).disks[0]!;
    const sourceBytes = await allocatedBytes(disk.path);
    // The baseline: the same disk, one plain conversion to qcow2.
    const tmp = await mkdtemp(join(tmpdir(), "tiosa-bench-routes-"));
    let baseline: number;
    try {
      const t0 = Date.now();
      await runOk("qemu-img", ["convert", "-U", "-f", disk.format, "-O", "qcow2", disk.path, join(tmp, "plain.qcow2")], { timeoutMs: 30 * 60_000 });
      baseline = (Date.now() - t0) / 1000;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    rows.push([`${from} disk`, `plain qemu-img convert ${disk.format}->qcow2 (baseline)`, baseline.toFixed(1), "1.0×", formatBytes(sourceBytes), "100 %", ""]);
    for (const [f, to] of PAIRS.filter(([a]) => a === from)) {
      for (const route of discoverRoutes(f, to)) {
        if (route.slow && !slow) { skipped.push(route.id); continue; }
        let result: MigrateResult | null = null;
        try {
          result = await migrate({ sourceUri: URI, vm: h.name, targetUri: URI, family: to, routeId: route.id });
        } catch (e) {
          rows.push([`${f}->${to}`, route.name, "failed", "", "", "", e instanceof Error ? e.message.split("\n")[0]! : String(e)]);
          continue;
        } finally {
          if (result) await new LibvirtDriver(URI, result.targetRunId).cleanup();
        }
        const written = result.steps.reduce((n, s) => n + s.bytesWritten, 0);
        rows.push([
          `${f}->${to}`, route.name, result.seconds.toFixed(1), `${(result.seconds / baseline).toFixed(1)}×`,
          formatBytes(written), `${Math.round((written / sourceBytes) * 100)} %`,
          result.steps.map((s) => `${s.tool} ${s.seconds.toFixed(1)}s`).join(", "),
        ]);
      }
    }
  } finally {
    await src.cleanup();
  }
}
console.log(`debian-12 (${image.diskPath}), routes run to a defined VM on ${URI} (no boot), one run:\n`);
console.log(renderTable(["Pair", "Route", "Time s", "vs qemu-img", "Bytes written", "of source", "Steps"], rows, { maxWidth: [14, 90, 7, 11, 13, 9, 200] }));
if (skipped.length) console.log(`\n${skipped.length} virt-v2v route(s) not run (minutes each under TCG; TIOSA_SLOW_BENCH=1 runs them): ${skipped.join(", ")}`);
