import { UserError } from "../errors.js";
import { VmInventory, type DiskInventory, type NicInventory } from "../inventory/model.js";
import { attr, child, children, decodeDescriptorText, parseXml, rootName, text, type XNode } from "./xml-text.js";
import { byteUnitMultiplier, parseNumber } from "./units.js";
import { CPU_TOPOLOGY, DISK_BYTES, MEMORY_BYTES, VCPU_COUNT, checkNumber, readBytes, readCount, readNumeral, shownValue } from "./limits.js";

/**
 * OVF reader (DMTF DSP0243 1.x and 2.0, plus the oVirt/RHV dialect).
 * Element and attribute prefixes are dropped before we look at anything, so `ovf:Item`,
 * `Item` and a file with no namespace at all read the same; the namespace URIs are only
 * used to tell the version apart.
 */

interface OvfFileRef {
  id: string;
  href: string;
  /** ovf:size in bytes, when the descriptor states it. */
  size: number | null;
  compression: string | null;
  chunkSize: number | null;
}

interface OvfDiskRef {
  diskId: string;
  fileRef: string | null;
  capacityBytes: number | null;
  populatedBytes: number | null;
  /** qemu-img format name (vmdk, vpc, qcow2, raw...), null when the URI is unknown. */
  format: string | null;
  /** vmdk subformat: streamOptimized, monolithicSparse. */
  variant: string | null;
  formatUri: string | null;
  /** oVirt only: the disk's bus (ovf:disk-interface VirtIO, VirtIO_SCSI, IDE, SATA). */
  diskInterface: string | null;
}

export interface OvfDocument {
  /** "1.x", "2.0" or "ovirt" (oVirt/RHV export domain dialect, ovf:version 0.9 / 3.x). */
  dialect: "1.x" | "2.0" | "ovirt";
  files: OvfFileRef[];
  disks: OvfDiskRef[];
  networks: string[];
  vms: VmInventory[];
  /** Envelope-level observations (encoding quirks, deployment options...). */
  notes: string[];
}

