import { UserError } from "../errors.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import { diskModelOf } from "../adapt/devices.js";
import type { DebianRecipe, Recipe } from "./recipe.js";

/**
 * What a guest installed on a family's hardware carries of that hardware: the paper installs
 * each guest OS on each source hypervisor, so a host-only initramfs holds that hypervisor's disk
 * driver and a network configuration bound to a NIC name uses the name the NIC has there.
 * A recipe with such parts is resolved for one family before it is built (and hashed);
 * a recipe without them (MODULES=most, DHCP on any NIC) is the same image on every family.
 */

/**
 * The modules a host-only initramfs (initramfs-tools MODULES=dep, dracut hostonly) picks for a
 * root disk behind each disk controller of adapt's device table: the controller's driver and
 * the disk driver (sd_mod for every SCSI-like disk, libata's IDE/SATA included). Their own
 * dependencies (libata, scsi_mod, virtio) come in through modprobe when the initramfs is made.
 * QEMU's `lsilogic` is an LSI 53C895A, which sym53c8xx drives (not VMware's LSI Logic, mptspi).
 */
const HOST_ONLY_DISK_MODULES: Record<string, string[]> = {
  "virtio-blk": ["virtio_pci", "virtio_blk"],
  "virtio-scsi": ["virtio_pci", "virtio_scsi", "sd_mod"],
  pvscsi: ["vmw_pvscsi", "sd_mod"],
  lsi: ["sym53c8xx", "sd_mod"],
  "piix-ide": ["ata_piix", "sd_mod"],
  ahci: ["ahci", "sd_mod"],
};

/**
 * The disk drivers a guest installed on family `f` keeps in a host-only initramfs: the
 * family file's `disk.drivers`, else those of its disk controller as adapt's device table
 * (src/adapt/devices.ts) identifies it from the family's bus and controller.
 */
export function diskDriversOf(f: HardwareFamily): string[] {
  if (f.disk.drivers?.length) return [...f.disk.drivers];
  let model: string;
  try {
    model = diskModelOf(f);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`${e.message}; or give the Linux drivers it needs as disk.drivers in the family file (e.g. ["mptspi", "sd_mod"])`);
  }
  const modules = HOST_ONLY_DISK_MODULES[model];
  if (!modules) throw new Error(`no host-only module list for disk controller model '${model}'`);
  return [...modules];
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
