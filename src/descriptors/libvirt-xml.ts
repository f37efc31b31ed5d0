import { XMLParser } from "fast-xml-parser";
import { UserError } from "../errors.js";
import type { DiskInventory, NicInventory, VmInventory } from "../inventory/model.js";
import { CPU_TOPOLOGY, MEMORY_BYTES, VCPU_COUNT, readBytes, readCount, type NumberRange } from "./limits.js";
import { XML_ENTITY_OPTIONS, XML_LIMITS, xmlParseError } from "./xml-text.js";

/**
 * libvirt domain XML (`virsh dumpxml`, virt-install --print-xml, libvirt's own test data)
 * -> the shared inventory model. Pure: never opens the disk files the XML names.
 * Capacity/allocation are not in domain XML; the libvirt driver fills them from
 * `virsh domblkinfo` for live domains.
 */

type Node = Record<string, unknown>;

const ALWAYS_ARRAY = new Set([
  "domain.devices.disk", "domain.devices.interface", "domain.devices.controller",
  "domain.devices.graphics", "domain.devices.video", "domain.devices.hostdev",
  "domain.devices.filesystem", "domain.os.boot", "domain.devices.disk.source.host",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: XML_ENTITY_OPTIONS,
  maxNestedTags: XML_LIMITS.maxNestedTags,
  isArray: (_name, jpath) => ALWAYS_ARRAY.has(String(jpath)),
});

/** Parses raw XML text into a tree; a text that is not XML becomes a UserError naming `origin`. */
export function parseXmlTree(xml: string, origin: string): Node {
  const text = xml.replace(/^\uFEFF/, "");
  if (!/^\s*</.test(text)) throw new UserError(`${origin}: not XML (does not start with '<')`);
  try {
    return parser.parse(text, true) as Node;
  } catch (e) {
    throw xmlParseError(origin, e);
  }
}

const asNode = (v: unknown): Node | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : undefined);
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => asNode(x) ?? { "#text": String(x) });
const attr = (n: Node | undefined, a: string): string | null => {
  const v = n?.[`@${a}`];
  return v === undefined || v === null ? null : String(v);
};
/** Text content of an element that may be a bare string or carry attributes. */
const text = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number") return String(v).trim() || null;
  const t = asNode(v)?.["#text"];
  return t === undefined ? null : String(t).trim() || null;
};

/** libvirt's scaled-integer units (docs: formatdomain.html#memory-allocation). KiB is the default. */
const UNIT: Record<string, number> = {
  b: 1, bytes: 1,
  kb: 1e3, k: 1024, kib: 1024,
  mb: 1e6, m: 1024 ** 2, mib: 1024 ** 2,
  gb: 1e9, g: 1024 ** 3, gib: 1024 ** 3,
  tb: 1e12, t: 1024 ** 4, tib: 1024 ** 4,
};

/** A scaled integer element (<memory unit="GiB">4</memory>) in bytes, checked against `range` (limits.ts). */
export function scaledBytes(v: unknown, origin: string, what: string, range: NumberRange = MEMORY_BYTES): number | null {
  const t = text(v);
  if (t === null) return null;
  const unitRaw = attr(asNode(v), "unit");
  const unit = (unitRaw ?? "KiB").toLowerCase();
  const factor = UNIT[unit];
  if (factor === undefined) throw new UserError(`${origin}: ${what} has unknown unit '${unit}'`);
  return readBytes(t, factor, unitRaw ?? "KiB", range, { origin, field: what });
}

/** When <target> names no bus, libvirt derives it from the device name prefix. */
function busFromTargetName(dev: string | null): string | null {
  if (!dev) return null;
  if (dev.startsWith("xvd")) return "xen";
  if (dev.startsWith("vd")) return "virtio";
  if (dev.startsWith("hd")) return "ide";
  if (dev.startsWith("sd")) return "scsi";
  if (dev.startsWith("fd")) return "fdc";
  return null;
}