const FORMAT_URIS: Array<[RegExp, string, string | null]> = [
  [/vmdk\.html#streamoptimized/i, "vmdk", "streamOptimized"],
  [/vmdk\.html#compressed/i, "vmdk", "streamOptimized"],
  [/vmdk\.html#sparse/i, "vmdk", "monolithicSparse"],
  [/vmdk\.html#monolithicsparse/i, "vmdk", "monolithicSparse"],
  [/vmdk\.html/i, "vmdk", null],
  [/vhdspec|\/vhd|virtualserver\/downloads/i, "vpc", null],
  [/vhdx/i, "vhdx", null],
  [/qcow/i, "qcow2", null],
  [/virtualbox.*vdi|#vdi/i, "vdi", null],
  [/ecma-119|iso9660/i, "iso", null],
  [/wikipedia\.org\/wiki\/byte|#raw/i, "raw", null],
];

function ovfFormatFromUri(uri: string | null): { format: string | null; variant: string | null } {
  if (!uri) return { format: null, variant: null };
  for (const [re, format, variant] of FORMAT_URIS) if (re.test(uri)) return { format, variant };
  return { format: null, variant: null };
}

/** Reads an OVF descriptor's bytes. `origin` names the file in every message. */
export function parseOvf(bytes: Buffer | string, origin: string): OvfDocument {
  const { text: xml, quirks } = typeof bytes === "string" ? { text: bytes, quirks: [] as string[] } : decodeDescriptorText(bytes);
  const tree = parseXml(xml, origin);
  const root = rootName(tree);
  if (root !== "Envelope") throw new UserError(`${origin}: not an OVF descriptor (root element is <${root ?? "nothing"}>, expected <Envelope>)`);
  const env = child(tree, "Envelope")!;
  const notes = [...quirks];
  const envTag = /<([A-Za-z_][\w.-]*:)?Envelope\b[^>]*>/.exec(xml)?.[0] ?? "";
  const defaultNs = /\sxmlns\s*=\s*["']([^"']*)["']/.exec(envTag)?.[1] ?? null;
  const ovfNs = /\sxmlns:ovf\s*=\s*["']([^"']*)["']/.exec(envTag)?.[1] ?? null;
  const rootPrefix = /<([A-Za-z_][\w.-]*):Envelope/.exec(envTag)?.[1] ?? null;
  if (defaultNs === null && rootPrefix === null) notes.push("no default namespace on <Envelope> (elements are unqualified); read anyway");
  const ns = (rootPrefix === "ovf" ? ovfNs : defaultNs) ?? ovfNs ?? "";

  const isOvirt = sections(env, "DiskSection").length === 0 && children(env, "Section").length > 0
    || children(env, "Content").length > 0;
  const dialect: OvfDocument["dialect"] = isOvirt ? "ovirt" : /envelope\/2/.test(ns) ? "2.0" : "1.x";
  if (ns && !/schemas\.dmtf\.org\/ovf\/envelope\/[12]/.test(ns)) notes.push(`unexpected OVF namespace ${ns}; read as OVF 1.x`);

  const files: OvfFileRef[] = [];
  for (const f of children(child(env, "References"), "File")) {
    const id = attr(f, "id"), href = attr(f, "href");
    if (!id || !href) { notes.push(`References: a File without id or href ignored`); continue; }
    files.push({
      id, href,
      size: readBytes(attr(f, "size"), 1, null, DISK_BYTES, { origin, field: `References File ${id} ovf:size` }, "absent"),
      compression: attr(f, "compression"),
      chunkSize: readBytes(attr(f, "chunkSize"), 1, null, DISK_BYTES, { origin, field: `References File ${id} ovf:chunkSize` }, "absent"),
    });
  }

  const disks: OvfDiskRef[] = [];
  for (const sec of sections(env, "DiskSection")) {
    for (const d of children(sec, "Disk")) {
      const diskId = attr(d, "diskId");
      if (!diskId) { notes.push("DiskSection: a Disk without ovf:diskId ignored"); continue; }
      const formatUri = attr(d, "format");
      let { format, variant } = ovfFormatFromUri(formatUri);
      let capacityBytes: number | null = null;
      const capRaw = attr(d, "capacity");
      if (isOvirt) {
        // oVirt: ovf:size is GiB, ovf:capacity (virt-v2v) bytes; volume-format says RAW or COW.
        const vf = attr(d, "volume-format")?.toUpperCase();
        if (vf === "RAW") { format = "raw"; variant = null; }
        else if (vf === "COW") { format = "qcow2"; variant = null; }
        const cap = readBytes(capRaw, 1, null, DISK_BYTES, { origin, field: `disk ${diskId} ovf:capacity` }, "absent");
        const sizeGiB = readBytes(attr(d, "size"), 2 ** 30, "GiB", DISK_BYTES, { origin, field: `disk ${diskId} ovf:size` }, "absent");
        capacityBytes = cap ?? sizeGiB;
      } else {
        const unitsRaw = attr(d, "capacityAllocationUnits");
        const mult = unitsRaw === null ? 1 : byteUnitMultiplier(unitsRaw);
        if (readNumeral(capRaw) === null && capRaw !== null) notes.push(`disk ${diskId}: capacity "${capRaw}" is not a number (a property reference?); capacity unknown`);
        if (mult === null) notes.push(`disk ${diskId}: unknown capacity unit "${unitsRaw}"; capacity unknown`);
        capacityBytes = mult === null ? null : readBytes(capRaw, mult, unitsRaw === null ? null : `× ${shownValue(unitsRaw)}`, DISK_BYTES,
          { origin, field: `disk ${diskId} ovf:capacity${unitsRaw === null ? "" : " × ovf:capacityAllocationUnits"}` }, "absent");
      }
      if (formatUri && format === null) notes.push(`disk ${diskId}: unknown format URI ${formatUri}`);
      disks.push({
        diskId, fileRef: attr(d, "fileRef"), capacityBytes,
        populatedBytes: readBytes(attr(d, "populatedSize"), 1, null, DISK_BYTES, { origin, field: `disk ${diskId} ovf:populatedSize` }, "absent"),
        format, variant, formatUri, diskInterface: attr(d, "disk-interface"),
      });
    }
  }

  const networks: string[] = [];
  for (const sec of sections(env, "NetworkSection")) {
    for (const n of children(sec, "Network")) { const name = attr(n, "name"); if (name) networks.push(name); }
  }

  // Deployment options: the default configuration is what an importer picks without asking.
  let configuration: string | null = null;
  const configs = sections(env, "DeploymentOptionSection").flatMap((s) => children(s, "Configuration"));
  if (configs.length > 0) {
    const def = configs.find((c) => attr(c, "default")?.toLowerCase() === "true") ?? configs[0]!;
    configuration = attr(def, "id");
    const others = configs.map((c) => attr(c, "id")).filter((id) => id && id !== configuration);
    notes.push(`deployment options: using ${configuration}${attr(def, "default") ? " (the default)" : " (the first; none marked default)"}; others: ${others.join(", ") || "none"}`);
  }

  const systems = isOvirt ? ovirtSystems(env) : virtualSystems(env);
  if (systems.length === 0) throw new UserError(`${origin}: OVF descriptor has no VirtualSystem`);
  const ctx: Ctx = { origin, dialect, disks, files, configuration, envNotes: notes };
  const vms = systems.map((vs) => isOvirt ? readOvirtSystem(vs, ctx) : readVirtualSystem(vs, ctx));
  return { dialect, files, disks, networks, vms, notes };
}

interface Ctx {
  origin: string;
  dialect: OvfDocument["dialect"];
  disks: OvfDiskRef[];
  files: OvfFileRef[];
  configuration: string | null;
  envNotes: string[];
}

/** A section either by its element name or (oVirt) as `<Section xsi:type="ovf:NameSection_Type">`. */
function sections(n: XNode, name: string): XNode[] {
  const typed = children(n, "Section").filter((s) => (attr(s, "type") ?? "").replace(/^.*:/, "") === `${name}_Type`);
  return [...children(n, name), ...typed];
}

function virtualSystems(n: XNode): XNode[] {
  const out: XNode[] = [...children(n, "VirtualSystem")];
  for (const c of children(n, "VirtualSystemCollection")) out.push(...virtualSystems(c));
  return out;
}

function ovirtSystems(env: XNode): XNode[] {
  return children(env, "Content").filter((c) => /VirtualSystem_Type$/.test(attr(c, "type") ?? "VirtualSystem_Type"));
}

/** A virtual hardware item with its fields flattened, whatever its element name (Item, StorageItem, EthernetPortItem). */
interface HwItem {
  instanceId: string;
  resourceType: number | null;
  subType: string | null;
  elementName: string | null;
  virtualQuantity: string | null;
  allocationUnits: string | null;
  hostResource: string | null;
  parent: string | null;
  address: string | null;
  addressOnParent: string | null;
  connection: string | null;
  configuration: string | null;
  raw: XNode;
}

function hwItems(vhs: XNode): XNode[] {
  return [...children(vhs, "Item"), ...children(vhs, "StorageItem"), ...children(vhs, "EthernetPortItem")];
}

function toHwItem(it: XNode): HwItem {
  const t = (k: string) => text(it, k);
  return {
    instanceId: t("InstanceID") ?? t("InstanceId") ?? "",
    resourceType: parseNumber(t("ResourceType")),
    subType: t("ResourceSubType"),
    elementName: t("ElementName") ?? t("Caption"),
    virtualQuantity: t("VirtualQuantity"),
    allocationUnits: t("AllocationUnits"),
    hostResource: t("HostResource"),
    parent: t("Parent"),
    address: t("Address"),
    addressOnParent: t("AddressOnParent"),
    connection: t("Connection"),
    configuration: attr(it, "configuration"),
    raw: it,
  };
}

/** Items in force for the selected configuration: a configured item replaces the unconfigured one with the same InstanceID. */
function selectItems(vhs: XNode, configuration: string | null): HwItem[] {
  const all = hwItems(vhs).map(toHwItem);
  const chosen = new Map<string, HwItem>();
  const order: HwItem[] = [];
  let anon = 0;
  for (const it of all) {
    if (it.configuration !== null) {
      const ids = it.configuration.split(/\s+/).filter(Boolean);
      if (configuration === null || !ids.includes(configuration)) continue;
    }
    const key = it.instanceId || `#anon${anon++}`;
    const prev = chosen.get(key);
    if (prev && prev.configuration !== null && it.configuration === null) continue;
    if (prev) order.splice(order.indexOf(prev), 1, it); else order.push(it);
    chosen.set(key, it);
  }
  return order;
}

const RT = { OTHER: 1, CPU: 3, MEMORY: 4, IDE: 5, SCSI: 6, NIC: 10, FLOPPY: 14, CD: 15, DVD: 16, DISK: 17, STORAGE_EXTENT: 19, OTHER_STORAGE: 20, SERIAL: 21, PARALLEL: 22, USB: 23, VIDEO: 24, SOUND: 35 } as const;

const IGNORED_NAMES: Record<number, string> = {
  0: "other device", 1: "other device", 14: "floppy drive", 21: "serial port", 22: "parallel port", 23: "USB controller",
  24: "video card", 35: "sound card", 13: "keyboard", 12: "mouse", 25: "graphics controller",
};

function firstToken(s: string | null): { first: string | null; alternatives: string[] } {
  if (!s) return { first: null, alternatives: [] };
  const toks = s.split(/\s+/).filter(Boolean);
  return { first: toks[0] ?? null, alternatives: toks.slice(1) };
}

/** Controller model from ResourceType + ResourceSubType, in the words libvirt uses where one exists. */
function controllerOf(rt: number, subType: string | null): { bus: string; controller: string | null } {
  const s = (subType ?? "").toLowerCase();
  if (s.includes("nvme")) return { bus: "nvme", controller: "nvme" };
  if (rt === RT.IDE) return { bus: "ide", controller: s ? s : "ide" };
  if (rt === RT.SCSI) {
    const map: Record<string, string> = { virtualscsi: "pvscsi", pvscsi: "pvscsi", lsilogic: "lsilogic", lsilogicsas: "lsisas1068", buslogic: "buslogic", virtio: "virtio-scsi", "virtio-scsi": "virtio-scsi" };
    return { bus: "scsi", controller: s ? map[s] ?? s : null };
  }
  if (s.includes("ahci") || s.includes("sata") || rt === RT.OTHER_STORAGE) return { bus: "sata", controller: "ahci" };
  return { bus: "other", controller: s || null };
}

const NIC_MODELS: Record<string, string> = {
  e1000: "e1000", e1000e: "e1000e", vmxnet3: "vmxnet3", vmxnet2: "vmxnet2", vmxnet: "vmxnet", pcnet32: "pcnet", pcnet: "pcnet",
  vlance: "pcnet", virtio: "virtio", rtl8139: "rtl8139", "virtio-net": "virtio", netfront: "netfront", "am79c970a": "pcnet",
  "am79c973": "pcnet", "82540em": "e1000", "82543gc": "e1000", "82545em": "e1000",
};

function normaliseNicModel(s: string | null): string | null {
  if (!s) return null;
  const k = s.toLowerCase();
  return NIC_MODELS[k] ?? k;
}

function hypervisorTypeOf(systemType: string | null): string | null {
  if (!systemType) return null;
  const s = systemType.toLowerCase();
  if (/\bvmx-\d+/.test(s)) return "vmware";
  if (s.startsWith("virtualbox")) return "vbox";
  if (s.startsWith("xen")) return "xen";
  if (s.includes("kvm") || s.includes("qemu")) return "kvm";
  if (s.includes("hyper-v") || s.includes("hyperv")) return "hyperv";
  return s.split(/\s+/)[0] ?? null;
}

function diskByHostResource(hr: string, ctx: Ctx): { disk: OvfDiskRef | null; file: OvfFileRef | null } {
  const m = /^(?:ovf:)?\/*(disk|file)\/(.+)$/.exec(hr.trim());
  if (!m) {
    // oVirt names the file path; match on the disk's fileRef or id.
    const disk = ctx.disks.find((d) => d.fileRef === hr || d.diskId === hr) ?? null;
    return { disk, file: null };
  }
  if (m[1] === "disk") return { disk: ctx.disks.find((d) => d.diskId === m[2]) ?? null, file: null };
  return { disk: null, file: ctx.files.find((f) => f.id === m[2]) ?? null };
}

function readVirtualSystem(vs: XNode, ctx: Ctx): VmInventory {
  const id = attr(vs, "id");
  const notes: string[] = [...ctx.envNotes];
  const vhsList = sections(vs, "VirtualHardwareSection");
  if (vhsList.length > 1) notes.push(`${vhsList.length} VirtualHardwareSections; read the first (${text(child(vhsList[0], "System"), "VirtualSystemType") ?? "no type"})`);
  const vhs = vhsList[0];
  if (!vhs) throw new UserError(`${ctx.origin}: VirtualSystem ${id ?? "(no id)"} has no VirtualHardwareSection`);
  const system = child(vhs, "System");
  const systemType = text(system, "VirtualSystemType");
  const name = text(vs, "Name") ?? id ?? text(system, "VirtualSystemIdentifier") ?? text(system, "ElementName") ?? "unnamed";

  const items = selectItems(vhs, ctx.configuration);
  const byId = new Map(items.map((i) => [i.instanceId, i] as const));
  let cpuCount: number | null = null, cores: number | null = null, memoryBytes: number | null = null;
  const disks: DiskInventory[] = [];
  const nics: NicInventory[] = [];
  const ignored = new Map<string, number>();

  for (const it of items) {
    const rt = it.resourceType;
    if (rt === RT.CPU) {
      cpuCount = readCount(it.virtualQuantity, VCPU_COUNT, { origin: ctx.origin, field: `${name}: CPU VirtualQuantity (Item ${it.instanceId})` }, "absent");
      if (cpuCount === null && it.virtualQuantity !== null) notes.push(`${name}: CPU count "${it.virtualQuantity}" is not a number (a property reference?); CPU count unknown`);
      const cps = readCount(text(it.raw, "CoresPerSocket"), CPU_TOPOLOGY, { origin: ctx.origin, field: `${name}: CoresPerSocket (Item ${it.instanceId})` }, "absent");
      if (cps !== null) cores = cps;
    } else if (rt === RT.MEMORY) {
      let mult = byteUnitMultiplier(it.allocationUnits);
      if (it.allocationUnits === null) { mult = 2 ** 20; notes.push(`${name}: memory item has no AllocationUnits; read as MiB`); }
      if (mult === null) notes.push(`${name}: unknown memory unit "${it.allocationUnits}"`);
      memoryBytes = mult === null ? null : readBytes(it.virtualQuantity, mult, `× ${shownValue(it.allocationUnits ?? "MiB")}`, MEMORY_BYTES,
        { origin: ctx.origin, field: `${name}: memory VirtualQuantity × AllocationUnits (Item ${it.instanceId})` }, "absent");
      if (memoryBytes === null && it.virtualQuantity !== null && mult !== null) notes.push(`${name}: memory "${it.virtualQuantity}" is not a number (a property reference?); memory unknown`);
    } else if (rt === RT.DISK || rt === RT.STORAGE_EXTENT || rt === RT.CD || rt === RT.DVD || rt === RT.FLOPPY) {
      const device: DiskInventory["device"] = rt === RT.CD || rt === RT.DVD ? "cdrom" : rt === RT.FLOPPY ? "floppy" : "disk";
      if (device === "floppy" && !it.hostResource) { bump(ignored, "floppy drive"); continue; }
      const { disk, file } = it.hostResource ? diskByHostResource(it.hostResource, ctx) : { disk: null, file: null };
      if (device === "disk" && it.hostResource && !disk && !file) notes.push(`${name}: disk item ${it.instanceId} names ${it.hostResource}, which is not in the DiskSection`);
      if (rt === RT.STORAGE_EXTENT && !disk) { bump(ignored, "storage extent"); continue; }
      const parent = it.parent ? byId.get(it.parent) : undefined;
      let bus: string | null = null, controller: string | null = null, target: string | null = null;
      if (parent && parent.resourceType !== null) {
        ({ bus, controller } = controllerOf(parent.resourceType, firstToken(parent.subType).first));
        target = `${bus}${parent.address ?? "?"}:${it.addressOnParent ?? "?"}`;
      } else if (it.parent) notes.push(`${name}: ${device} item ${it.instanceId} names controller ${it.parent}, which is not in the hardware section`);
      const fileRef = disk?.fileRef ? ctx.files.find((f) => f.id === disk.fileRef) : file;
      disks.push({
        target, bus, device, controller,
        format: disk?.format ?? (file ? (/\.iso$/i.test(file.href) ? "iso" : null) : null),
        capacityBytes: disk?.capacityBytes ?? null,
        allocationBytes: disk?.populatedBytes ?? null,
        source: fileRef?.href ?? null,
      });
      if (disk?.variant) notes.push(`${name}: ${target ?? disk.diskId} is vmdk ${disk.variant}`);
    } else if (rt === RT.NIC) {
      const { first, alternatives } = firstToken(it.subType);
      if (alternatives.length) notes.push(`${name}: NIC ${it.elementName ?? it.instanceId} offers models ${it.subType}; took ${first}`);
      const mac = it.address && /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(it.address) ? it.address.toLowerCase().replace(/-/g, ":") : null;
      nics.push({ model: normaliseNicModel(first), network: it.connection, mac, filter: null });
    } else if (rt === RT.IDE || rt === RT.SCSI || rt === RT.OTHER_STORAGE) {
      // Controllers are read through the devices that hang on them.
      const { first, alternatives } = firstToken(it.subType);
      if (alternatives.length) notes.push(`${name}: controller ${it.elementName ?? it.instanceId} offers models ${it.subType}; took ${first}`);
    } else {
      const label = (rt !== null ? IGNORED_NAMES[rt] : undefined) ?? `ResourceType ${rt ?? "missing"}${it.subType ? ` (${it.subType})` : ""}`;
      bump(ignored, label);
    }
  }
  if (ignored.size) notes.push(`${name}: ignored ${[...ignored].map(([k, n]) => `${n} ${k}`).join(", ")}`);

  const osSec = sections(vs, "OperatingSystemSection")[0];
  const osType = attr(osSec, "osType") ?? text(osSec, "OSType") ?? text(osSec, "Description") ?? (attr(osSec, "id") ? `cim-os-${attr(osSec, "id")}` : null);

  let firmware: VmInventory["firmware"] = null;
  let secureBoot: boolean | null = null;
  for (const c of [...children(vhs, "Config"), ...children(vhs, "ExtraConfig")]) {
    if (attr(c, "key") === "firmware") firmware = /efi/i.test(attr(c, "value") ?? "") ? "uefi" : "bios";
    if (attr(c, "key")?.toLowerCase() === "uefi.secureboot.enabled") secureBoot = /^true$/i.test(attr(c, "value") ?? "");
  }
  // VMware writes a vTPM and PCI passthrough as Items with a subtype (vmware.vtpm, vmware.pcipassthrough;
  // not vmware.cdrom.remotepassthrough, a client's CD drive).
  const subtypes = items.map((i) => (i.subType ?? "").toLowerCase());
  const vbox = child(vs, "Machine");
  if (firmware === null && vbox) {
    const fw = attr(child(child(vbox, "Hardware"), "Firmware"), "type");
    firmware = fw && /efi/i.test(fw) ? "uefi" : "bios";
  }
  const vboxUuid = attr(vbox, "uuid")?.replace(/[{}]/g, "") ?? null;

  return VmInventory.parse({
    name, uuid: vboxUuid, origin: "ovf", hypervisorType: hypervisorTypeOf(systemType), state: null,
    memoryBytes, cpu: { count: cpuCount, cores, sockets: cores && cpuCount ? Math.max(1, Math.floor(cpuCount / cores)) : null },
    firmware, machine: systemType, osType, disks, nics, notes,
    features: {
      secureBoot, tpm: subtypes.some((t) => t.includes("tpm")) ? "vtpm" : null,
      snapshots: snapshotsOf(vs), passthrough: subtypes.filter((t) => t.includes("pcipassthrough")).map((t) => `pci ${t}`), sharedDisks: [],
    },
  });
}

/** oVirt's SnapshotsSection lists the VM's snapshots (the "Active VM" one is the running state, not a snapshot). */
function snapshotsOf(vs: XNode): string[] {
  return sections(vs, "SnapshotsSection").flatMap((s) => children(s, "Snapshot"))
    .filter((s) => !/^active vm/i.test(text(s, "Description") ?? ""))
    .map((s) => `${text(s, "Description") ?? "snapshot"} (${attr(s, "id") ?? "no id"})`);
}

function bump(m: Map<string, number>, k: string) { m.set(k, (m.get(k) ?? 0) + 1); }

/** oVirt VmInterfaceType: 0 rtl8139_pv (dual mode), 1 rtl8139, 2 e1000, 3 pv (virtio), 4 spaprVlan, 5 pciPassthrough. */
const OVIRT_NIC: Record<string, string> = { "0": "rtl8139", "1": "rtl8139", "2": "e1000", "3": "virtio", "4": "spapr-vlan", "5": "pci-passthrough" };
const OVIRT_BUS: Record<string, string> = { virtio: "virtio", virtio_scsi: "scsi", ide: "ide", sata: "sata", spapr_vscsi: "scsi" };

/** oVirt/RHV: `<Content xsi:type="ovf:VirtualSystem_Type">`, InstanceId, NIC subtypes as numbers, disk interface on the Disk. */
function readOvirtSystem(vs: XNode, ctx: Ctx): VmInventory {
  const notes = [...ctx.envNotes, "oVirt/RHV OVF dialect (export domain / virt-v2v -o rhv)"];
  const name = text(vs, "Name") ?? attr(vs, "id") ?? "unnamed";
  const vhs = sections(vs, "VirtualHardwareSection")[0];
  if (!vhs) throw new UserError(`${ctx.origin}: oVirt VM ${name} has no VirtualHardwareSection`);
  let cpuCount: number | null = null, sockets: number | null = null, cores: number | null = null, threads: number | null = null, memoryBytes: number | null = null;
  const disks: DiskInventory[] = [];
  const nics: NicInventory[] = [];
  const ignored = new Map<string, number>();
  const shared: string[] = [];
  for (const it of hwItems(vhs).map(toHwItem)) {
    const rt = it.resourceType;
    if (rt === RT.CPU) {
      const at = (field: string) => ({ origin: ctx.origin, field: `${name}: ${field}` });
      sockets = readCount(text(it.raw, "num_of_sockets"), CPU_TOPOLOGY, at("num_of_sockets"), "absent");
      cores = readCount(text(it.raw, "cpu_per_socket"), CPU_TOPOLOGY, at("cpu_per_socket"), "absent");
      threads = readCount(text(it.raw, "threads_per_cpu"), CPU_TOPOLOGY, at("threads_per_cpu"), "absent");
      cpuCount = readCount(it.virtualQuantity, VCPU_COUNT, at("CPU VirtualQuantity"), "absent")
        ?? (sockets !== null && cores !== null
          ? checkNumber(sockets * cores * (threads ?? 1), `${sockets} × ${cores} × ${threads ?? 1}`, VCPU_COUNT, at("num_of_sockets × cpu_per_socket × threads_per_cpu"))
          : null);
    } else if (rt === RT.MEMORY) {
      const mult = byteUnitMultiplier(it.allocationUnits ?? "MegaBytes");
      memoryBytes = mult === null ? null : readBytes(it.virtualQuantity, mult, `× ${shownValue(it.allocationUnits ?? "MegaBytes")}`, MEMORY_BYTES,
        { origin: ctx.origin, field: `${name}: memory VirtualQuantity × AllocationUnits` }, "absent");
    } else if (rt === RT.DISK) {
      const disk = it.hostResource ? diskByHostResource(it.hostResource, ctx).disk : null;
      const iface = (disk?.diskInterface ?? "").toLowerCase();
      if (/^true$/i.test(text(it.raw, "Shareable") ?? "")) shared.push(disk?.diskId ?? it.hostResource ?? `item ${it.instanceId}`);
      const dev = (text(it.raw, "Device") ?? text(it.raw, "Type") ?? "disk").toLowerCase();
      disks.push({
        target: null, bus: OVIRT_BUS[iface] ?? (iface || null), device: dev === "cdrom" ? "cdrom" : "disk",
        controller: iface === "virtio_scsi" ? "virtio-scsi" : null,
        format: disk?.format ?? null, capacityBytes: disk?.capacityBytes ?? null, allocationBytes: null,
        source: disk?.fileRef ?? it.hostResource,
      });
    } else if (rt === RT.NIC) {
      const st = it.subType;
      nics.push({ model: st !== null ? OVIRT_NIC[st] ?? st : null, network: it.connection, mac: text(it.raw, "MACAddress"), filter: null });
    } else {
      const dev = text(it.raw, "Device");
      bump(ignored, dev ? `${(rt !== null ? IGNORED_NAMES[rt] : undefined) ?? "device"} (${dev})` : (rt !== null ? IGNORED_NAMES[rt] : undefined) ?? `ResourceType ${rt}`);
    }
  }
  if (ignored.size) notes.push(`${name}: ignored ${[...ignored].map(([k, n]) => `${n} ${k}`).join(", ")}`);
  const osSec = sections(vs, "OperatingSystemSection")[0];
  const osType = text(osSec, "Description") ?? text(osSec, "Info");
  const bios = text(vs, "BiosType");
  // oVirt BiosType: 1 i440fx+SeaBIOS, 2 q35+SeaBIOS, 3 q35+OVMF, 4 q35+OVMF secure boot; 0 = cluster default.
  const firmware = bios === "3" || bios === "4" ? "uefi" : bios === "1" || bios === "2" ? "bios" : null;
  const machine = bios === "1" ? "pc" : bios === "2" || bios === "3" || bios === "4" ? "q35" : null;
  return VmInventory.parse({
    name, uuid: null, origin: "ovf", hypervisorType: "kvm", memoryBytes,
    cpu: { count: cpuCount, sockets, cores, threads }, firmware, machine, osType, disks, nics, notes,
    features: { secureBoot: bios === "4" ? true : firmware === "uefi" ? false : null, tpm: null, snapshots: snapshotsOf(vs), passthrough: nics.filter((n) => n.model === "pci-passthrough").map((n) => `pci NIC ${n.mac ?? "?"} (passthrough)`), sharedDisks: shared },
  });
}

