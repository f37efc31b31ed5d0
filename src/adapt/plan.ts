import { parse as parseYaml } from "yaml";
import { UserError } from "../errors.js";
import { GUEST_TOOLS, NIC_DRIVER_NAMES, type DeviceModel, type TargetHardware } from "./devices.js";
import { normaliseModule, type GuestFacts } from "./facts.js";

/**
 * The destination dependency (Ashino & Nakae): what this guest needs, on this target's
 * hardware, to find its root disk and reach its network. Each item says what and why;
 * `change: false` items are checks that passed, shown so the plan explains itself.
 */
export type PlanItem =
  | { action: "initramfs-add-modules"; change: true; device: string; modules: string[]; reason: string }
  | { action: "root-by-uuid"; change: true; file: "/etc/fstab" | "kernel-cmdline"; from: string; to: string; reason: string }
  | { action: "pin-nic-name"; change: true; name: string; mac: string | null; drivers: string[]; configFile: string; reason: string }
  | { action: "disable-guest-tools"; change: true; pkg: string; units: string[]; reason: string }
  | { action: "check"; change: false; what: string; reason: string };

export interface AdaptPlan {
  kernelRelease: string;
  targetFamily: string;
  target: { disk: string; nic: string; firmware: string };
  items: PlanItem[];
}

interface PlanOptions {
  /**
   * MACs the NICs keep on the target (name -> MAC). Defaults to the guest's current NICs:
   * migrations keep MACs (Forklift, virt-v2v), so the old name can follow its MAC.
   */
  macs?: Record<string, string>;
}

/** Shell-style glob of modules.alias (only `*`, `?` and `[...]` occur there). */
export function aliasMatches(pattern: string, modalias: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) { re += "\\["; continue; }
      re += "[" + pattern.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$").test(modalias);
}

/**
 * The drivers that handle these modaliases in mainline Linux. A built-in driver's aliases are
 * missing from modules.builtin.modinfo in some kernels (Debian 13's 6.12 has virtio_pci built
 * in, listed in modules.builtin, with no alias there): such a driver, when modules.builtin
 * lists it, drives the device all the same.
 */
const MAINLINE_DRIVERS: [RegExp, string[]][] = [
  [/^pci:v00001AF4d/, ["virtio_pci"]],
  [/^virtio:d00000002v/, ["virtio_blk"]],
  [/^virtio:d00000001v/, ["virtio_net"]],
  [/^virtio:d00000008v/, ["virtio_scsi"]],
  [/^scsi:t-0x00/, ["sd_mod"]],
  [/^pci:v000015ADd000007C0/, ["vmw_pvscsi"]],
  [/^pci:v000015ADd000007B0/, ["vmxnet3"]],
  [/^pci:v00008086d00007010/, ["ata_piix"]],
  [/^pci:v00008086d00002922/, ["ahci"]],
  [/^pci:v00001000d00000012/, ["sym53c8xx"]],
  [/^pci:v00001011d00000009/, ["tulip"]],
  [/^pci:v000010ECd00008139/, ["8139cp", "8139too"]],
  [/^pci:v00008086d0000100E/, ["e1000"]],
  [/^pci:v00008086d000010D3/, ["e1000e"]],
];

/** Module names whose alias (modules.alias, or builtin aliases) matches a modalias. */
export function modulesForAlias(modalias: string, facts: Pick<GuestFacts, "modulesAlias" | "builtinAliases" | "modulesBuiltin">): { loadable: string[]; builtin: string[] } {
  const loadable = new Set<string>(), builtin = new Set<string>();
  for (const line of facts.modulesAlias.split("\n")) {
    const m = /^alias\s+(\S+)\s+(\S+)/.exec(line);
    if (m && aliasMatches(m[1]!, modalias)) loadable.add(normaliseModule(m[2]!));
  }
  for (const line of facts.builtinAliases.split("\n")) {
    const m = /^([^.\s]+)\.alias=(\S+)/.exec(line.trim());
    if (m && aliasMatches(m[2]!, modalias)) builtin.add(normaliseModule(m[1]!));
  }
  if (loadable.size === 0 && builtin.size === 0) {
    const inKernel = builtinModules(facts.modulesBuiltin);
    for (const d of MAINLINE_DRIVERS.find(([re]) => re.test(modalias))?.[1] ?? []) if (inKernel.has(d)) builtin.add(d);
  }
  return { loadable: [...loadable].sort(), builtin: [...builtin].sort() };
}