function diskSource(disk: Node): string | null {
  const s = asNode(disk["source"]);
  if (!s) return null;
  const direct = attr(s, "file") ?? attr(s, "dev") ?? attr(s, "dir");
  if (direct) return direct;
  const pool = attr(s, "pool"), volume = attr(s, "volume");
  if (pool || volume) return `${pool ?? "?"}/${volume ?? "?"}`;
  const protocol = attr(s, "protocol");
  if (protocol) {
    const host = asArray(s["host"])[0];
    const h = host ? `${attr(host, "name") ?? ""}${attr(host, "port") ? ":" + attr(host, "port") : ""}` : "";
    return `${protocol}://${h}${attr(s, "name") ? "/" + attr(s, "name")!.replace(/^\//, "") : ""}`;
  }
  const nvmeAddr = asNode(s["address"]);
  if (attr(disk, "type") === "nvme" && nvmeAddr) return `nvme:${attr(nvmeAddr, "bus") ?? ""}:${attr(nvmeAddr, "slot") ?? ""}`;
  return null;
}

function parseDisks(devices: Node, notes: string[]): DiskInventory[] {
  const controllers = asArray(devices["controller"]);
  const controllerModel = (type: string, index: string): string | null => {
    const c = controllers.find((x) => attr(x, "type") === type && (attr(x, "index") ?? "0") === index);
    return attr(c, "model");
  };
  return asArray(devices["disk"]).map((d, i) => {
    const target = asNode(d["target"]);
    const dev = attr(target, "dev");
    let bus = attr(target, "bus");
    if (!bus) {
      bus = busFromTargetName(dev);
      notes.push(`disk ${i} (${dev ?? "no target"}): no bus given, ${bus ? `'${bus}' derived from the target name as libvirt does` : "bus unknown"}`);
    }
    const deviceAttr = attr(d, "device") ?? "disk";
    const device = (["disk", "cdrom", "floppy", "lun"] as const).find((x) => x === deviceAttr) ?? "disk";
    if (device !== deviceAttr) notes.push(`disk ${i} (${dev ?? "?"}): device '${deviceAttr}' mapped to 'disk'`);
    const address = asNode(d["address"]);
    const ctlType = bus === "scsi" || bus === "ide" || bus === "sata" ? bus : null;
    const controller = ctlType ? controllerModel(ctlType, attr(address, "controller") ?? "0") : null;
    const source = diskSource(d);
    if (!source && device === "disk") notes.push(`disk ${i} (${dev ?? "?"}): no source (type '${attr(d, "type") ?? "?"}')`);
    return {
      target: dev,
      bus,
      device,
      controller,
      format: attr(asNode(d["driver"]), "type"),
      capacityBytes: null,
      allocationBytes: null,
      source,
    };
  });
}

function parseNics(devices: Node, notes: string[]): NicInventory[] {
  return asArray(devices["interface"]).map((n, i) => {
    const type = attr(n, "type") ?? "?";
    const s = asNode(n["source"]);
    let network = attr(s, "network") ?? attr(s, "bridge") ?? attr(s, "dev") ?? attr(s, "path") ?? null;
    // User-mode networking has no named network: say so rather than leaving it blank.
    if (!network && type === "user") network = "user";
    const model = attr(asNode(n["model"]), "type");
    if (!model) notes.push(`interface ${i} (type '${type}'): no model given, the hypervisor's default applies`);
    return {
      model,
      network,
      mac: attr(asNode(n["mac"]), "address"),
      filter: attr(asNode(n["filterref"]), "filter"),
    };
  });
}

