import type { HardwareFamilyInput } from "./family.js";

export const xen: HardwareFamilyInput = {
  name: "xen",
  limits: { vcpus: 32, memoryBytes: 1.5 * 2 ** 40, source: "XenServer 8 configuration limits: 32 vCPUs, 1.5 TiB per VM" },
  standsFor: "Xen / XenServer (HVM guest)",
  description: "Xen HVM's emulated hardware (i440fx, IDE disk, RTL8139 NIC, Cirrus VGA, VHD image) emulated on QEMU; it is not the Xen hypervisor and has no Xen PV devices.",
  machine: "pc",
  // force_size keeps the virtual size exact: VHD's CHS geometry would otherwise round it up.
  disk: { bus: "ide", controller: null, format: "vpc", formatOptions: ["subformat=dynamic", "force_size=on"], targetPrefix: "hd" },
  nic: { model: "rtl8139" },
  video: { model: "cirrus" },
};
