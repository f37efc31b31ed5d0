import { driversFor } from "../../adapt/plan.js";
import type { AssessRule, Finding } from "../concern.js";

/** No module alias of the guest's kernel matches the target's device: nothing can be added to the initramfs either. */
export const kernelLacksDriver: AssessRule = {
  id: "kernel-lacks-driver",
  severity: "critical",
  title: "The guest's kernel has no driver for the target's disk controller or NIC",
  origin: "virt-v2v's conversion step (it installs virtio drivers a guest lacks, or refuses); the paper's CentOS 6.3 kernel without virtio",
  needs: "facts",
  predicts: [{ test: "1.1.a", verdict: "FAILURE" }],
  remedy: "install a kernel that has the driver (a newer distribution kernel, or the vendor's driver package) before the move, or pick a target family whose hardware the kernel drives",
  check({ subject, hardware }) {
    const f = subject.facts;
    if (!f || !f.modulesAlias.trim()) return [];
    const out: Finding[] = [];
    for (const d of [hardware.disk, hardware.nic]) {
      try { driversFor(d, f); } catch {
        out.push({
          detail: `kernel ${f.kernelRelease} has no module or built-in driver whose alias matches the ${d.label} (PCI ${d.pciIds.join("/")}) of '${hardware.family}'${d.role === "nic" ? ": the guest boots without a network interface" : ": the root disk is never seen"}`,
          evidence: [`/lib/modules/${f.kernelRelease}/modules.alias: no alias for ${d.pciIds.map((p) => `pci:v0000${p.split(":")[0]!.toUpperCase()}d0000${p.split(":")[1]!.toUpperCase()}`).join(" or ")}`],
          ...(d.role === "nic" ? { predicts: [{ test: "2.3.b", verdict: "FAILURE" as const }] } : {}),
        });
      }
    }
    return out;
  },
};
