import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { adaptRoute, type AdaptRouteResult } from "../../adapt/route.js";
import { describePlanItem } from "../../adapt/plan.js";
import { allocatedBytes } from "../measure.js";
import { formatBytes } from "../../util/bytes.js";
import { localDiskCopy, readSourceVm } from "../source-vm.js";
import type { AdaptRecord, StepRunner } from "../types.js";

/**
 * Step 1 of the `adapt` route (src/routes/adapt.ts): the stopped source VM's image is adapted
 * offline for the target family's hardware on a qcow2 overlay in the step's directory (the
 * source image is only read), then its allocated blocks are transferred compressed and
 * verified block by block (src/adapt/route.ts). The output is the verified qcow2; the route's
 * second step (`adapt-define`, the import runner) defines the VM with the family's hardware.
 * One disk only: the plan reads and changes the guest's root file system.
 */
export const runAdapt: StepRunner = async (input, step, ctx) => {
  if (!input.kind.startsWith("vm:")) throw new Error(`adapt: the input is ${input.kind}, not a stopped VM`);
  const src = await readSourceVm(ctx.source.driver, ctx.source.vm, ctx.signal);
  if (src.disks.length !== 1) {
    throw new UserError(`route adapt: VM '${ctx.source.vm}' on ${ctx.source.driver.uri} has ${src.disks.length} disks (${src.disks.map((d) => d.path).join(", ")}); the adapt route moves a guest with one disk, use another route`);
  }
  const disk = src.disks[0]!;
  if (ctx.source.driver.local) {
    const s = await stat(disk.path).catch(() => undefined);
    if (!s?.isFile()) throw new UserError(`route adapt: the image '${disk.path}' of VM '${ctx.source.vm}' ${s ? "is not a file" : "does not exist"}`);
  }
  const local = await localDiskCopy(ctx.source.driver, disk, ctx.stepDir, 0, ctx.signal);
  const sourceFileBytes = (await stat(local.disk.path)).size;
  const bytesRead = await allocatedBytes(local.disk.path);
  const r = await adaptRoute.run({
    source: { image: local.disk.path, format: local.disk.format },
    fromFamily: step.input.slice(3),
    targetFamily: ctx.target.family.name,
    workDir: join(ctx.stepDir, "adapt"),
    onProgress: ctx.log,
    signal: ctx.signal,
  });
  let bytesWritten = r.transfer.transferredBytes;
  if (local.downloaded) {
    bytesWritten += bytesRead;
    await rm(local.disk.path, { force: true });
  }
  const record = adaptRecord(r, sourceFileBytes);
  return {
    output: { kind: step.output, disks: [{ path: r.image, format: r.format }], packagePath: null, vmName: null },
    bytesRead, bytesWritten, notes: adaptNotes(record), adapt: record,
  };
};

/**
 * What the route did, for the migrate result and reports. The transfer's share is taken
 * against the source VM's image file (what a dead copy moves), not the working overlay the
 * route adapted.
 */
export function adaptRecord(r: Pick<AdaptRouteResult, "plan" | "applied" | "transfer" | "timingsMs">, sourceFileBytes: number): AdaptRecord {
  const t = r.transfer;
  return {
    targetFamily: r.plan.targetFamily,
    kernelRelease: r.plan.kernelRelease,
    changes: r.plan.items.filter((i) => i.change).map(describePlanItem),
    checks: r.plan.items.filter((i) => !i.change).map(describePlanItem),
    appliedId: r.applied?.id ?? null,
    transfer: {
      mode: t.mode, transferredBytes: t.transferredBytes, sourceFileBytes, sourceVirtualBytes: t.sourceVirtualBytes,
      shareOfSource: sourceFileBytes > 0 ? t.transferredBytes / sourceFileBytes : 0,
      shareOfVirtual: t.sourceVirtualBytes > 0 ? t.transferredBytes / t.sourceVirtualBytes : 0,
      verified: t.verified,
    },
    timingsMs: r.timingsMs,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The record in words: the step's notes (a campaign's step 5 detail). */
export function adaptNotes(a: AdaptRecord): string[] {
  const t = a.transfer;
  return [
    a.changes.length
      ? `plan for ${a.targetFamily} (kernel ${a.kernelRelease}): ${a.changes.length} change(s): ${a.changes.join("; ")}`
      : `plan for ${a.targetFamily} (kernel ${a.kernelRelease}): no change needed (${a.checks.length} check(s) passed)`,
    `transferred ${formatBytes(t.transferredBytes)} (${t.mode}${t.verified ? ", verified" : ""}) = ${pct(t.shareOfSource)} of the ${formatBytes(t.sourceFileBytes)} source image, ${pct(t.shareOfVirtual)} of ${formatBytes(t.sourceVirtualBytes)} virtual`,
    `preparation ${sec(a.timingsMs.preparation)} (facts ${sec(a.timingsMs.facts)}, apply ${sec(a.timingsMs.apply)}), transfer ${sec(a.timingsMs.transfer)}`,
  ];
}
