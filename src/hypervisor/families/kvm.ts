import type { HardwareFamilyInput } from "./family.js";

export const kvm: HardwareFamilyInput = {
  name: "kvm",
  standsFor: "KVM (OpenStack, oVirt, Proxmox...)",
  description: "KVM's paravirtual hardware (q35, virtio-blk disk, virtio-net NIC, qcow2 image), emulated on QEMU; not a vendor hypervisor.",
  machine: "q35",
  disk: { bus: "virtio", controller: null, format: "qcow2", targetPrefix: "vd" },
  nic: { model: "virtio" },
  video: { model: "vga" },
  exchange: {
    export: { kind: "pkg:libvirt-xml", id: "export-libvirt-xml", name: "export libvirt XML" },
    imports: [
      { kind: "pkg:libvirt-xml", id: "define-xml", name: "define from libvirt XML" },
      { kind: "disk:qcow2", id: "define", name: "define" },
    ],
  },
};
