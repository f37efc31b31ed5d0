import type { AssessRule } from "../concern.js";

/** QEMU's block drivers that register a migration blocker: a VM on such a disk cannot be saved. */
const NO_MIGRATION_FORMATS = ["vmdk", "vhdx", "vpc", "vdi"];

/**
 * On QEMU, managedsave is a migration to a file, and the vmdk, vhdx, vpc and vdi drivers
 * refuse migration ("The vmdk format used by node ... does not support live migration"):
 * Suspend and Resume fail on the families that keep their disks in those formats. This is
 * tiosa's emulation of the family, not the vendor's hypervisor, which suspends its own format.
 */
export const emulatedSuspend: AssessRule = {
  id: "emulated-suspend",
  severity: "warning",
  title: "Suspend and Resume fail on the family's emulated disk format",
  origin: "measured: every case onto vmware (vmdk) fails 1.1.e/1.1.f with QEMU's \"does not support live migration\"; QEMU's vmdk, vhdx, vpc and vdi drivers add a migration blocker",
  needs: "both",
  predicts: [{ test: "1.1.e", verdict: "FAILURE" }, { test: "1.1.f", verdict: "FAILURE" }],
  remedy: "none needed on the vendor's hypervisor; on QEMU, run the VM from a qcow2 or raw copy of the disk, or waive 1.1.e/1.1.f for these families",
  check({ target }) {
    if (!NO_MIGRATION_FORMATS.includes(target.disk.format)) return [];
    return [{ detail: `'${target.name}' keeps its disks as ${target.disk.format}; QEMU cannot save a VM on such a disk (managedsave is a migration), so Suspend and Resume fail in tiosa's emulation of ${target.standsFor}`, evidence: [`family ${target.name}: disk format ${target.disk.format}`] }];
  },
};
