import { join } from "node:path";
import { openOva } from "../../descriptors/ova.js";
import { packOva } from "../../descriptors/ova-pack.js";
import type { VmInventory } from "../../inventory/model.js";
import { allocatedBytes, totalAllocated } from "../measure.js";
import type { StepRunner } from "../types.js";

/** OVF 1.0 + SHA256 manifest + the streamOptimized disks, described with the carried hardware. */
export const runPackOva: StepRunner = async (input, _step, ctx) => {
  const out = join(ctx.stepDir, `${ctx.targetName}.ova`);
  const packed = await packOva({ vm: ctx.hardware, images: input.disks.map((d) => d.path), out, signal: ctx.signal });
  return {
    output: { kind: "pkg:ova", disks: [], packagePath: out, vmName: null },
    bytesRead: await totalAllocated(input.disks.map((d) => d.path)),
    bytesWritten: await allocatedBytes(out),
    notes: packed.notes,
  };
};

/**
 * Verified extraction (src/descriptors/ova.ts: entry names, types, sizes, digests, disk
 * headers and qemu-img info/check) into the step's directory; the OVF's hardware
 * description becomes the one carried to the importer.
 */
export const runUnpackOva: StepRunner = async (input, _step, ctx) => {
  if (!input.packagePath) throw new Error("unpack OVA: no OVA in the input");
  const pkg = await openOva(input.packagePath, { parentDir: ctx.stepDir, signal: ctx.signal });
  const disks = pkg.disks.map((d) => ({ path: d.path, format: d.info.format }));
  const hardware = ovaHardware(pkg.descriptor.vms, ctx.hardware);
  return {
    output: { kind: "disk:vmdk-streamOptimized", disks, packagePath: null, vmName: null },
    bytesRead: await allocatedBytes(input.packagePath),
    bytesWritten: await totalAllocated(disks.map((d) => d.path)),
    hardware,
    notes: pkg.notes.filter((n) => /refus|mismatch|leak|not in manifest|no manifest/i.test(n)),
  };
};

/** The OVA's first virtual system, keeping what the carried description knows and the OVF does not say. */
export function ovaHardware(vms: readonly VmInventory[], carried: VmInventory): VmInventory {
  const vm = vms[0];
  if (!vm) return carried;
  return {
    ...vm,
    memoryBytes: vm.memoryBytes ?? carried.memoryBytes,
    cpu: { ...vm.cpu, count: vm.cpu.count ?? carried.cpu.count },
  };
}
