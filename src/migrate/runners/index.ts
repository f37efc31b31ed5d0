import { UserError } from "../../errors.js";
import { knownFamilies } from "../../hypervisor/families/index.js";
import { familyFormats } from "../../routes/families.js";
import type { ToolSpec } from "../../routes/tool.js";
import type { StepRunner } from "../types.js";
import { runAdapt } from "./adapt.js";
import { runExport } from "./export.js";
import { runImport } from "./import.js";
import { runPackOva, runUnpackOva } from "./ova.js";
import { runQemuImgConvert } from "./qemu-img.js";
import { runTakeDisks } from "./take-disks.js";
import { runVirtV2v } from "./virt-v2v.js";

/** The runner of a ToolSpec (src/routes/tools/): one per tool kind. */
export function runnerFor(tool: ToolSpec): StepRunner {
  // Every family's exporter and importers, family files' included, share two runners.
  const formats = knownFamilies().map(familyFormats);
  if (formats.some((f) => f.exportId === tool.id)) return runExport;
  if (formats.some((f) => f.imports.some((i) => i.id === tool.id))) return runImport;
  if (tool.id.startsWith("qemu-img:")) return runQemuImgConvert;
  if (tool.id.startsWith("v2v:")) return runVirtV2v;
  switch (tool.id) {
    case "pack-ova": return runPackOva;
    case "unpack-ova": return runUnpackOva;
    case "take-disks": return runTakeDisks;
    // The adapt route (src/routes/adapt.ts): prepare + transfer, then the family's importer.
    case "adapt": return runAdapt;
    case "adapt-define": return runImport;
  }
  throw new UserError(`tool ${tool.id} (${tool.name}) has no runner in this version of tiosa`);
}
