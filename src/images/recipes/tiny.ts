import type { TinyRecipe } from "../recipe.js";
import { CONSOLE_CMDLINE, DEFAULT_MIRROR } from "../recipe.js";

export const tiny: TinyRecipe = {
  name: "tiny",
  kind: "tiny",
  description: "busybox + dropbear on the Debian kernel, runs from RAM, boots in seconds without KVM",
  portabilityTrait: "runs from its initramfs: exercises NIC drivers and boot, not disk-driver portability",
  os: { id: "debian", version: "12", codename: "bookworm" },
  mirror: DEFAULT_MIRROR,
  packages: ["linux-image-amd64", "busybox-static", "dropbear-bin"],
  diskSizeMiB: 64,
  hostname: "tiosa-tiny",
  modules: [
    // NICs of the usual hypervisors (KVM, VMware, Hyper-V emulated, Xen HVM emulated, old QEMU)
    "virtio_pci", "virtio_net", "e1000", "e1000e", "igb", "vmxnet3", "8139cp", "8139too", "tulip",
    "pcnet32", "ne2k-pci", "net_failover", "failover", "mii",
    // disk controllers, so a guest can at least see its disk on any of them
    "virtio_blk", "virtio_scsi", "vmw_pvscsi", "sym53c8xx", "mptspi", "ahci", "ata_piix",
    "ata_generic", "sd_mod", "sr_mod", "libata", "libahci", "scsi_transport_spi",
    "virtio_console", "virtio_ring", "virtio", "crc32c_generic", "cdrom",
    // the ACPI power button as an input device, for busybox acpid: a hypervisor's shutdown
    // and reboot (ACPI) power the guest off, as they do a full Debian guest
    "button", "evdev",
  ],
  kernelCmdline: `${CONSOLE_CMDLINE} quiet`,
};
