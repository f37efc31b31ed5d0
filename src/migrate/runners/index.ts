import { UserError } from "../../errors.js";
import { FAMILY_FORMATS } from "../../routes/families.js";
import type { ToolSpec } from "../../routes/tool.js";
import type { StepRunner } from "../types.js";
import { runAdapt } from "./adapt.js";
import { runExport } from "./export.js";
import { runImport } from "./import.js";
import { runPackOva, runUnpackOva } from "./ova.js";
import { runQemuImgConvert } from "./qemu-img.js";
import { runTakeDisks } from "./take-disks.js";
import { runVirtV2v } from "./virt-v2v.js";

const EXPORT_IDS = new Set(Object.values(FAMILY_FORMATS).map((f) => f.exportId));
const IMPORT_IDS = new Set(Object.values(FAMILY_FORMATS).flatMap((f) => f.imports.map((i) => i.id)));

/** The runner of a ToolSpec (src/routes/tools/): one per tool kind. */
export function runnerFor(tool: ToolSpec): StepRunner {
  if (EXPORT_IDS.has(tool.id)) return runExport;
  if (IMPORT_IDS.has(tool.id)) return runImport;
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
