/**
 * Virtual hardware sets a guest can be booted on. Each one stands for what a hypervisor
 * family typically presents (KVM: virtio; VMware: pvscsi + vmxnet3; old/emulated: IDE +
 * rtl8139...). Moving a guest between them is what exposes initramfs and NIC-name
 * dependencies. PCI slots are pinned so that NIC names (e.g. `enp0s3` on q35 + virtio)
 * are the same on every boot.
 */
export type HardwareName = "virtio" | "virtio-scsi" | "sata" | "ide" | "lsi" | "pvscsi";

export interface HardwareProfile {
  name: HardwareName;
  description: string;
  machine: "q35" | "pc";
  /** QEMU -device arguments for the disk controller + disk, given the drive id. */
  disk: (driveId: string) => string[];
  /** QEMU -device argument for the NIC, given the netdev id. */
  nic: (netdevId: string) => string;
}

const scsi = (controller: string) => (drive: string) => [
  "-device", `${controller},id=hba0,addr=0x4`,
  "-device", `scsi-hd,drive=${drive},bus=hba0.0,bootindex=1`,
];

export const HARDWARE: Record<HardwareName, HardwareProfile> = {
  virtio: {
    name: "virtio", description: "q35, virtio-blk, virtio-net (KVM's usual)", machine: "q35",
    disk: (d) => ["-device", `virtio-blk-pci,drive=${d},addr=0x4,bootindex=1`],
    nic: (n) => `virtio-net-pci,netdev=${n},addr=0x3`,
  },
  "virtio-scsi": {
    name: "virtio-scsi", description: "q35, virtio-scsi, virtio-net", machine: "q35",
    disk: scsi("virtio-scsi-pci"),
    nic: (n) => `virtio-net-pci,netdev=${n},addr=0x3`,
  },
  sata: {
    name: "sata", description: "q35, AHCI (SATA), e1000e", machine: "q35",
    disk: (d) => ["-device", `ide-hd,drive=${d},bus=ide.0,bootindex=1`],
    nic: (n) => `e1000e,netdev=${n},addr=0x3`,
  },
  ide: {
    name: "ide", description: "pc (i440fx), IDE, rtl8139 (old emulated hardware)", machine: "pc",
    disk: (d) => ["-device", `ide-hd,drive=${d},bus=ide.0,unit=0,bootindex=1`],
    nic: (n) => `rtl8139,netdev=${n},addr=0x3`,
  },
  lsi: {
    name: "lsi", description: "pc, LSI 53c895a SCSI, e1000", machine: "pc",
    disk: scsi("lsi53c895a"),
    nic: (n) => `e1000,netdev=${n},addr=0x3`,
  },
  pvscsi: {
    name: "pvscsi", description: "pc, VMware pvscsi, vmxnet3 (VMware's usual)", machine: "pc",
    disk: scsi("pvscsi"),
    nic: (n) => `vmxnet3,netdev=${n},addr=0x3`,
  },
};

export function isHardwareName(s: string): s is HardwareName {
  return Object.hasOwn(HARDWARE, s);
}
