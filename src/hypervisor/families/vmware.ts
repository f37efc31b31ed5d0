import type { HardwareFamilyInput } from "./family.js";

export const vmware: HardwareFamilyInput = {
  name: "vmware",
  limits: { vcpus: 768, memoryBytes: 24 * 2 ** 40, source: "vSphere 8.0 configuration maximums: 768 vCPUs, 24 TB per VM" },
  standsFor: "VMware vSphere/ESXi",
  description: "VMware ESXi's virtual hardware (i440fx, PVSCSI controller, VMXNET3 NIC, VMware SVGA, VMDK image) emulated on QEMU; it is not VMware's hypervisor.",
  machine: "pc",
  disk: { bus: "scsi", controller: "vmpvscsi", format: "vmdk", formatOptions: ["subformat=monolithicSparse"], targetPrefix: "sd" },
  nic: { model: "vmxnet3" },
  video: { model: "vmvga" },
  exchange: {
    export: { kind: "pkg:ova", id: "export-ova", name: "export OVA" },
    imports: [{ kind: "pkg:ova", id: "import-ova", name: "import OVA" }],
  },
};
