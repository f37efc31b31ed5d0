import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { convertImage } from "../../disk/qemu-img.js";
import { packOva } from "../../descriptors/ova-pack.js";
import { DISK_FORMATS, isDiskKind } from "../../routes/artifacts.js";
import { allocatedBytes } from "../measure.js";
import { localDiskCopy, readSourceVm } from "../source-vm.js";
import type { DiskFile, StepRunner } from "../types.js";

/**
 * A family's export of a stopped VM: `virsh dumpxml` plus the VM's disk files (read in
 * place on a local hypervisor, downloaded through libvirt from a remote one), written as
 * what the family exports: libvirt XML + qcow2 (KVM), an OVA with streamOptimized VMDKs
 * (VMware), a VHDX (Hyper-V), a VHD (Xen).
 */
export const runExport: StepRunner = async (_input, step, ctx) => {
  const src = await readSourceVm(ctx.source.driver, ctx.source.vm, ctx.signal);
  const out = step.output;
  let bytesRead = 0;
  // Counted as each file is written: downloaded copies are removed once converted.
  let bytesWritten = 0;
  const convertAll = async (kind: keyof typeof DISK_FORMATS, stem: string): Promise<DiskFile[]> => {
    const f = DISK_FORMATS[kind];
    const disks: DiskFile[] = [];
    for (const [i, d] of src.disks.entries()) {
      const local = await localDiskCopy(ctx.source.driver, d, ctx.stepDir, i, ctx.signal);
      bytesRead += await allocatedBytes(local.disk.path);
      const dst = join(ctx.stepDir, `${stem}-disk${i}.${f.extension}`);
      await convertImage(local.disk.path, local.disk.format, dst, f.qemuFormat, { targetOptions: f.createOptions, signal: ctx.signal });
      bytesWritten += await allocatedBytes(dst);
      if (local.downloaded) {
        bytesWritten += await allocatedBytes(local.disk.path);
        await rm(local.disk.path, { force: true });
      }
      disks.push({ path: dst, format: f.qemuFormat });
    }
    return disks;
  };

  if (out === "pkg:libvirt-xml") {
    const disks = await convertAll("disk:qcow2", "export");
    const xmlPath = join(ctx.stepDir, "domain.xml");
    await writeFile(xmlPath, exportedDomainXml(src.xml, src.disks, disks), { mode: 0o600 });
    bytesWritten += await allocatedBytes(xmlPath);
    return { output: { kind: out, disks, packagePath: xmlPath, vmName: null }, bytesRead, bytesWritten };
  }
  if (out === "pkg:ova") {
    const disks = await convertAll("disk:vmdk-streamOptimized", "export");
    const ova = join(ctx.stepDir, `${ctx.targetName}.ova`);
    // The streamOptimized VMDKs are written once to disk and once into the archive: both count.
    const packed = await packOva({ vm: src.inventory, images: disks.map((d) => d.path), out: ova, signal: ctx.signal });
    for (const d of disks) await rm(d.path, { force: true });
    return { output: { kind: out, disks: [], packagePath: ova, vmName: null }, bytesRead, bytesWritten: bytesWritten + await allocatedBytes(ova), notes: packed.notes };
  }
  if (isDiskKind(out)) {
    const disks = await convertAll(out, "export");
    return { output: { kind: out, disks, packagePath: null, vmName: null }, bytesRead, bytesWritten };
  }
  throw new Error(`export to ${out} is not implemented`);
};

/**
 * The source's domain XML with each disk pointing at its exported copy (and its format),
 * so the package is self-contained: `virt-v2v -i libvirtxml` opens the copies, not the
 * source VM's files.
 */
export function exportedDomainXml(xml: string, from: readonly DiskFile[], to: readonly DiskFile[]): string {
  let out = xml;
  for (const [i, d] of from.entries()) {
    const copy = to[i];
    if (!copy) continue;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const attrVal = (s: string) => s.replace(/&/g, "&amp;").replace(/'/g, "&apos;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
    const disk = new RegExp(`(<disk\\b[^>]*>)((?:(?!</disk>)[\\s\\S])*?)<source\\s+file=(['"])${esc(attrVal(d.path))}\\3`, "m");
    const m = disk.exec(out);
    if (!m) continue;
    const body = m[2]!.replace(/(<driver\b[^>]*\btype=)(['"])[^'"]*\2/, `$1$2${copy.format}$2`);
    out = out.slice(0, m.index) + m[1] + body + `<source file='${attrVal(copy.path)}'` + out.slice(m.index + m[0].length);
  }
  return out;
}
