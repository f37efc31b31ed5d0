import { UserError } from "../errors.js";
import { VmInventory, type DiskInventory, type NicInventory } from "../inventory/model.js";
import { CPU_TOPOLOGY, MEMORY_BYTES, VCPU_COUNT, readBytes, readCount } from "./limits.js";

/**
 * VMware .vmx reader. A .vmx is `key = "value"` lines; keys are case-insensitive
 * (Workstation writes `memsize`, ESX `memSize`), `|22`-style escapes encode bytes, and a
 * device exists only when its `.present` says TRUE (VMware's own rule), which is why
 * absent devices are listed in `notes` rather than silently dropped.
 */

export type VmxEntries = Map<string, string>;

const LINE = /^\s*([A-Za-z0-9_.:\-]+)\s*=\s*(.*?)\s*$/;

/** Parses the key/value lines; returns null when the text does not look like a .vmx at all. */
export function parseVmxEntries(text: string): { entries: VmxEntries; badLines: number } | null {
  const entries: VmxEntries = new Map();
  let badLines = 0, good = 0;
  for (const raw of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) { badLines++; continue; }
    let v = m[2]!;
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    v = v.replace(/\|([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    entries.set(m[1]!.toLowerCase(), v);
    good++;
  }
  if (good === 0 || badLines > good) return null;
  return { entries, badLines };
}

/** True when the text reads as .vmx lines (used by content sniffing). */
export function looksLikeVmx(text: string): boolean {
  const p = parseVmxEntries(text.slice(0, 64 * 1024));
  if (!p) return false;
  const e = p.entries;
  return ["config.version", "virtualhw.version", "guestos", "displayname", ".encoding", "memsize", "numvcpus"].some((k) => e.has(k));
}

const truthy = (v: string | undefined) => v !== undefined && /^(true|yes|1)$/i.test(v);

const SCSI_MODELS: Record<string, string> = { lsilogic: "lsilogic", buslogic: "buslogic", pvscsi: "pvscsi", lsisas1068: "lsisas1068" };
const NIC_MODELS: Record<string, string> = { e1000: "e1000", e1000e: "e1000e", vmxnet3: "vmxnet3", vmxnet: "vmxnet", vmxnet2: "vmxnet2", vlance: "pcnet" };

export function parseVmx(text: string, origin: string): VmInventory {
  const parsed = parseVmxEntries(text);
  if (!parsed) throw new UserError(`${origin}: not a VMware .vmx file (no 'key = "value"' lines)`);
  const e = parsed.entries;
  const notes: string[] = [];
  if (parsed.badLines) notes.push(`${parsed.badLines} line(s) that are not key = value were ignored`);
  if (text.includes("\r\n")) notes.push("CRLF line endings");
  const lowerCased = [...text.matchAll(/^\s*(memsize|guestos|displayname|firmware)\s*=/gm)].map((m) => m[1]);
  if (lowerCased.some((k) => k !== "firmware")) notes.push(`lower-case keys (${lowerCased.join(", ")}); keys are read case-insensitively`);

  // VMware reads these as whole numbers and refuses to power on otherwise; so do we, with the range.
  const at = (field: string) => ({ origin, field });
  const cpuCount = readCount(e.get("numvcpus"), VCPU_COUNT, at("numvcpus")) ?? 1;
  if (!e.has("numvcpus")) notes.push("numvcpus absent: VMware's default of 1 vCPU");
  const coresPerSocket = readCount(e.get("cpuid.corespersocket"), CPU_TOPOLOGY, at("cpuid.coresPerSocket"));
  const memoryBytes = readBytes(e.get("memsize"), 2 ** 20, "MiB", MEMORY_BYTES, at("memsize"));
  const firmwareRaw = e.get("firmware");
  const firmware: VmInventory["firmware"] = firmwareRaw === undefined ? "bios" : /efi/i.test(firmwareRaw) ? "uefi" : "bios";

  // Controllers: scsiN, sataN (AHCI), nvmeN; IDE is always there.
  const controllers = new Map<string, { present: boolean; model: string | null }>();
  for (const [k, v] of e) {
    const m = /^(scsi|sata|nvme)(\d+)\.present$/.exec(k);
    if (m) {
      const key = `${m[1]}${m[2]}`;
      let model: string | null = m[1] === "sata" ? "ahci" : m[1] === "nvme" ? "nvme" : null;
      if (m[1] === "scsi") {
        const dev = e.get(`${key}.virtualdev`)?.toLowerCase();
        model = dev ? SCSI_MODELS[dev] ?? dev : null;
        if (!dev && truthy(v)) notes.push(`${key}: no virtualDev (VMware picks one by guest OS); controller model unknown`);
      }
      controllers.set(key, { present: truthy(v), model });
    }
  }

  const disks: DiskInventory[] = [];
  const absent: string[] = [];
  const slots = new Set<string>();
  for (const k of e.keys()) {
    const m = /^((scsi|sata|ide|nvme)(\d+):(\d+))\./.exec(k);
    if (m) slots.add(m[1]!);
  }
  const sortedSlots = [...slots].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const slot of sortedSlots) {
    const bus = /^[a-z]+/.exec(slot)![0];
    const ctrl = slot.split(":")[0]!;
    if (!truthy(e.get(`${slot}.present`))) { absent.push(slot); continue; }
    if (bus !== "ide" && !controllers.get(ctrl)?.present) notes.push(`${slot} is present but its controller ${ctrl} is not`);
    const deviceType = (e.get(`${slot}.devicetype`) ?? "").toLowerCase();
    const fileName = e.get(`${slot}.filename`) ?? null;
    let device: DiskInventory["device"];
    if (deviceType.includes("cdrom")) device = "cdrom";
    else if (deviceType === "scsi-passthru") device = "lun";
    else if (deviceType === "" && fileName && /\.iso$/i.test(fileName)) device = "cdrom";
    else device = "disk";
    const source = fileName && fileName !== "emptyBackingString" && !/^(auto detect|)$/i.test(fileName) && deviceType !== "cdrom-raw" && deviceType !== "atapi-cdrom" ? fileName : null;
    disks.push({
      target: slot, bus, device,
      controller: bus === "ide" ? "piix4" : controllers.get(ctrl)?.model ?? null,
      format: source ? (/\.vmdk$/i.test(source) ? "vmdk" : /\.iso$/i.test(source) ? "iso" : null) : null,
      // A .vmx does not state capacities: they live in the .vmdk descriptors it names.
      capacityBytes: null, allocationBytes: null, source,
    });
  }
  if (absent.length) notes.push(`devices declared but not present (ignored): ${absent.join(", ")}`);

  const nics: NicInventory[] = [];
  const nicIdx = new Set<number>();
  for (const k of e.keys()) { const m = /^ethernet(\d+)\./.exec(k); if (m) nicIdx.add(Number(m[1])); }
  const absentNics: string[] = [];
  for (const i of [...nicIdx].sort((a, b) => a - b)) {
    const p = `ethernet${i}`;
    if (!truthy(e.get(`${p}.present`))) { absentNics.push(p); continue; }
    const dev = e.get(`${p}.virtualdev`)?.toLowerCase();
    if (!dev) notes.push(`${p}: no virtualDev (VMware default depends on guest OS); model unknown`);
    const network = e.get(`${p}.networkname`) ?? e.get(`${p}.vnet`) ?? e.get(`${p}.connectiontype`) ?? null;
    const mac = e.get(`${p}.address`) ?? e.get(`${p}.generatedaddress`) ?? null;
    nics.push({ model: dev ? NIC_MODELS[dev] ?? dev : null, network, mac: mac ? mac.toLowerCase() : null, filter: null });
  }
  if (absentNics.length) notes.push(`NICs declared but not present (ignored): ${absentNics.join(", ")}`);

  const uuidRaw = e.get("uuid.bios");
  let uuid: string | null = null;
  if (uuidRaw) {
    const hex = uuidRaw.replace(/[^0-9a-f]/gi, "").toLowerCase();
    if (hex.length === 32) uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const hw = e.get("virtualhw.version");
  return VmInventory.parse({
    name: e.get("displayname") ?? origin.replace(/^.*\//, "").replace(/\.vmx$/i, ""),
    uuid, origin: "vmx", hypervisorType: "vmware", state: null,
    memoryBytes,
    cpu: { count: cpuCount, cores: coresPerSocket, sockets: coresPerSocket ? Math.max(1, Math.floor(cpuCount / coresPerSocket)) : null },
    firmware, machine: hw ? `vmx-${hw.padStart(2, "0")}` : null, osType: e.get("guestos") ?? null,
    disks, nics, notes,
  });
}