const moduleNameOfPath = (p: string) => normaliseModule(p.replace(/^.*\//, "").replace(/\.ko(\.(xz|zst|gz))?$/, ""));

/** modules.dep as name -> direct dependency names. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const name = moduleNameOfPath(line.slice(0, i).trim());
    deps.set(name, line.slice(i + 1).trim().split(/\s+/).filter(Boolean).map(moduleNameOfPath));
  }
  return deps;
}

/** The module and everything it needs loaded first, dependencies first (modprobe's order). */
export function depClosure(modules: string[], deps: Map<string, string[]>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (m: string) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const d of deps.get(m) ?? []) visit(d);
    out.push(m);
  };
  for (const m of modules) visit(m);
  return out;
}

export function builtinModules(text: string): Set<string> {
  return new Set(text.split("\n").map((l) => l.trim()).filter(Boolean).map(moduleNameOfPath));
}

/**
 * Which drivers of THIS guest kernel handle a device: for each alternative (legacy/modern
 * ids), every modalias must have a driver. Throws the "cannot adapt" error otherwise.
 */
export function driversFor(device: DeviceModel, facts: GuestFacts): { loadable: string[]; builtin: string[] } {
  const loadable = new Set<string>(), builtin = new Set<string>();
  let satisfied = false;
  const missing: string[] = [];
  for (const alt of device.modaliases) {
    const found = alt.map((a) => ({ a, m: modulesForAlias(a, facts) }));
    const bad = found.filter((f) => f.m.loadable.length === 0 && f.m.builtin.length === 0);
    if (bad.length > 0) { missing.push(...bad.map((b) => b.a)); continue; }
    satisfied = true;
    for (const f of found) { f.m.loadable.forEach((x) => loadable.add(x)); f.m.builtin.forEach((x) => builtin.add(x)); }
  }
  if (!satisfied) {
    throw new UserError(
      `cannot adapt: no driver for ${device.label} (${device.model}, PCI ${device.pciIds.join("/")}) in kernel ${facts.kernelRelease || "(unknown)"}`,
      `no module alias of that kernel matches ${[...new Set(missing)].join(", ")}; install a kernel with that driver or choose another target family`,
    );
  }
  // Builtin drivers need nothing; a loadable one that is also builtin is a stale alias.
  for (const b of builtin) loadable.delete(b);
  return { loadable: [...loadable].sort(), builtin: [...builtin].sort() };
}

const DEVICE_NAME = /^\/dev\/(sd[a-z]+|vd[a-z]+|hd[a-z]+|xvd[a-z]+|nvme\d+n\d+p?)(\d+)$/;

/** blkid -o export as device -> properties. */
function parseBlkid(text: string): { dev: string; uuid?: string; label?: string; type?: string }[] {
  const out: { dev: string; uuid?: string; label?: string; type?: string }[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const kv = new Map(block.split("\n").map((l) => l.trim()).filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]));
    const dev = kv.get("DEVNAME");
    if (!dev) continue;
    out.push({ dev, ...(kv.get("UUID") ? { uuid: kv.get("UUID")! } : {}), ...(kv.get("LABEL") ? { label: kv.get("LABEL")! } : {}), ...(kv.get("TYPE") ? { type: kv.get("TYPE")! } : {}) });
  }
  return out;
}

/**
 * The UUID of a guest device name. Read offline, the libguestfs appliance names the disk
 * /dev/sda whatever the guest called it, so the partition number decides when names differ.
 */
function uuidOfDevice(dev: string, blkid: ReturnType<typeof parseBlkid>): string | undefined {
  const exact = blkid.find((b) => b.dev === dev && b.uuid);
  if (exact) return exact.uuid;
  const m = DEVICE_NAME.exec(dev);
  if (!m) return undefined;
  const part = m[2];
  const same = blkid.filter((b) => b.uuid && DEVICE_NAME.exec(b.dev)?.[2] === part);
  const disks = new Set(same.map((b) => DEVICE_NAME.exec(b.dev)![1]));
  return same.length === 1 && disks.size === 1 ? same[0]!.uuid : undefined;
}

