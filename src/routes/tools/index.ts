import type { ToolSpec } from "../tool.js";
import { familyExportTools } from "./family-export.js";
import { familyImportTools } from "./family-import.js";
import { libvirtXmlDisksTool } from "./libvirt-xml-disks.js";
import { ovaPackTool } from "./ova-pack.js";
import { ovaUnpackTool } from "./ova-unpack.js";
import { qemuImgConvertTools } from "./qemu-img-convert.js";
import { virtV2vTools } from "./virt-v2v.js";

/** Every tool route discovery may chain. */
export const ALL_TOOLS: readonly ToolSpec[] = [
  ...familyExportTools, ovaUnpackTool, libvirtXmlDisksTool, ...qemuImgConvertTools, ovaPackTool, ...virtV2vTools, ...familyImportTools,
];
