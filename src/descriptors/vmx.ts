import { UserError } from "../errors.js";
import { VmInventory, type DiskInventory, type NicInventory } from "../inventory/model.js";
import { CPU_TOPOLOGY, MEMORY_BYTES, VCPU_COUNT, readBytes, readCount } from "./limits.js";

/**
 * VMware .vmx reader. A .vmx is `key = "value"` lines; keys are case-insensitive
 * (Workstation writes `memsize`, ESX `memSize`), `|22`-style escapes encode bytes, and a
 * device exists only when its `.present` says TRUE (VMware's own rule), which is why
 * absent devices are listed in `notes` rather than silently dropped.
 */

type VmxEntries = Map<string, string>;

const KEY = /^[A-Za-z0-9_.:\-]+$/;

/**
 * Parses the key/value lines; returns null when the text does not look like a .vmx at all.
 * Linear in the text's length with a small constant (a 10 MB file in well under a second):
 * lines are found with indexOf rather than split(/\r?\n/) (an array of millions of blank
 * lines cost seconds), each line is cut at its first "=" by index rather than by a regex
 * (`\s*=\s*(.*?)\s*$` backtracked quadratically over a long run of spaces: a 100 KB value
 * of spaces took 4.6 s, 1 MB over a minute), and escapes are decoded in one pass.
 */
function parseVmxEntries(text: string): { entries: VmxEntries; badLines: number } | null {
  const entries: VmxEntries = new Map();
  let badLines = 0, good = 0;
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let i = start; i < text.length;) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = text.length;
    const line = text.slice(i, end).trim();
    i = end + 1;
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq).trimEnd() : "";
    if (!KEY.test(key)) { badLines++; continue; }
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    entries.set(key.toLowerCase(), decodeVmxEscapes(v));
    good++;
  }
  if (good === 0 || badLines > good) return null;
  return { entries, badLines };
}

const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX_DIGIT[48 + d] = d;
for (let d = 0; d < 6; d++) { HEX_DIGIT[65 + d] = 10 + d; HEX_DIGIT[97 + d] = 10 + d; }
const hexDigitAt = (s: string, i: number): number => { const c = s.charCodeAt(i); return c < 128 ? HEX_DIGIT[c]! : -1; };

/** `|22` -> `"`: VMware escapes a character as | and two hex digits; anything else is kept as is. */
function decodeVmxEscapes(v: string): string {
  if (!v.includes("|")) return v;
  // One pass into UTF-16 code units: a replace() callback per escape took seconds on millions of them.
  const out = new Uint16Array(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x7c) {
      const hi = hexDigitAt(v, i + 1), lo = hexDigitAt(v, i + 2);
      if (hi >= 0 && lo >= 0) { out[n++] = hi * 16 + lo; i += 2; continue; }
    }
    out[n++] = c;
  }
  return Buffer.from(out.buffer, 0, n * 2).toString("utf16le");
}

/** True when the text reads as .vmx lines (used by content sniffing). */
export function looksLikeVmx(text: string): boolean {
  const p = parseVmxEntries(text.slice(0, 64 * 1024));
  if (!p) return false;
  const e = p.entries;
  return ["config.version", "virtualhw.version", "guestos", "displayname", ".encoding", "memsize", "numvcpus"].some((k) => e.has(k));
}

const SLOT_ORDER = new Intl.Collator("en", { numeric: true });

/**
 * VMware's maxima per VM (vSphere 8): 4 SCSI, SATA and NVMe controllers, 2 IDE channels,
 * up to 64 units on a controller (PVSCSI and NVMe; SATA 30, IDE 2) and 10 NICs. Keys for
 * devices beyond them describe hardware no VMware product creates; they are ignored with
 * one note, which also keeps a file of millions of device keys from costing seconds.
 */
