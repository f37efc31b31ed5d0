import type { AssessRule } from "../concern.js";

export const sharedDisk: AssessRule = {
  id: "shared-disk",
  severity: "warning",
  title: "A disk is shared with other VMs",
  origin: "Forklift (shared disks are migrated once, with the first VM); libvirt <shareable/>, VMware multi-writer and shared SCSI buses",
  needs: "inventory",
  predicts: [],
  remedy: "move the VMs that share the disk together and attach the one copy to each on the target; a cluster's fencing and quorum disks need the target's shared storage",
  check({ subject }) {
    const d = subject.inventory?.features.sharedDisks ?? [];
    if (!d.length) return [];
    return [{ detail: `disk(s) ${d.join(", ")} are shared: a copy made for this VM no longer sees the other VMs' writes`, evidence: d.map((x) => `${subject.source}: disk ${x} shared`) }];
  },
};
