/**
 * Virtual hardware sets a guest can be booted on. Each one stands for what a hypervisor
 * family typically presents (KVM: virtio; VMware: pvscsi + vmxnet3; old/emulated: IDE +
 * rtl8139...). Moving a guest between them is what exposes initramfs and NIC-name
 * dependencies. PCI slots are pinned so that NIC names are the same on every boot and, for
 * `virtio`, the same as libvirt gives a q35 guest (`enp1s0`: the NIC behind a PCIe root port).
 */
export type HardwareName = "virtio" | "virtio-scsi" | "sata" | "ide" | "lsi" | "pvscsi";

interface HardwareProfile {
  name: HardwareName;
  description: string;
  machine: "q35" | "pc";
  /** QEMU -device arguments for the disk controller + disk, given the drive id. */
  disk: (driveId: string) => string[];
  /** QEMU -device arguments for the NIC (and what it plugs into), given the netdev id. */
  nic: (netdevId: string) => string[];
}

const scsi = (controller: string) => (drive: string) => [
  "-device", `${controller},id=hba0,addr=0x4`,
  "-device", `scsi-hd,drive=${drive},bus=hba0.0,bootindex=1`,
];

export const HARDWARE: Record<HardwareName, HardwareProfile> = {
  virtio: {
    name: "virtio", description: "q35, virtio-blk, virtio-net (KVM's usual)", machine: "q35",
    disk: (d) => ["-device", `virtio-blk-pci,drive=${d},addr=0x4,bootindex=1`],
    // As libvirt places it on q35 (its kvm family here): a root port at 00:03.0, the NIC on bus 1.
    nic: (n) => ["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x3", "-device", `virtio-net-pci,netdev=${n},bus=rp1`],
  },
  "virtio-scsi": {
    name: "virtio-scsi", description: "q35, virtio-scsi, virtio-net", machine: "q35",
    disk: scsi("virtio-scsi-pci"),
    nic: (n) => ["-device", `virtio-net-pci,netdev=${n},addr=0x3`],
  },
  sata: {
    name: "sata", description: "q35, AHCI (SATA), e1000e", machine: "q35",
    disk: (d) => ["-device", `ide-hd,drive=${d},bus=ide.0,bootindex=1`],
    nic: (n) => ["-device", `e1000e,netdev=${n},addr=0x3`],
  },
  ide: {
    name: "ide", description: "pc (i440fx), IDE, rtl8139 (old emulated hardware)", machine: "pc",
    disk: (d) => ["-device", `ide-hd,drive=${d},bus=ide.0,unit=0,bootindex=1`],
    nic: (n) => ["-device", `rtl8139,netdev=${n},addr=0x3`],
  },
  lsi: {
    name: "lsi", description: "pc, LSI 53c895a SCSI, e1000", machine: "pc",
    disk: scsi("lsi53c895a"),
    nic: (n) => ["-device", `e1000,netdev=${n},addr=0x3`],
  },
  pvscsi: {
    name: "pvscsi", description: "pc, VMware pvscsi, vmxnet3 (VMware's usual)", machine: "pc",
    disk: scsi("pvscsi"),
    nic: (n) => ["-device", `vmxnet3,netdev=${n},addr=0x3`],
  },
};

export function isHardwareName(s: string): s is HardwareName {
  return Object.hasOwn(HARDWARE, s);
}