const MAX_CONTROLLERS: Record<string, number> = { scsi: 4, sata: 4, nvme: 4, ide: 2 };
const MAX_UNITS: Record<string, number> = { scsi: 64, sata: 30, nvme: 64, ide: 2 };
const MAX_NICS = 10;

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
  // [ \t]*, not \s*: with the m flag, \s* after ^ runs across newlines from every line start (quadratic in blank lines).
  const lowerCased = [...text.matchAll(/^[ \t]*(memsize|guestos|displayname|firmware)[ \t]*=/gm)].map((m) => m[1]);
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
  const beyond = { count: 0, example: "" };
  const beyondMaxima = (k: string) => { if (beyond.count++ === 0) beyond.example = k; };
  for (const [k, v] of e) {
    const m = /^(scsi|sata|nvme)(\d+)\.present$/.exec(k);
    if (m && Number(m[2]) >= MAX_CONTROLLERS[m[1]!]!) { beyondMaxima(k); continue; }
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
    if (m && (Number(m[3]) >= MAX_CONTROLLERS[m[2]!]! || Number(m[4]) >= MAX_UNITS[m[2]!]!)) beyondMaxima(k);
    else if (m) slots.add(m[1]!);
  }
  // One collator: localeCompare(b, "en", {numeric}) builds one per comparison (seconds for many slots).
  const sortedSlots = [...slots].sort(SLOT_ORDER.compare);
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
  for (const k of e.keys()) {
    const m = /^ethernet(\d+)\./.exec(k);
    if (m && Number(m[1]) >= MAX_NICS) beyondMaxima(k);
    else if (m) nicIdx.add(Number(m[1]));
  }
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
  if (beyond.count) notes.push(`${beyond.count} key(s) for devices beyond VMware's maxima (4 controllers of a kind, 64 units, 10 NICs), e.g. ${beyond.example.slice(0, 60)}: ignored`);

  const uuidRaw = e.get("uuid.bios");
  let uuid: string | null = null;
  if (uuidRaw) {
    const hex = uuidRaw.replace(/[^0-9a-f]/gi, "").toLowerCase();
    if (hex.length === 32) uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  // Readiness facts (Forklift's VMware rules read the same keys from vSphere's API).
  const sharedBuses = [...controllers.keys()].filter((c) => { const v = e.get(`${c}.sharedbus`)?.toLowerCase(); return v !== undefined && v !== "none"; });
  const features = {
    secureBoot: e.has("uefi.secureboot.enabled") ? truthy(e.get("uefi.secureboot.enabled")) : firmware === "uefi" ? null : false,
    tpm: truthy(e.get("vtpm.present")) ? "vtpm" : null,
    // A disk named NAME-000001.vmdk is the delta of a snapshot: the VM runs on a snapshot chain.
    snapshots: disks.filter((d) => d.source && /-\d{6}\.vmdk$/i.test(d.source)).map((d) => `${d.target} runs on snapshot delta ${d.source}`),
    passthrough: [
      ...[...e.keys()].filter((k) => /^pcipassthru\d+\.present$/.test(k) && truthy(e.get(k))).map((k) => { const p = k.split(".")[0]!; return `pci ${e.get(`${p}.id`) ?? e.get(`${p}.deviceid`) ?? p}`; }),
      ...disks.filter((d) => d.device === "lun").map((d) => `scsi-passthru ${d.target}${d.source ? ` (${d.source})` : ""}`),
      ...[...e.keys()].filter((k) => /^usb\.autoconnect\.device\d+$/.test(k)).map((k) => `usb ${e.get(k)}`),
    ],
    sharedDisks: disks.filter((d) => d.device === "disk" && (sharedBuses.includes(d.target!.split(":")[0]!) || e.get(`${d.target}.sharing`)?.toLowerCase() === "multi-writer")).map((d) => d.target!),
  };
  const hw = e.get("virtualhw.version");
  return VmInventory.parse({
    name: e.get("displayname") ?? origin.replace(/^.*\//, "").replace(/\.vmx$/i, ""),
    uuid, origin: "vmx", hypervisorType: "vmware", state: null,
    memoryBytes,
    cpu: { count: cpuCount, cores: coresPerSocket, sockets: coresPerSocket ? Math.max(1, Math.floor(cpuCount / coresPerSocket)) : null },
    firmware, machine: hw ? `vmx-${hw.padStart(2, "0")}` : null, osType: e.get("guestos") ?? null,
    disks, nics, features, notes,
  });
}
