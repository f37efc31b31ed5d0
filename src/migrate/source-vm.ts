import { join } from "node:path";
import { UserError } from "../errors.js";
import { parseLibvirtDomainXml, parseXmlTree } from "../descriptors/libvirt-xml.js";
import { BUILTIN_FAMILIES } from "../hypervisor/families/index.js";
import type { HypervisorDriver } from "../hypervisor/driver.js";
import type { VmInventory } from "../inventory/model.js";
import { FAMILIES, isFamily, type Family } from "../routes/artifacts.js";
import type { DiskFile } from "./types.js";

export interface SourceVm {
  /** `virsh dumpxml --inactive`: the definition, not the running state. */
  xml: string;
  inventory: VmInventory;
  /** The VM's disk images on the source host, in the domain's order. */
  disks: DiskFile[];
}

export async function readSourceVm(driver: HypervisorDriver, vm: string, signal?: AbortSignal): Promise<SourceVm> {
  const lv = driver.capabilities.libvirt;
  // The routes export a source as libvirt XML plus its disks (or hand it to virt-v2v -i libvirt).
  if (!lv) throw new UserError(`VM '${vm}' on ${driver.uri}: its driver cannot describe the VM as libvirt XML, which every route's export starts from`);
  const xml = await lv.domainXml(vm, { inactive: true }, signal);
  const inventory = parseLibvirtDomainXml(xml, `${driver.uri} domain '${vm}'`);
  const disks: DiskFile[] = [];
  for (const d of inventory.disks) {
    if (d.device !== "disk") continue;
    if (!d.source) throw new UserError(`VM '${vm}' on ${driver.uri}: disk ${d.target ?? "?"} has no file source (network and block disks are not exported)`);
    disks.push({ path: d.source, format: d.format ?? "raw" });
  }
  if (disks.length === 0) throw new UserError(`VM '${vm}' on ${driver.uri} has no disk to move`);
  return { xml, inventory, disks };
}

/**
 * The hardware family a source VM belongs to: the family tiosa marked it with when it
 * defined it, else the family whose disk bus/controller and NIC model it has.
 */
export function sourceFamilyOf(xml: string, inv: VmInventory): Family | null {
  const tree = parseXmlTree(xml, "source domain");
  const md = (tree["domain"] as Record<string, unknown> | undefined)?.["metadata"] as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(md ?? {})) {
    if (!k.endsWith(":run") || !v || typeof v !== "object") continue;
    const fam = (v as Record<string, unknown>)["@family"];
    if (typeof fam === "string" && isFamily(fam)) return fam;
  }
  const disk = inv.disks.find((d) => d.device === "disk");
  const nic = inv.nics[0];
  for (const f of BUILTIN_FAMILIES) {
    if (!(FAMILIES as readonly string[]).includes(f.name)) continue;
    if (disk?.bus !== f.disk.bus) continue;
    if (f.disk.bus === "scsi" && f.disk.controller && disk.controller && !sameController(disk.controller, f.disk.controller)) continue;
    if (nic && nic.model !== f.nic.model) continue;
    return f.name as Family;
  }
  return null;
}

function sameController(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^vm/, "");
  return norm(a) === norm(b);
}

/**
 * Makes a source disk readable here: a local hypervisor's files are read in place; a
 * remote one's are downloaded through libvirt into `dir` (no shared file system assumed).
 */
export async function localDiskCopy(driver: HypervisorDriver, disk: DiskFile, dir: string, index: number, signal?: AbortSignal): Promise<{ disk: DiskFile; downloaded: boolean }> {
  if (driver.local) return { disk, downloaded: false };
  const remote = driver.capabilities.remoteVolumes;
  if (!remote) throw new UserError(`disk ${disk.path} of ${driver.uri} is on another host and its driver cannot download volumes`);
  const dst = join(dir, `source-disk${index}.${disk.format}`);
  await remote.download(disk.path, dst, signal);
  return { disk: { path: dst, format: disk.format }, downloaded: true };
}
