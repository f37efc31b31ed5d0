import { DISK_FORMATS, DISK_KINDS } from "../artifacts.js";
import type { ToolSpec } from "../tool.js";

/** `qemu-img convert` between every pair of disk kinds. */
export const qemuImgConvertTools: ToolSpec[] = DISK_KINDS.flatMap((from) => DISK_KINDS.filter((to) => to !== from).map((to): ToolSpec => ({
  id: `qemu-img:${DISK_FORMATS[from].label}>${DISK_FORMATS[to].label}`,
  name: `qemu-img ${DISK_FORMATS[from].label}->${DISK_FORMATS[to].label}`,
  inputs: [from],
  output: to,
  binaries: ["qemu-img"],
  isFormatConversion: true,
})));
