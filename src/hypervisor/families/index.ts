import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError, errorMessage } from "../../errors.js";
import { readTextFile, describeIssues } from "../../util/json-file.js";
import { HardwareFamily } from "./family.js";
import { kvm } from "./kvm.js";
import { vmware } from "./vmware.js";
import { hyperv } from "./hyperv.js";
import { xen } from "./xen.js";

export { HardwareFamily } from "./family.js";

/**
 * The four families of the paper, in its order: the one list of built-in families. A new
 * family is a file beside these plus a line here; route discovery (src/routes/families.ts)
 * gives it an exporter and importers from its `exchange` (or its disk format).
 */
export const BUILTIN_FAMILIES: readonly HardwareFamily[] = [kvm, vmware, hyperv, xen].map((f) => HardwareFamily.parse(f));

const userFamilies = new Map<string, HardwareFamily>();

/** Loads a user's family (JSON or YAML of the HardwareFamily shape) and makes its name usable. */
export async function loadFamilyFile(path: string): Promise<HardwareFamily> {
  const text = await readTextFile(path, "hardware family file", 1024 * 1024);
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(extname(path)) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`hardware family file '${path}': not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"} (${errorMessage(e)})`);
  }
  const r = HardwareFamily.safeParse(data);
  if (!r.success) throw new UserError(`hardware family file '${path}': ${describeIssues(r.error)}`);
  if (BUILTIN_FAMILIES.some((f) => f.name === r.data.name)) {
    throw new UserError(`hardware family file '${path}': name '${r.data.name}' is a built-in family; choose another name`);
  }
  userFamilies.set(r.data.name, r.data);
  return r.data;
}

/** Every family this process knows: the built-in ones, then those loaded from family files. */
export function knownFamilies(): HardwareFamily[] {
  return [...BUILTIN_FAMILIES, ...userFamilies.values()];
}

export function familyNames(): string[] {
  return [...BUILTIN_FAMILIES.map((f) => f.name), ...userFamilies.keys()];
}

export function getFamily(name: string): HardwareFamily {
  const f = BUILTIN_FAMILIES.find((x) => x.name === name) ?? userFamilies.get(name);
  if (!f) throw new UserError(`hardware family '${name}' is unknown (known: ${familyNames().join(", ")}; add one with a family file)`);
  return f;
}
