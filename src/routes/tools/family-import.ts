import { FAMILIES } from "../artifacts.js";
import { FAMILY_FORMATS } from "../families.js";
import type { ToolSpec } from "../tool.js";

/** Each family's importer: defines a VM with the family's hardware from the package's hardware description. */
export const familyImportTools: ToolSpec[] = FAMILIES.flatMap((f) => FAMILY_FORMATS[f].imports.map((imp): ToolSpec => ({
  id: imp.id,
  name: imp.name,
  inputs: [imp.kind],
  output: `vm:${f}`,
  binaries: ["virsh"],
  onlyToward: [f],
})));
