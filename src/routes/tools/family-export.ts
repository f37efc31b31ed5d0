import { FAMILIES } from "../artifacts.js";
import { FAMILY_FORMATS } from "../families.js";
import type { ToolSpec } from "../tool.js";

/** Each family's own exporter of a stopped VM (virsh dumpxml + disk copy, ovftool-style OVA...). */
export const familyExportTools: ToolSpec[] = FAMILIES.map((f) => ({
  id: FAMILY_FORMATS[f].exportId,
  name: FAMILY_FORMATS[f].exportName,
  inputs: [`vm:${f}` as const],
  output: FAMILY_FORMATS[f].exports,
  binaries: ["virsh"],
  onlyFrom: [f],
}));
