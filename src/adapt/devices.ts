import type { HardwareFamily } from "../hypervisor/families/family.js";
import { UserError } from "../errors.js";

/**
 * A virtual device as the guest kernel sees it: the modaliases udev would hand to modprobe.
 * PCI modaliases follow the kernel's format (pci:vVVVVVVVVdDDDDDDDDsvSSSSSSSSsdSSSSSSSSbcBBscSSiII)
 * with the ids QEMU's emulated device presents; a second bus (virtio, scsi) adds the alias the
 * child device raises, since the disk itself is found only once that driver binds too.
 */
export interface DeviceModel {
  /** Our name for the model: pvscsi, vmxnet3, tulip... */
  model: string;
  role: "disk-controller" | "nic";
  /** What it is, in a few words, for plan reasons. */
  label: string;
  /** PCI vendor:device ids (lower case hex), shown in the plan. */
  pciIds: string[];
  /**
   * Alternatives: the device works if EVERY modalias of at least one alternative has a driver.
   * Alternatives exist because QEMU presents virtio devices as legacy or modern ids.
   */
  modaliases: string[][];
}

function pci(vendor: string, device: string, cls: string, sub = "00001AF4", subdev = "00001100"): string {
  const v = vendor.toUpperCase().padStart(8, "0"), d = device.toUpperCase().padStart(8, "0");
  return `pci:v${v}d${d}sv${sub}sd${subdev}bc${cls.slice(0, 2)}sc${cls.slice(2, 4)}i${cls.slice(4, 6)}`;
}

/** A SCSI disk (pvscsi, virtio-scsi, LSI, and ATA disks through libata) is a scsi:t-0x00 device: sd_mod. */
const SCSI_DISK = "scsi:t-0x00";

export const DEVICE_MODELS: Record<string, DeviceModel> = {
  "virtio-blk": {
    model: "virtio-blk", role: "disk-controller", label: "virtio block device", pciIds: ["1af4:1001", "1af4:1042"],
    modaliases: [
      [pci("1af4", "1001", "010000", "00001AF4", "00000002"), "virtio:d00000002v00001AF4"],
      [pci("1af4", "1042", "010000", "00001AF4", "00001100"), "virtio:d00000002v00001AF4"],
    ],
  },
  "virtio-scsi": {
    model: "virtio-scsi", role: "disk-controller", label: "virtio SCSI controller", pciIds: ["1af4:1004", "1af4:1048"],
    modaliases: [
      [pci("1af4", "1004", "010000", "00001AF4", "00000008"), "virtio:d00000008v00001AF4", SCSI_DISK],
      [pci("1af4", "1048", "010000", "00001AF4", "00001100"), "virtio:d00000008v00001AF4", SCSI_DISK],
    ],
  },
  pvscsi: {
    model: "pvscsi", role: "disk-controller", label: "VMware PVSCSI controller", pciIds: ["15ad:07c0"],
    modaliases: [[pci("15ad", "07c0", "010700", "000015AD", "000007C0"), SCSI_DISK]],
  },
  lsi: {
    model: "lsi", role: "disk-controller", label: "LSI 53C895A SCSI controller", pciIds: ["1000:0012"],
    modaliases: [[pci("1000", "0012", "010000", "00000000", "00000000"), SCSI_DISK]],
  },
  "piix-ide": {
    model: "piix-ide", role: "disk-controller", label: "Intel PIIX3 IDE controller", pciIds: ["8086:7010"],
    modaliases: [[pci("8086", "7010", "010180", "00001AF4", "00001100"), SCSI_DISK]],
  },
  ahci: {
    model: "ahci", role: "disk-controller", label: "Intel ICH9 AHCI (SATA) controller", pciIds: ["8086:2922"],
    modaliases: [[pci("8086", "2922", "010601", "00001AF4", "00001100"), SCSI_DISK]],
  },
  "virtio-net": {
    model: "virtio-net", role: "nic", label: "virtio network device", pciIds: ["1af4:1000", "1af4:1041"],
    modaliases: [
      [pci("1af4", "1000", "020000", "00001AF4", "00000001"), "virtio:d00000001v00001AF4"],
      [pci("1af4", "1041", "020000", "00001AF4", "00001100"), "virtio:d00000001v00001AF4"],
    ],
  },
  vmxnet3: {
    model: "vmxnet3", role: "nic", label: "VMware VMXNET3 NIC", pciIds: ["15ad:07b0"],
    modaliases: [[pci("15ad", "07b0", "020000", "000015AD", "000007B0")]],
  },
  tulip: {
    model: "tulip", role: "nic", label: "DEC 21140 (tulip) NIC", pciIds: ["1011:0009"],
    modaliases: [[pci("1011", "0009", "020000", "00000000", "00000000")]],
  },
  rtl8139: {
    model: "rtl8139", role: "nic", label: "Realtek RTL8139 NIC", pciIds: ["10ec:8139"],
    modaliases: [[pci("10ec", "8139", "020000", "00001AF4", "00001100")]],
  },
  e1000: {
    model: "e1000", role: "nic", label: "Intel 82540EM (e1000) NIC", pciIds: ["8086:100e"],
    modaliases: [[pci("8086", "100e", "020000", "00001AF4", "00001100")]],
  },
  e1000e: {
    model: "e1000e", role: "nic", label: "Intel 82574L (e1000e) NIC", pciIds: ["8086:10d3"],
    modaliases: [[pci("8086", "10d3", "020000", "00001AF4", "00001100")]],
  },
};

