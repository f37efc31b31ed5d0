import { z } from "zod";

/**
 * The inventory model (paper, Sequence 1): what a hypervisor or a descriptor file says
 * about a VM's virtual hardware. Every source -- a libvirt URI, libvirt domain XML,
 * OVF, OVA, VMX -- is parsed into this one shape so that routes, readiness checks and
 * reports never care where it came from.
 */

export const DiskInventory = z.object({
  /** Guest-visible target name where known (vda, sda, hda, scsi0:0). */
  target: z.string().nullable(),
  /** virtio, scsi, ide, sata, nvme, usb, fdc, xen... */
  bus: z.string().nullable(),
  device: z.enum(["disk", "cdrom", "floppy", "lun"]).default("disk"),
  /** Controller model behind the bus where known (pvscsi, lsilogic, virtio-scsi, piix3...). */
  controller: z.string().nullable().default(null),
  /** Image format: qcow2, raw, vmdk, vpc, vhdx, vdi... */
  format: z.string().nullable(),
  capacityBytes: z.number().nonnegative().nullable(),
  allocationBytes: z.number().nonnegative().nullable().default(null),
  /** File path or href as the source names it (never opened by the parsers). */
  source: z.string().nullable(),
});
export type DiskInventory = z.infer<typeof DiskInventory>;

export const NicInventory = z.object({
  /** virtio, e1000, e1000e, vmxnet3, rtl8139, tulip, pcnet, netfront... */
  model: z.string().nullable(),
  /** Network or bridge name as the source names it. */
  network: z.string().nullable(),
  mac: z.string().nullable().default(null),
  /** nwfilter (libvirt) or other hypervisor firewall policy bound to this NIC. */
  filter: z.string().nullable().default(null),
});
export type NicInventory = z.infer<typeof NicInventory>;

export const VmInventory = z.object({
  name: z.string(),
  uuid: z.string().nullable().default(null),
  /** Where this came from: libvirt, libvirt-xml, ovf, ova, vmx. */
  origin: z.string(),
  /** Domain/hypervisor type as the source says it (kvm, qemu, vmware, xen, hyperv, vbox...). */
  hypervisorType: z.string().nullable().default(null),
  state: z.string().nullable().default(null),
  memoryBytes: z.number().nonnegative().nullable(),
  cpu: z.object({
    count: z.number().int().nonnegative().nullable(),
    model: z.string().nullable().default(null),
    sockets: z.number().int().nullable().default(null),
    cores: z.number().int().nullable().default(null),
    threads: z.number().int().nullable().default(null),
  }),
  firmware: z.enum(["bios", "uefi"]).nullable().default(null),
  machine: z.string().nullable().default(null),
  osType: z.string().nullable().default(null),
  disks: z.array(DiskInventory),
  nics: z.array(NicInventory),
  graphics: z.array(z.string()).default([]),
  /**
   * What makes a VM hard to move as it is (the readiness checks of `tiosa assess`, after
   * Forklift's validation rules): read from the descriptor or the hypervisor where it says so.
   */
  features: z.object({
    /** UEFI Secure Boot on; null where the source does not say. */
    secureBoot: z.boolean().nullable().default(null),
    /** A virtual TPM: its model ("tpm-crb", "vtpm"), null when none. */
    tpm: z.string().nullable().default(null),
    /** Snapshots, by name or id, or the evidence of one (a disk that is a snapshot's delta). */
    snapshots: z.array(z.string()).default([]),
    /** Host devices passed through ("pci 0000:06:12.5", "usb 0x1234:0x5678", "scsi-passthru scsi0:1"). */
    passthrough: z.array(z.string()).default([]),
    /** Disks shared with other VMs (libvirt <shareable/>, VMware multi-writer or a shared SCSI bus). */
    sharedDisks: z.array(z.string()).default([]),
  }).prefault({}),
  /** I/O counters (libvirt domblkstat / domifstat), when the VM is running. */
  io: z.object({
    block: z.array(z.object({ target: z.string(), readBytes: z.number(), writeBytes: z.number(), readRequests: z.number(), writeRequests: z.number() })),
    interfaces: z.array(z.object({ target: z.string(), rxBytes: z.number(), txBytes: z.number(), rxPackets: z.number(), txPackets: z.number() })),
  }).nullable().default(null),
  /** Things the parser noticed but could not map (unknown device types, deployment options...). */
  notes: z.array(z.string()).default([]),
});
export type VmInventory = z.infer<typeof VmInventory>;

export const HypervisorInventory = z.object({
  /** The URI or file that was inspected. */
  target: z.string(),
  hypervisor: z.object({
    type: z.string().nullable(),
    vendor: z.string().nullable(),
    version: z.string().nullable(),
    /** Accelerator actually usable for guests here (kvm or tcg), where known. */
    accel: z.string().nullable().default(null),
    hostname: z.string().nullable().default(null),
  }),
  vmCount: z.number().int().nonnegative(),
  vms: z.array(VmInventory),
});
export type HypervisorInventory = z.infer<typeof HypervisorInventory>;