function firmwareOf(os: Node | undefined, osType: string | null, arch: string | null): "bios" | "uefi" | null {
  if (!os) return null;
  const fw = attr(os, "firmware");
  if (fw === "efi") return "uefi";
  if (fw === "bios") return "bios";
  const loader = asNode(os["loader"]) ?? (typeof os["loader"] === "string" ? { "#text": os["loader"] } : undefined);
  const loaderPath = text(loader) ?? "";
  if (attr(loader, "type") === "pflash" || /ovmf|uefi|edk2|aavmf/i.test(loaderPath)) return "uefi";
  // Paravirtual and container guests have no firmware in the BIOS/UEFI sense, and a
  // non-x86 guest without a UEFI loader (s390 ccw, ppc64 SLOF, arm -kernel) has no BIOS.
  const x86 = arch === null || arch === "x86_64" || arch === "i686";
  return osType === "hvm" && x86 ? "bios" : null;
}

/** The tiosa run marker in <metadata>, if this domain was created by tiosa. */
/** Secure Boot, TPM, passthrough and shared disks as the domain XML states them (formatdomain.html). */
function featuresOf(os: Node | undefined, devices: Node): VmInventory["features"] {
  const sbFeature = asArray(asNode(os?.["firmware"])?.["feature"]).find((f) => attr(f, "name") === "secure-boot");
  const loaderSecure = attr(asNode(os?.["loader"]), "secure");
  const secureBoot = sbFeature ? attr(sbFeature, "enabled") === "yes" : loaderSecure !== null ? loaderSecure === "yes" : null;
  const tpmNode = asArray(devices["tpm"])[0];
  const passthrough = asArray(devices["hostdev"]).map((h) => {
    const type = attr(h, "type") ?? "?";
    const src = asNode(h["source"]);
    if (attr(h, "mode") === "capabilities") return `${type} (host capability)`;
    if (type === "pci") {
      const a = asNode(src?.["address"]);
      const hex = (v: string | null, w: number) => (v === null ? "?" : Number(v).toString(16).padStart(w, "0"));
      return `pci ${hex(attr(a, "domain"), 4)}:${hex(attr(a, "bus"), 2)}:${hex(attr(a, "slot"), 2)}.${attr(a, "function") ?? "?"}`;
    }
    if (type === "usb") return `usb ${attr(asNode(src?.["vendor"]), "id") ?? "?"}:${attr(asNode(src?.["product"]), "id") ?? "?"}`;
    if (type === "scsi") return `scsi ${attr(asNode(src?.["adapter"]), "name") ?? "?"}`;
    return type;
  });
  const sharedDisks = asArray(devices["disk"]).filter((d) => "shareable" in d).map((d, i) => attr(asNode(d["target"]), "dev") ?? `disk ${i}`);
  // libvirt keeps its own snapshots beside the domain (the driver asks for them); a VMware
  // disk NAME-000001.vmdk (libvirt's ESX driver shows them) is a snapshot's delta.
  const snapshots = asArray(devices["disk"]).map((d) => ({ t: attr(asNode(d["target"]), "dev"), s: diskSource(d) }))
    .filter((d) => d.s && /-\d{6}\.vmdk$/i.test(d.s)).map((d) => `${d.t ?? "disk"} runs on snapshot delta ${d.s}`);
  return { secureBoot, tpm: tpmNode ? attr(tpmNode, "model") ?? "tpm" : null, snapshots, passthrough, sharedDisks };
}

export function tiosaRunIdOf(tree: Node): string | null {
  const md = asNode(asNode(tree["domain"])?.["metadata"]);
  if (!md) return null;
  for (const [k, v] of Object.entries(md)) {
    if (k.endsWith(":run") && attr(asNode(v), `xmlns:${k.split(":")[0]}`) === TIOSA_XMLNS) return attr(asNode(v), "id");
  }
  return null;
}
export const TIOSA_XMLNS = "https://tiosa.dev/xmlns/run/1";

/**
 * Parses one libvirt domain XML document into the inventory model.
 * `origin` names the file or URI in error messages and fills `origin` of the result
 * (the inventory's `origin` field is the kind of source: "libvirt-xml").
 */
