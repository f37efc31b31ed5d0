import type { FamilyFormats } from "../families.js";
import type { ToolSpec } from "../tool.js";

/** Each family's importer: defines a VM with the family's hardware from the package's hardware description. */
export function familyImportTools(families: readonly FamilyFormats[]): ToolSpec[] {
  return families.flatMap((f) => f.imports.map((imp): ToolSpec => ({
    id: imp.id,
    name: imp.name,
    inputs: [imp.kind],
    output: `vm:${f.family}`,
    binaries: ["virsh"],
    onlyToward: [f.family],
  })));
}
