import type { ToolSpec } from "../tool.js";

/** Takes the qcow2 disks out of a libvirt XML package (the XML's hardware is carried as the route's description). */
export const libvirtXmlDisksTool: ToolSpec = {
  id: "take-disks", name: "take disks from libvirt XML",
  inputs: ["pkg:libvirt-xml"], output: "disk:qcow2",
  binaries: [],
};