export function parseLibvirtDomainXml(xml: string, origin: string): VmInventory {
  const tree = parseXmlTree(xml, origin);
  const domain = asNode(tree["domain"]);
  if (!domain) {
    const root = Object.keys(tree).find((k) => !k.startsWith("?") && !k.startsWith("#"));
    throw new UserError(`${origin}: not a libvirt domain XML (root element is <${root ?? "none"}>, expected <domain>)`);
  }
  const notes: string[] = [];
  const name = text(domain["name"]);
  if (!name) throw new UserError(`${origin}: libvirt domain XML has no <name>`);
  const os = asNode(domain["os"]);
  const osTypeNode = os?.["type"];
  const osType = text(osTypeNode);
  const arch = attr(asNode(osTypeNode), "arch");
  if (arch && arch !== "x86_64" && arch !== "i686") notes.push(`guest architecture ${arch}: not x86`);
  if (osType === "exe") notes.push("container domain (os type 'exe'): no virtual disks or firmware, root file system from <filesystem>");
  const vcpuNode = domain["vcpu"];
  // libvirt itself refuses a <vcpu> or topology that is not a whole number; so do we, with the range.
  const vcpuMax = readCount(text(vcpuNode), VCPU_COUNT, { origin, field: "<vcpu>" });
  const vcpuCurrent = readCount(attr(asNode(vcpuNode), "current"), VCPU_COUNT, { origin, field: "<vcpu current>" });
  if (vcpuCurrent !== null && vcpuMax !== null && vcpuCurrent !== vcpuMax) notes.push(`vcpu: ${vcpuCurrent} online of ${vcpuMax} maximum`);
  const cpu = asNode(domain["cpu"]);
  const topo = asNode(cpu?.["topology"]);
  const topology = (a: string) => readCount(attr(topo, a), CPU_TOPOLOGY, { origin, field: `<cpu><topology ${a}>` });
  const cpuModel = text(cpu?.["model"]) ?? (attr(cpu, "mode") && attr(cpu, "mode") !== "custom" ? attr(cpu, "mode") : null);
  const memory = scaledBytes(domain["memory"], origin, "<memory>");
  const current = scaledBytes(domain["currentMemory"], origin, "<currentMemory>");
  if (current !== null && memory !== null && current !== memory) notes.push(`currentMemory ${current} bytes (balloon) below maximum ${memory} bytes`);
  const devices = asNode(domain["devices"]) ?? {};
  for (const fs of asArray(devices["filesystem"])) {
    notes.push(`filesystem passthrough ${attr(asNode(fs["source"]), "dir") ?? attr(asNode(fs["source"]), "file") ?? "?"} -> ${attr(asNode(fs["target"]), "dir") ?? "?"}`);
  }
  const hostdevs = asArray(devices["hostdev"]);
  if (hostdevs.length) notes.push(`${hostdevs.length} host device(s) passed through (${[...new Set(hostdevs.map((h) => attr(h, "type") ?? "?"))].join(", ")}): not portable to another host as is`);
  const hyperv = asNode(asNode(domain["features"])?.["hyperv"]);
  if (hyperv) notes.push(`Hyper-V enlightenments: ${Object.keys(hyperv).filter((k) => !k.startsWith("@") && !k.startsWith("#")).join(", ")}`);
  const graphics = [
    ...asArray(devices["graphics"]).map((g) => attr(g, "type") ?? "?"),
    ...asArray(devices["video"]).map((v) => `video:${attr(asNode(v["model"]), "type") ?? "?"}`),
  ];
  return {
    name,
    uuid: text(domain["uuid"]),
    origin: "libvirt-xml",
    hypervisorType: attr(domain, "type"),
    state: null,
    memoryBytes: memory ?? current,
    cpu: {
      count: vcpuCurrent ?? vcpuMax,
      model: cpuModel,
      sockets: topology("sockets"),
      cores: topology("cores"),
      threads: topology("threads"),
    },
    firmware: firmwareOf(os, osType, arch),
    machine: attr(asNode(osTypeNode), "machine"),
    osType,
    disks: parseDisks(devices, notes),
    nics: parseNics(devices, notes),
    graphics,
    features: featuresOf(os, devices),
    io: null,
    notes,
  };
}
