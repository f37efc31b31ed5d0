import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { UserError } from "../../errors.js";
import { safeImageInfo } from "../../disk/qemu-img.js";
import { parseLibvirtDomainXml } from "../../descriptors/libvirt-xml.js";
import type { VmInventory } from "../../inventory/model.js";
import { allocatedBytes } from "../measure.js";
import type { DiskFile, StepRunner } from "../types.js";

/**
 * The disks a libvirt XML package names, which must lie inside the route's work directory
 * (a package pointing elsewhere on the host is refused), checked as qcow2 by src/disk.
 */
export async function packageDisks(xmlPath: string, workDir: string, signal?: AbortSignal): Promise<{ disks: DiskFile[]; hardware: VmInventory }> {
  const xml = await readFile(xmlPath, "utf8");
  const hardware = parseLibvirtDomainXml(xml, xmlPath);
  const disks: DiskFile[] = [];
  for (const d of hardware.disks) {
    if (d.device !== "disk") continue;
    if (!d.source) throw new UserError(`${xmlPath}: disk ${d.target ?? "?"} has no file source`);
    const path = isAbsolute(d.source) ? d.source : resolve(dirname(xmlPath), d.source);
    const rel = relative(workDir, path);
    if (rel.startsWith("..") || isAbsolute(rel)) throw new UserError(`${xmlPath}: disk ${JSON.stringify(d.source)} lies outside the work directory; refused`);
    const format = d.format ?? "raw";
    await safeImageInfo(path, format, `${xmlPath}: disk ${d.target ?? d.source}`, signal);
    disks.push({ path, format });
  }
  if (disks.length === 0) throw new UserError(`${xmlPath}: the package names no disk`);
  return { disks, hardware };
}

/** Takes the disks out of a libvirt XML package; moves no data (the files stay where they are). */
export const runTakeDisks: StepRunner = async (input, step, ctx) => {
  if (!input.packagePath) throw new Error("take disks: no libvirt XML in the input");
  const { disks, hardware } = await packageDisks(input.packagePath, ctx.workDir, ctx.signal);
  const wrong = disks.filter((d) => d.format !== "qcow2");
  if (wrong.length) throw new Error(`take disks: ${wrong.map((d) => `${d.path} is ${d.format}`).join(", ")}; the route expects qcow2`);
  return {
    output: { kind: step.output, disks, packagePath: null, vmName: null },
    bytesRead: await allocatedBytes(input.packagePath),
    bytesWritten: 0,
    hardware,
  };
};
