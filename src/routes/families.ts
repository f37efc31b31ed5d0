import type { ArtifactKind, Family } from "./artifacts.js";

/**
 * What each family's hypervisor exports and imports natively. The hardware each family
 * gives a VM lives in src/hypervisor/families/; only the package formats are here.
 */
export interface FamilyFormats {
  family: Family;
  /** What "export" of a stopped VM produces. */
  exports: ArtifactKind;
  /** What the family's importer takes, with a human name for the step. */
  imports: Array<{ kind: ArtifactKind; name: string; id: string }>;
  exportName: string;
  exportId: string;
}

export const FAMILY_FORMATS: Record<Family, FamilyFormats> = {
  kvm: {
    family: "kvm", exports: "pkg:libvirt-xml", exportName: "export libvirt XML", exportId: "export-libvirt-xml",
    imports: [
      { kind: "pkg:libvirt-xml", name: "define from libvirt XML", id: "define-xml" },
      { kind: "disk:qcow2", name: "define", id: "define" },
    ],
  },
  vmware: {
    family: "vmware", exports: "pkg:ova", exportName: "export OVA", exportId: "export-ova",
    imports: [{ kind: "pkg:ova", name: "import OVA", id: "import-ova" }],
  },
  hyperv: {
    family: "hyperv", exports: "disk:vhdx", exportName: "export VHDX", exportId: "export-vhdx",
    imports: [{ kind: "disk:vhdx", name: "import VHDX", id: "import-vhdx" }],
  },
  xen: {
    family: "xen", exports: "disk:vpc", exportName: "export VHD", exportId: "export-vhd",
    imports: [{ kind: "disk:vpc", name: "import VHD", id: "import-vhd" }],
  },
};
