import { z } from "zod";

/**
 * A hardware family: the virtual hardware one hypervisor presents to its guests, as data.
 * tiosa emulates each family on QEMU (with KVM where available, TCG otherwise): it is that
 * family's virtual hardware, NOT the vendor's hypervisor. Users add their own families as a
 * JSON or YAML file of this shape (`--family-file`), and campaigns name families.
 */
export const HardwareFamily = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, '-' or '_', at most 32"),
  /** What the family stands for, and that it is emulated on QEMU: shown in reports. */
  description: z.string().min(1),
  /** QEMU machine type: q35 or pc (i440fx). */
  machine: z.enum(["q35", "pc"]),
  firmware: z.enum(["bios", "uefi"]).default("bios"),
  disk: z.object({
    bus: z.enum(["virtio", "scsi", "ide", "sata"]),
    /** SCSI controller model where bus is scsi (libvirt names: vmpvscsi, lsilogic, virtio-scsi...). */
    controller: z.string().nullable().default(null),
    /** Image format on disk (qemu-img names): qcow2, vmdk, vhdx, vpc, raw. */
    format: z.enum(["qcow2", "vmdk", "vhdx", "vpc", "raw"]),
    /** Extra `qemu-img convert -o` options for that format. */
    formatOptions: z.array(z.string()).default([]),
    /** Guest target name prefix libvirt uses for this bus. */
    targetPrefix: z.enum(["vd", "sd", "hd"]),
    /**
     * Linux kernel modules a guest needs to find its root disk behind this controller (what a
     * host-only initramfs built on this hardware holds). Derived from bus and controller when
     * left out (src/images/installed-on.ts); give it for a controller tiosa does not know.
     */
    drivers: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).optional(),
  }),
  nic: z.object({
    model: z.string().min(1),
    /**
     * The name Debian's udev gives the first NIC where libvirt places it on this hardware
     * (predictable names: `enp1s0` behind q35's first PCIe root port, `ens3` in i440fx slot 3).
     * Derived from the machine type when left out.
     */
    guestName: z.string().regex(/^[a-z][a-z0-9]{1,14}$/).optional(),
  }),
  video: z.object({ model: z.string().min(1) }),
  /** Hyper-V enlightenments (libvirt <features><hyperv> element names) to turn on. */
  hyperv: z.array(z.string()).default([]),
  /**
   * The most one VM may have on the hypervisor this family stands for (its vendor's
   * configuration maximums), with where the figures come from; `tiosa assess` checks them.
   */
  limits: z.object({ vcpus: z.number().int().positive(), memoryBytes: z.number().positive(), source: z.string().min(1) }).optional(),
  /** Paper's name of the hypervisor whose hardware this is. */
  standsFor: z.string(),
  /**
   * How the family's hypervisor exports a stopped VM and what its importers take, as route
   * artifact kinds (src/routes/artifacts.ts: "pkg:ova", "pkg:libvirt-xml", "disk:vhdx"...):
   * route discovery builds the family's exporter and importers from it. Default: its disk
   * image format, exported and imported as bare disks (xen: "disk:vpc", "export VHD").
   */
  exchange: z.object({
    export: z.object({ kind: z.string(), id: z.string(), name: z.string() }),
    imports: z.array(z.object({ kind: z.string(), id: z.string(), name: z.string() })).min(1),
  }).optional(),
});
export type HardwareFamily = z.infer<typeof HardwareFamily>;
export type HardwareFamilyInput = z.input<typeof HardwareFamily>;
