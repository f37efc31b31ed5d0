import type { ToolSpec } from "../tool.js";

/** src/descriptors/ova.ts: verified extraction (entries, digests, qemu-img info/check) of an OVA's disks. */
export const ovaUnpackTool: ToolSpec = {
  id: "unpack-ova", name: "unpack OVA",
  inputs: ["pkg:ova"], output: "disk:vmdk-streamOptimized",
  binaries: ["qemu-img"],
};
