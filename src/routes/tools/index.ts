import { BUILTIN_FAMILIES, type HardwareFamily } from "../../hypervisor/families/index.js";
import { familyFormats } from "../families.js";
import type { ToolSpec } from "../tool.js";
import { familyExportTools } from "./family-export.js";
import { familyImportTools } from "./family-import.js";
import { libvirtXmlDisksTool } from "./libvirt-xml-disks.js";
import { ovaPackTool } from "./ova-pack.js";
import { ovaUnpackTool } from "./ova-unpack.js";
import { qemuImgConvertTools } from "./qemu-img-convert.js";
import { virtV2vTools } from "./virt-v2v.js";

/**
 * The tools route discovery may chain between `families`: each family's exporter and
 * importers (from its family file) around the family-independent tools. The one list of
 * tools; whole-method routes (adapt) are listed in src/routes/discover.ts.
 */
export function toolsFor(families: readonly HardwareFamily[]): ToolSpec[] {
  const formats = families.map(familyFormats);
  return [
    ...familyExportTools(formats), ovaUnpackTool, libvirtXmlDisksTool, ...qemuImgConvertTools, ovaPackTool, ...virtV2vTools, ...familyImportTools(formats),
  ];
}

/** Every tool route discovery may chain between the built-in families. */
export const ALL_TOOLS: readonly ToolSpec[] = toolsFor(BUILTIN_FAMILIES);