/** Interface names a network configuration binds to by name (not by type, MAC or glob). */
export function nameBoundInterfaces(files: GuestFacts["networkFiles"]): { name: string; file: string }[] {
  const out: { name: string; file: string }[] = [];
  const add = (name: string, file: string) => {
    if (name === "lo" || /[*?[\]]/.test(name) || name.startsWith("/")) return;
    if (!out.some((o) => o.name === name)) out.push({ name, file });
  };
  for (const f of files) {
    if (f.path.startsWith("/etc/network/interfaces")) {
      for (const line of f.content.split("\n")) {
        const m = /^\s*(?:iface\s+(\S+)\s+inet6?\b|auto\s+(.+)|allow-hotplug\s+(.+))/.exec(line);
        if (!m) continue;
        const names = (m[1] ?? m[2] ?? m[3] ?? "").split(/\s+/).filter(Boolean);
        for (const n of names) add(n, f.path);
      }
    } else if (f.path.endsWith(".network")) {
      // networkd: a [Match] section keyed only by Name= (no MACAddress/Type/Driver) is name-bound.
      const match = /\[Match\]([\s\S]*?)(?=\n\s*\[|$)/.exec(f.content)?.[1] ?? "";
      const keys = match.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#") && l.includes("="));
      const other = keys.some((k) => /^(MACAddress|PermanentMACAddress|Type|Driver|Path)\s*=/.test(k));
      if (other) continue;
      for (const k of keys) {
        const m = /^Name\s*=\s*(.+)$/.exec(k);
        if (m) for (const n of m[1]!.split(/\s+/)) add(n, f.path);
      }
    } else if (f.path.endsWith(".yaml")) {
      let doc: unknown;
      try { doc = parseYaml(f.content); } catch { continue; }
      const eths = (doc as { network?: { ethernets?: Record<string, { match?: unknown }> } } | null)?.network?.ethernets ?? {};
      for (const [n, v] of Object.entries(eths)) if (!v || typeof v !== "object" || !("match" in v)) add(n, f.path);
    }
  }
  return out;
}

/** Computes the plan. Pure: the same facts and target always give the same plan. */
export function planAdaptation(facts: GuestFacts, target: TargetHardware, opts: PlanOptions = {}): AdaptPlan {
  const items: PlanItem[] = [];
  const rel = facts.kernelRelease;
  if (!rel) throw new UserError("cannot adapt: the guest's kernel release could not be read (no /lib/modules/RELEASE in the guest)");
  if (!facts.modulesAlias.trim() || !facts.modulesDep.trim()) {
    throw new UserError(`cannot adapt: kernel ${rel} of the guest has no modules.alias/modules.dep (run depmod in the guest)`);
  }

  if (target.firmware === "uefi" && !facts.uefi) {
    throw new UserError(`cannot adapt: family '${target.family}' boots by UEFI but the guest boots by BIOS only (no grub-efi, no EFI system partition)`);
  }

  // Disk: the root disk must be found by the initramfs, so its drivers must be inside it.
  const deps = parseModulesDep(facts.modulesDep);
  const builtin = builtinModules(facts.modulesBuiltin);
  const inInitramfs = new Set(facts.initramfsModules.map(normaliseModule));
  const disk = driversFor(target.disk, facts);
  const diskClosure = depClosure(disk.loadable, deps).filter((m) => !builtin.has(m));
  const toAdd = diskClosure.filter((m) => !inInitramfs.has(m));
  const driverText = [...disk.loadable, ...disk.builtin.map((b) => `${b} (builtin)`)].join(", ");
  if (toAdd.length > 0) {
    const direct = disk.loadable.filter((m) => !inInitramfs.has(m));
    items.push({
      action: "initramfs-add-modules", change: true, device: target.disk.model,
      modules: toAdd,
      reason: `the root disk sits behind the ${target.disk.label} (PCI ${target.disk.pciIds.join("/")}) on '${target.family}'; kernel ${rel} drives it with ${direct.join(", ") || driverText}, which the current initramfs lacks${toAdd.length > direct.length ? ` (with ${toAdd.filter((m) => !direct.includes(m)).join(", ")} from modules.dep)` : ""}: without them the boot stops at "ALERT! root does not exist"`,
    });
  } else {
    items.push({ action: "check", change: false, what: `initramfs drives ${target.disk.model}`, reason: `the initramfs already holds ${driverText} for the ${target.disk.label}` });
  }

  // NIC: its driver is loaded from the root file system after boot; it must exist in the kernel.
  const nic = driversFor(target.nic, facts);
  items.push({ action: "check", change: false, what: `kernel has a ${target.nic.model} driver`, reason: `kernel ${rel} has ${[...nic.loadable, ...nic.builtin.map((b) => `${b} (builtin)`)].join(", ")} for the ${target.nic.label} (loaded from the root file system after boot)` });

  // Root and fstab: device names follow the controller (vda on virtio, sda on SCSI/IDE).
  const blkid = parseBlkid(facts.blkid);
  let fstabByName = 0;
  for (const line of facts.fstab.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const [spec, mountPoint] = t.split(/\s+/);
    if (!spec || !DEVICE_NAME.test(spec)) continue;
    fstabByName++;
    const uuid = uuidOfDevice(spec, blkid);
    if (!uuid) throw new UserError(`cannot adapt: /etc/fstab mounts ${spec} on ${mountPoint ?? "?"} by device name and its UUID could not be read (blkid)`);
    items.push({ action: "root-by-uuid", change: true, file: "/etc/fstab", from: spec, to: `UUID=${uuid}`, reason: `${spec} is a ${target.disk.model === "virtio-blk" ? "name that only virtio-blk gives" : "device name that changes with the disk controller"} (the disk is ${target.disk.model === "virtio-blk" ? "vdX" : "sdX"} on '${target.family}'); a UUID follows the file system` });
  }
  if (fstabByName === 0) items.push({ action: "check", change: false, what: "/etc/fstab independent of device names", reason: "every fstab entry names its file system by UUID, LABEL or PARTUUID" });
  const root = /(?:^|\s)root=(\S+)/.exec(facts.cmdline)?.[1];
  if (root && DEVICE_NAME.test(root)) {
    const uuid = uuidOfDevice(root, blkid);
    if (!uuid) throw new UserError(`cannot adapt: the kernel command line has root=${root} and its UUID could not be read (blkid)`);
    items.push({ action: "root-by-uuid", change: true, file: "kernel-cmdline", from: root, to: `UUID=${uuid}`, reason: `root=${root} names the disk by controller order; GRUB is told to use root=UUID= instead (update-grub)` });
  } else {
    items.push({ action: "check", change: false, what: "root= independent of device names", reason: root ? `root=${root} does not depend on the disk controller` : "no root= on the command line (the boot loader finds it by UUID)" });
  }

  // Network: a name-bound configuration is lost when the NIC's name changes with its model/slot.
  const bound = nameBoundInterfaces(facts.networkFiles);
  const macs: Record<string, string> = { ...Object.fromEntries(facts.nics.map((n) => [n.name, n.mac])), ...(opts.macs ?? {}) };
  const drivers = NIC_DRIVER_NAMES[target.nic.model] ?? [];
  for (const b of bound) {
    const mac = macs[b.name]?.toLowerCase() ?? null;
    // Matching by driver is only unambiguous when one NIC is configured.
    const byDriver = bound.length === 1 ? drivers : [];
    if (!mac && byDriver.length === 0) {
      throw new UserError(`cannot adapt: ${b.file} binds interfaces ${bound.map((x) => x.name).join(", ")} by name and their MACs are unknown; pass them (--mac NAME=MAC)`);
    }
    items.push({
      action: "pin-nic-name", change: true, name: b.name, mac, drivers: byDriver, configFile: b.file,
      reason: `${b.file} configures '${b.name}' by name; on '${target.family}' the ${target.nic.label} gets another name (e.g. ens4), so the guest would boot without network. A udev .link file gives the NIC the old name${mac ? `, matched by its MAC ${mac} (kept by the migration, as Forklift maps old name -> new NIC)` : ""}${byDriver.length ? `${mac ? ", or" : ", matched"} by the target's driver ${byDriver.join("/")}` : ""}`,
    });
  }
  if (bound.length === 0) items.push({ action: "check", change: false, what: "network configuration independent of NIC names", reason: facts.networkFiles.length ? "the network configuration matches NICs by type, MAC or pattern" : "no ifupdown/networkd/netplan configuration found" });

  // Guest tools of other families: their daemons wait for a hypervisor that is no longer there.
  for (const t of GUEST_TOOLS) {
    if (!facts.installedPackages.includes(t.pkg) || t.family === target.family) continue;
    if (t.note) {
      items.push({ action: "check", change: false, what: `${t.pkg} kept`, reason: `${t.pkg} (${t.family}'s guest tools) ${t.note}` });
      continue;
    }
    items.push({ action: "disable-guest-tools", change: true, pkg: t.pkg, units: t.units, reason: `${t.pkg} is ${t.family}'s guest tools; on '${target.family}' its daemons find no ${t.family} hypervisor interface (they fail or log errors at every boot), so its units are disabled (kept installed, undo re-enables them)` });
  }

  return {
    kernelRelease: rel, targetFamily: target.family,
    target: { disk: target.disk.model, nic: target.nic.model, firmware: target.firmware },
    items,
  };
}

/** True when the plan changes something in the guest. */
export const planChanges = (p: AdaptPlan) => p.items.some((i) => i.change);

/** One line per plan item: `tiosa adapt plan`, migrate results and campaign notes word them alike. */
export function describePlanItem(i: PlanItem): string {
  switch (i.action) {
    case "initramfs-add-modules": return `add to initramfs: ${i.modules.join(" ")}`;
    case "root-by-uuid": return `${i.file}: ${i.from} -> ${i.to}`;
    case "pin-nic-name": return `keep NIC name ${i.name} (${[i.mac ? `MAC ${i.mac}` : "", i.drivers.length ? `driver ${i.drivers.join("/")}` : ""].filter(Boolean).join(" or ")})`;
    case "disable-guest-tools": return `disable ${i.pkg}: ${i.units.join(" ")}`;
    case "check": return i.what;
  }
}
