import { BUILTIN_FAMILIES, familyNames } from "../hypervisor/families/index.js";

/**
 * Artifacts a route moves between tools (Sequence 2: export, convert, import).
 * A disk kind is one image format as qemu-img names it (plus the VMDK subformat, which
 * decides who accepts it); a package kind is disks plus a hardware description; a `vm:`
 * kind is a VM defined on a hypervisor of one family, where routes start and end.
 */
export const DISK_KINDS = [
  "disk:qcow2", "disk:raw", "disk:vmdk-streamOptimized", "disk:vmdk-monolithicSparse", "disk:vpc", "disk:vhdx", "disk:vdi",
] as const;
const PACKAGE_KINDS = ["pkg:ova", "pkg:ovf", "pkg:libvirt-xml"] as const;
/**
 * A hardware family's name (src/hypervisor/families/). Routes are discovered between the
 * families of that registry, so the type is any name and `isFamily` checks it.
 */
export type Family = string;
/** The built-in families, in the paper's order (a family file adds more: `isFamily`). */
export const FAMILIES: readonly Family[] = BUILTIN_FAMILIES.map((f) => f.name);

type DiskKind = (typeof DISK_KINDS)[number];
type PackageKind = (typeof PACKAGE_KINDS)[number];
type VmKind = `vm:${Family}`;
export type ArtifactKind = DiskKind | PackageKind | VmKind;

interface DiskFormat {
  kind: DiskKind;
  /** `qemu-img -f/-O` format name. */
  qemuFormat: string;
  /** `qemu-img convert -o` options producing this kind. */
  createOptions: string[];
  /** Short label used in route names ("qemu-img vmdk->qcow2"). */
  label: string;
  extension: string;
}

export const DISK_FORMATS: Record<DiskKind, DiskFormat> = {
  "disk:qcow2": { kind: "disk:qcow2", qemuFormat: "qcow2", createOptions: [], label: "qcow2", extension: "qcow2" },
  "disk:raw": { kind: "disk:raw", qemuFormat: "raw", createOptions: [], label: "raw", extension: "raw" },
  "disk:vmdk-streamOptimized": { kind: "disk:vmdk-streamOptimized", qemuFormat: "vmdk", createOptions: ["subformat=streamOptimized"], label: "vmdk", extension: "vmdk" },
  "disk:vmdk-monolithicSparse": { kind: "disk:vmdk-monolithicSparse", qemuFormat: "vmdk", createOptions: ["subformat=monolithicSparse"], label: "vmdk-sparse", extension: "vmdk" },
  // force_size keeps the virtual size exact (VHD's CHS geometry would round it up).
  "disk:vpc": { kind: "disk:vpc", qemuFormat: "vpc", createOptions: ["subformat=dynamic", "force_size=on"], label: "vhd", extension: "vhd" },
  "disk:vhdx": { kind: "disk:vhdx", qemuFormat: "vhdx", createOptions: [], label: "vhdx", extension: "vhdx" },
  "disk:vdi": { kind: "disk:vdi", qemuFormat: "vdi", createOptions: [], label: "vdi", extension: "vdi" },
};

export function isDiskKind(k: ArtifactKind): k is DiskKind {
  return k.startsWith("disk:");
}

/** A family routes can be discovered for: built in, or loaded from a family file. */
export function isFamily(s: string): s is Family {
  return familyNames().includes(s);
}

/** A disk or package kind (what a family's `exchange` may name). */
export function isExchangeKind(s: string): s is DiskKind | PackageKind {
  return (DISK_KINDS as readonly string[]).includes(s) || (PACKAGE_KINDS as readonly string[]).includes(s);
}

/** The disk kind of an image format as a family declares it (qemu-img name and -o options). */
export function diskKindOf(format: string, options: readonly string[] = []): DiskKind | null {
  if (format === "vmdk") return options.includes("subformat=streamOptimized") ? "disk:vmdk-streamOptimized" : "disk:vmdk-monolithicSparse";
  const k = `disk:${format}`;
  return (DISK_KINDS as readonly string[]).includes(k) ? (k as DiskKind) : null;
}

export function describeKind(k: ArtifactKind): string {
  if (isDiskKind(k)) return `${DISK_FORMATS[k].label} disk`;
  switch (k) {
    case "pkg:ova": return "OVA (OVF + streamOptimized VMDK)";
    case "pkg:ovf": return "OVF + disks";
    case "pkg:libvirt-xml": return "libvirt XML + qcow2 disks";
    default: return `VM on ${k.slice(3)}`;
  }
}
