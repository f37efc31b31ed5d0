import type { FamilyFormats } from "../families.js";
import type { ToolSpec } from "../tool.js";

/** Each family's own exporter of a stopped VM (virsh dumpxml + disk copy, ovftool-style OVA...). */
export function familyExportTools(families: readonly FamilyFormats[]): ToolSpec[] {
  return families.map((f) => ({
    id: f.exportId,
    name: f.exportName,
    inputs: [`vm:${f.family}` as const],
    output: f.exports,
    binaries: ["virsh"],
    onlyFrom: [f.family],
  }));
}
