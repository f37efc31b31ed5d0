import type { HardwareFamily } from "../hypervisor/families/family.js";
import { BUILTIN_FAMILIES } from "../hypervisor/families/index.js";
import { firstNicNameOf } from "../images/installed-on.js";
import type { VmInventory } from "../inventory/model.js";

/**
 * The names a Linux guest gives its first disk and NIC on a family's hardware: virtio-blk
 * disks are vdX, disks behind SCSI, SATA and IDE (libata) are sdX; the NIC's predictable
 * name follows its PCI slot (`enp1s0` behind q35's first root port, `ens3` in i440fx slot 3).
 */
export const diskPrefixOn = (f: HardwareFamily): "vd" | "sd" => (f.disk.bus === "virtio" ? "vd" : "sd");
export const nicNameOn = (f: HardwareFamily): string => firstNicNameOf(f);

const norm = (s: string | null | undefined) => (s ?? "").toLowerCase().replace(/^virtio-net$/, "virtio");

/**
 * The family whose hardware a VM has, matched on its first disk's bus (and SCSI controller)
 * and its first NIC's model; null when none matches (a VM from another hypervisor).
 */
export function familyOfInventory(inv: VmInventory, families: readonly HardwareFamily[] = BUILTIN_FAMILIES): HardwareFamily | null {
  const disk = inv.disks.find((d) => d.device === "disk");
  const nic = inv.nics[0];
  if (!disk || !nic) return null;
  return families.find((f) => norm(f.disk.bus) === norm(disk.bus)
    && (f.disk.bus !== "scsi" || norm(f.disk.controller).replace(/^vm/, "") === norm(disk.controller).replace(/^vm/, ""))
    && norm(f.nic.model) === norm(nic.model)) ?? null;
}