/** Target hardware as the plan needs it: which disk controller and NIC the guest will meet. */
export interface TargetHardware {
  family: string;
  firmware: "bios" | "uefi";
  disk: DeviceModel;
  nic: DeviceModel;
}

/** The family's disk controller, as a model of DEVICE_MODELS (virtio-blk, pvscsi, piix-ide...). */
export function diskModelOf(f: HardwareFamily): string {
  const bus = f.disk.bus;
  if (bus === "virtio") return "virtio-blk";
  if (bus === "ide") return "piix-ide";
  if (bus === "sata") return "ahci";
  const c = (f.disk.controller ?? "").toLowerCase();
  if (c === "vmpvscsi" || c === "pvscsi") return "pvscsi";
  if (c === "virtio-scsi") return "virtio-scsi";
  if (c === "lsilogic" || c === "lsi" || c === "lsi53c895a") return "lsi";
  throw new UserError(`hardware family '${f.name}': SCSI controller '${f.disk.controller}' has no entry in adapt's device table (known: pvscsi/vmpvscsi, virtio-scsi, lsilogic)`);
}

function nicModelOf(f: HardwareFamily): string {
  const m = f.nic.model.toLowerCase();
  if (m === "virtio" || m === "virtio-net" || m === "virtio-net-pci") return "virtio-net";
  if (Object.hasOwn(DEVICE_MODELS, m) && DEVICE_MODELS[m]!.role === "nic") return m;
  throw new UserError(`hardware family '${f.name}': NIC model '${f.nic.model}' has no entry in adapt's device table (known: virtio, vmxnet3, tulip, rtl8139, e1000, e1000e)`);
}

/** The target's hardware read from the family's data (the families helper's single source). */
export function targetHardwareOf(f: HardwareFamily): TargetHardware {
  return { family: f.name, firmware: f.firmware, disk: DEVICE_MODELS[diskModelOf(f)]!, nic: DEVICE_MODELS[nicModelOf(f)]! };
}

/**
 * The driver module each NIC model binds (for the name-pinning .link file's Driver= match):
 * QEMU's rtl8139 binds 8139cp first when both are present (lab findings).
 */
export const NIC_DRIVER_NAMES: Record<string, string[]> = {
  "virtio-net": ["virtio_net"],
  vmxnet3: ["vmxnet3"],
  tulip: ["tulip"],
  rtl8139: ["8139cp", "8139too"],
  e1000: ["e1000"],
  e1000e: ["e1000e"],
};

/** Guest tools that belong to one family's hypervisor (Debian package => systemd units). */
export const GUEST_TOOLS: { family: string; pkg: string; units: string[]; note?: string }[] = [
  { family: "vmware", pkg: "open-vm-tools", units: ["open-vm-tools.service", "vgauth.service"] },
  { family: "hyperv", pkg: "hyperv-daemons", units: ["hv-kvp-daemon.service", "hv-vss-daemon.service", "hv-fcopy-daemon.service"] },
  { family: "xen", pkg: "xe-guest-utilities", units: ["xe-linux-distribution.service", "xe-daemon.service"] },
  // The agent unit BindsTo its virtio-serial port: with no channel it never starts, and tiosa
  // itself adds that channel on QEMU-emulated families to tell "no network" from "no boot".
  { family: "kvm", pkg: "qemu-guest-agent", units: ["qemu-guest-agent.service"], note: "starts only where its virtio-serial channel exists (BindsTo the port), so it is harmless elsewhere and tiosa uses it on every QEMU-emulated family" },
];
