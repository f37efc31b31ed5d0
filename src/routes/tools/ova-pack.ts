import type { ToolSpec } from "../tool.js";

/** src/descriptors/ova-pack.ts: OVF 1.0 descriptor + SHA256 manifest + streamOptimized disks, as ustar. */
export const ovaPackTool: ToolSpec = {
  id: "pack-ova", name: "pack OVA",
  inputs: ["disk:vmdk-streamOptimized"], output: "pkg:ova",
  binaries: ["qemu-img"],
};
