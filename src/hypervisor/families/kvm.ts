import type { HardwareFamilyInput } from "./family.js";

export const kvm: HardwareFamilyInput = {
  name: "kvm",
  standsFor: "KVM (OpenStack, oVirt, Proxmox...)",
  description: "KVM's paravirtual hardware (q35, virtio-blk disk, virtio-net NIC, qcow2 image), emulated on QEMU; not a vendor hypervisor.",
  machine: "q35",
  disk: { bus: "virtio", controller: null, format: "qcow2", targetPrefix: "vd" },
  nic: { model: "virtio" },
  video: { model: "vga" },
};
