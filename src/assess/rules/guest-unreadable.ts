import type { AssessRule } from "../concern.js";

/** Says which checks could not run: an assessment without the guest's disk sees hardware only. */
export const guestUnreadable: AssessRule = {
  id: "guest-unreadable",
  severity: "info",
  title: "The guest's disk was not read: only the VM's description was assessed",
  origin: "tiosa: the guest-side rules need the disk (libguestfs, read-only) or the running guest",
  needs: "both",
  predicts: [],
  remedy: "give the disk image (`tiosa assess DISK`), an OVA with its disks, or a libvirt VM whose disks this machine can read",
  check({ subject }) {
    return subject.facts ? [] : [{ detail: `guest-side rules (initramfs drivers, fstab, network configuration, free space, guest tools) not run: ${subject.factsMissing ?? "no disk given"}`, evidence: [subject.source] }];
  },
};
