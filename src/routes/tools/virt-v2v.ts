import { DISK_KINDS } from "../artifacts.js";
import type { ToolSpec } from "../tool.js";

/**
 * virt-v2v converts a guest toward KVM only (virtio drivers, initramfs, bootloader), as
 * in reality. Inputs: -i disk (any image), -i libvirtxml, -i ova; outputs: -o local
 * (libvirt XML + qcow2 in a directory) or -o libvirt (a defined domain).
 */
const common = { binaries: ["virt-v2v", "nbdkit", "nbdinfo"], onlyToward: ["kvm"] as const, transformsGuest: true, slow: true };

export const virtV2vTools: ToolSpec[] = [
  { id: "v2v:disk>local", name: "virt-v2v -i disk -o local", inputs: [...DISK_KINDS], output: "pkg:libvirt-xml", ...common },
  { id: "v2v:disk>libvirt", name: "virt-v2v -i disk -o libvirt", inputs: [...DISK_KINDS], output: "vm:kvm", ...common },
  { id: "v2v:libvirtxml>local", name: "virt-v2v -i libvirtxml -o local", inputs: ["pkg:libvirt-xml"], output: "pkg:libvirt-xml", ...common },
  { id: "v2v:libvirtxml>libvirt", name: "virt-v2v -i libvirtxml -o libvirt", inputs: ["pkg:libvirt-xml"], output: "vm:kvm", ...common },
  { id: "v2v:ova>local", name: "virt-v2v -i ova -o local", inputs: ["pkg:ova"], output: "pkg:libvirt-xml", ...common },
  { id: "v2v:ova>libvirt", name: "virt-v2v -i ova -o libvirt", inputs: ["pkg:ova"], output: "vm:kvm", ...common },
];
