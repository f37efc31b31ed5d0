import { join } from "node:path";
import { convertImage, safeImageInfo } from "../../disk/qemu-img.js";
import { DISK_FORMATS, isDiskKind } from "../../routes/artifacts.js";
import { allocatedBytes } from "../measure.js";
import type { DiskFile, StepRunner } from "../types.js";

/**
 * `qemu-img convert` from one disk kind to another. The input is checked first
 * (src/disk: no backing file, no external data file, the format it claims).
 */
export const runQemuImgConvert: StepRunner = async (input, step, ctx) => {
  if (!isDiskKind(step.output)) throw new Error(`${step.tool.id}: output ${step.output} is not a disk`);
  const to = DISK_FORMATS[step.output];
  const disks: DiskFile[] = [];
  let bytesRead = 0, bytesWritten = 0;
  for (const [i, d] of input.disks.entries()) {
    await safeImageInfo(d.path, d.format, `${step.tool.id} input ${d.path}`, ctx.signal);
    const dst = join(ctx.stepDir, `disk${i}.${to.extension}`);
    await convertImage(d.path, d.format, dst, to.qemuFormat, { targetOptions: to.createOptions, signal: ctx.signal });
    bytesRead += await allocatedBytes(d.path);
    bytesWritten += await allocatedBytes(dst);
    disks.push({ path: dst, format: to.qemuFormat });
  }
  return { output: { kind: step.output, disks, packagePath: null, vmName: null }, bytesRead, bytesWritten };
};
