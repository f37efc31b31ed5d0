import type { HardwareFamily } from "../hypervisor/families/index.js";
import { BUILTIN_FAMILIES } from "../hypervisor/families/index.js";
import { DISK_FORMATS, diskKindOf, isExchangeKind, type ArtifactKind, type Family } from "./artifacts.js";

/**
 * What each family's hypervisor exports and imports natively, read from its family file
 * (src/hypervisor/families/: `exchange`, or else its disk image format). The hardware each
 * family gives a VM lives there too; here it becomes the family's tools for route discovery.
 */
export interface FamilyFormats {
  family: Family;
  /** What "export" of a stopped VM produces. */
  exports: ArtifactKind;
  /** What the family's importer takes, with a human name for the step. */
  imports: Array<{ kind: ArtifactKind; name: string; id: string }>;
  exportName: string;
  exportId: string;
}

/** A family's exporter and importers; throws naming the family when its `exchange` names an unknown kind. */
export function familyFormats(f: HardwareFamily): FamilyFormats {
  if (f.exchange) {
    const kinds = [f.exchange.export.kind, ...f.exchange.imports.map((i) => i.kind)];
    const bad = kinds.find((k) => !isExchangeKind(k));
    if (bad) throw new Error(`hardware family '${f.name}': exchange kind '${bad}' is not a disk or package kind`);
    return {
      family: f.name, exports: f.exchange.export.kind as ArtifactKind, exportName: f.exchange.export.name, exportId: f.exchange.export.id,
      imports: f.exchange.imports.map((i) => ({ kind: i.kind as ArtifactKind, name: i.name, id: i.id })),
    };
  }
  const kind = diskKindOf(f.disk.format, f.disk.formatOptions);
  if (!kind) throw new Error(`hardware family '${f.name}': disk format '${f.disk.format}' has no disk kind for routes`);
  const label = DISK_FORMATS[kind].label;
  return {
    family: f.name, exports: kind, exportName: `export ${label.toUpperCase()}`, exportId: `export-${label}`,
    imports: [{ kind, name: `import ${label.toUpperCase()}`, id: `import-${label}` }],
  };
}

/** The built-in families' formats by name. */
export const FAMILY_FORMATS: Readonly<Record<Family, FamilyFormats>> = Object.fromEntries(BUILTIN_FAMILIES.map((f) => [f.name, familyFormats(f)]));
