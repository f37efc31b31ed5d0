import { UserError } from "../errors.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import type { DebianRecipe, Recipe } from "./recipe.js";

/**
 * What a guest installed on a family's hardware carries of that hardware: the paper installs
 * each guest OS on each source hypervisor, so a host-only initramfs holds that hypervisor's disk
 * driver and a network configuration bound to a NIC name uses the name the NIC has there.
 * A recipe with such parts is resolved for one family before it is built (and hashed);
 * a recipe without them (MODULES=most, DHCP on any NIC) is the same image on every family.
 */

/** libvirt SCSI controller model -> the Linux driver behind it. */
const SCSI_CONTROLLER_DRIVERS: Record<string, string[]> = {
  vmpvscsi: ["vmw_pvscsi"],
  lsilogic: ["mptspi"],
  lsisas1068: ["mptsas"],
  "virtio-scsi": ["virtio_pci", "virtio_scsi"],
  megasas: ["megaraid_sas"],
  buslogic: ["BusLogic"],
  "am53c974": ["am53c974"],
  "dc390": ["am53c974"],
};

/**
 * The modules a host-only initramfs (initramfs-tools MODULES=dep, dracut hostonly) picks for a
 * root disk on this family: the controller's driver and the disk driver (sd_mod for every
 * SCSI-like disk, libata's IDE/SATA included). Their own dependencies (libata, scsi_mod,
 * virtio) come in through modprobe when the initramfs is made, as with MODULES=dep.
 */
export function diskDriversOf(f: HardwareFamily): string[] {
  if (f.disk.drivers?.length) return [...f.disk.drivers];
  switch (f.disk.bus) {
    case "virtio": return ["virtio_pci", "virtio_blk"];
    case "sata": return ["ahci", "sd_mod"];
    // libvirt puts an IDE disk of a q35 machine on its AHCI controller; i440fx has PIIX IDE.
    case "ide": return f.machine === "q35" ? ["ahci", "sd_mod"] : ["ata_piix", "sd_mod"];
    case "scsi": {
      // libvirt's default SCSI controller on x86 is lsilogic.
      const controller = f.disk.controller ?? "lsilogic";
      const drivers = SCSI_CONTROLLER_DRIVERS[controller];
      if (!drivers) {
        throw new UserError(`hardware family '${f.name}': tiosa does not know the Linux driver of SCSI controller '${controller}'; give it as disk.drivers in the family file (e.g. ["mptspi", "sd_mod"])`);
      }
      return [...drivers, "sd_mod"];
    }
  }
}

/**
 * The name Debian's udev (predictable names) gives the first NIC as libvirt places it:
 * measured on these families, `enp1s0` on q35 (behind the first PCIe root port, bus 1) and
 * `ens3` on i440fx (slot 3, after the VGA in slot 2).
 */
export function firstNicNameOf(f: HardwareFamily): string {
  return f.nic.guestName ?? (f.machine === "q35" ? "enp1s0" : "ens3");
}

/** True when the recipe has parts an installer would take from the hardware it runs on. */
export function dependsOnFamily(r: Recipe): boolean {
  return r.kind === "debian" && (r.initramfs.modules === "dep" || (r.network.kind === "static" && r.network.interface === null));
}

/**
 * The recipe as installed on family `f`: a host-only initramfs gets that family's disk drivers,
 * a network configuration bound to "the first NIC" gets that NIC's name there, and the recipe
 * records `builtFor` (so the family is part of its hash and cache key). A recipe that does not
 * depend on the hardware comes back unchanged: one image serves every family.
 */
export function recipeForFamily(r: Recipe, f: HardwareFamily): Recipe {
  if (r.kind !== "debian" || !dependsOnFamily(r)) return r;
  const out: DebianRecipe = { ...r, builtFor: f.name };
  if (r.initramfs.modules === "dep") {
    out.initramfs = {
      modules: "list",
      list: [...diskDriversOf(f), "ext4"],
      reproduces: `${r.initramfs.reproduces}, installed on ${f.name} hardware (${f.disk.bus}${f.disk.controller ? ` ${f.disk.controller}` : ""} disk)`,
    };
  }
  if (r.network.kind === "static" && r.network.interface === null) {
    out.network = { ...r.network, interface: firstNicNameOf(f) };
  }
  return out;
}
