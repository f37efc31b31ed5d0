import type { HypervisorDriver } from "../../hypervisor/driver.js";
import { openOva } from "../../descriptors/ova.js";
import type { VmInventory } from "../../inventory/model.js";
import { allocatedBytes, totalAllocated } from "../measure.js";
import type { DiskFile, StepRunner } from "../types.js";
import { ovaHardware } from "./ova.js";
import { packageDisks } from "./take-disks.js";

/**
 * A family's importer: defines the VM on the target with the family's hardware (src/
 * hypervisor/families/) and the CPU count and memory of the package's hardware
 * description; the driver puts each disk into the run's pool in the family's format.
 * An OVA is verified and unpacked first (src/descriptors/ova.ts), a libvirt XML package's
 * disks must lie in the work directory.
 */
export const runImport: StepRunner = async (input, step, ctx) => {
  let disks: DiskFile[] = input.disks;
  let hardware: VmInventory = ctx.hardware;
  let bytesRead = 0;
  let bytesWritten = 0;
  if (input.kind === "pkg:ova") {
    if (!input.packagePath) throw new Error("import OVA: no OVA in the input");
    const pkg = await openOva(input.packagePath, { parentDir: ctx.stepDir, signal: ctx.signal });
    disks = pkg.disks.map((d) => ({ path: d.path, format: d.info.format }));
    hardware = ovaHardware(pkg.descriptor.vms, ctx.hardware);
    bytesRead += await allocatedBytes(input.packagePath);
    bytesWritten += await totalAllocated(disks.map((d) => d.path));
  } else if (input.kind === "pkg:libvirt-xml") {
    if (!input.packagePath) throw new Error("define from libvirt XML: no XML in the input");
    const pkg = await packageDisks(input.packagePath, ctx.workDir, ctx.signal);
    disks = pkg.disks;
    hardware = pkg.hardware;
  }
  bytesRead += await totalAllocated(disks.map((d) => d.path));
  const memoryMiB = hardware.memoryBytes ? Math.max(64, Math.round(hardware.memoryBytes / 2 ** 20)) : undefined;
  const vcpus = hardware.cpu.count && hardware.cpu.count > 0 ? hardware.cpu.count : undefined;
  const handle = await ctx.target.driver.defineVm({ name: ctx.targetName, family: ctx.target.family, disks, memoryMiB, vcpus }, ctx.signal);
  const volumes = await ctx.target.driver.diskSources(handle.name, ctx.signal);
  bytesWritten += ctx.target.driver.local ? await totalAllocated(volumes) : await remoteAllocation(ctx.target.driver, volumes, ctx.signal);
  return {
    output: { kind: step.output, disks: [], packagePath: null, vmName: handle.name },
    bytesRead, bytesWritten, hardware,
    notes: [`defined ${handle.name} (${ctx.target.family.name}: ${vcpus ?? 1} vCPU, ${memoryMiB ?? 1024} MiB, ${handle.accel})`],
  };
};

/** Bytes the imported volumes take on a remote target (0 where the driver cannot tell). */
async function remoteAllocation(driver: HypervisorDriver, volumes: string[], signal?: AbortSignal): Promise<number> {
  const remote = driver.capabilities.remoteVolumes;
  let n = 0;
  for (const v of volumes) n += remote ? await remote.allocatedBytes(v, signal) : 0;
  return n;
}

