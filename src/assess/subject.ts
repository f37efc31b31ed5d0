import { open, stat } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseFacts, factsScript, type GuestFacts } from "../adapt/facts.js";
import { runScriptOffline } from "../adapt/guestfs.js";
import { readDescriptor } from "../descriptors/index.js";
import { looksLikeTar, openOva } from "../descriptors/ova.js";
import { readImageHeader } from "../disk/image-header.js";
import { safeImageInfo } from "../disk/qemu-img.js";
import { UserError, errorMessage } from "../errors.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import { openDriver } from "../hypervisor/open.js";
import type { VmInventory } from "../inventory/model.js";
import type { AssessSubject } from "./concern.js";
import { familyOfInventory } from "./hardware-names.js";

const MAGIC_FORMAT: Record<string, string> = { qcow2: "qcow2", "vmdk-sparse": "vmdk", vpc: "vpc", vhdx: "vhdx", vdi: "vdi" };

export interface SubjectOptions {
  /** The VM, where the source holds several (a libvirt URI, a multi-VM OVF). */
  vm?: string;
  /** The family the VM runs on now, when the user knows better than tiosa's guess. */
  from?: HardwareFamily;
  /** Called with progress lines (reading a disk boots libguestfs' appliance: half a minute under TCG). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Reads what `tiosa assess` looks at: a libvirt VM (`qemu:///system` + vm), a descriptor
 * (OVF, OVA, VMX, libvirt XML; its disk too when it is at hand), or a bare disk image. The
 * disk is read read-only through libguestfs (a throw-away overlay; one appliance per image).
 */
export async function readSubject(source: string, o: SubjectOptions = {}): Promise<AssessSubject> {
  if (/^[a-z][a-z0-9+]*:\/\//i.test(source)) return fromLibvirt(source, o);
  const st = await stat(source).catch(() => null);
  if (!st?.isFile()) throw new UserError(`assess: '${source}' is neither a libvirt URI nor an existing file`);
  const header = await readImageHeader(source);
  if (MAGIC_FORMAT[header.magic] || header.magic === "vmdk-descriptor") return fromDisk(source, MAGIC_FORMAT[header.magic] ?? "vmdk", o);
  if (await looksLikeOva(source)) return fromOva(source, o);
  if (await looksLikeRawDisk(source, st.size)) return fromDisk(source, "raw", o);
  return fromDescriptor(source, o);
}

async function looksLikeOva(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    return bytesRead === 512 && looksLikeTar(b);
  } finally { await fh.close(); }
}

/** An MBR boot signature (or a GPT protective MBR) at byte 510 of a file of whole sectors. */
async function looksLikeRawDisk(path: string, size: number): Promise<boolean> {
  if (size < 1024 * 1024 || size % 512 !== 0) return false;
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(512);
    await fh.read(b, 0, 512, 0);
    return b[510] === 0x55 && b[511] === 0xaa;
  } finally { await fh.close(); }
}

type FactsRead = { facts: GuestFacts | null; factsMissing?: string };

/** Reads the guest from its disks, all in one appliance so inspection mounts what fstab puts on each. */
async function guestFactsOf(disks: { path: string; format: string }[], o: SubjectOptions): Promise<FactsRead> {
  const [first, ...more] = disks;
  if (!first) return { facts: null, factsMissing: "no disk to read" };
  const names = disks.map((d) => d.path).join(", ");
  o.progress?.(`assess: reading the guest in ${names} (libguestfs, read-only)`);
  try {
    const r = await runScriptOffline(first.path, first.format, factsScript(), { readonly: true, timeoutMs: 10 * 60_000, moreDisks: more, ...(o.signal ? { signal: o.signal } : {}) });
    return { facts: parseFacts(r.output, "offline") };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { facts: null, factsMissing: `libguestfs could not read ${names}: ${errorMessage(e)}` };
  }
}

function pickVm(vms: VmInventory[], where: string, name?: string): VmInventory {
  if (name) {
    const v = vms.find((x) => x.name === name);
    if (!v) throw new UserError(`assess: ${where} has no VM named '${name}' (it has: ${vms.map((x) => x.name).join(", ") || "none"})`);
    return v;
  }
  if (vms.length !== 1) throw new UserError(`assess: ${where} describes ${vms.length} VMs (${vms.map((x) => x.name).join(", ")}); name one with --vm`);
  return vms[0]!;
}

const hardDisks = (inv: VmInventory) => inv.disks.filter((d) => d.device === "disk" && d.source);

async function fromDisk(path: string, format: string, o: SubjectOptions): Promise<AssessSubject> {
  // Someone else's image: its header and qemu-img's reading are checked before libguestfs opens it.
  await safeImageInfo(path, format, path, o.signal);
  return { source: path, inventory: null, sourceFamily: o.from ?? null, ...(await guestFactsOf([{ path, format }], o)) };
}

async function fromOva(path: string, o: SubjectOptions): Promise<AssessSubject> {
  const pkg = await openOva(path, { ...(o.signal ? { signal: o.signal } : {}) });
  try {
    const inv = pickVm(pkg.descriptor.vms.map((v) => ({ ...v, origin: "ova" })), path, o.vm);
    const read = pkg.disks.length ? await guestFactsOf(pkg.disks.map((d) => ({ path: d.path, format: d.info.format })), o) : { facts: null, factsMissing: "the OVA holds no disk" };
    return { source: path, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
  } finally {
    await pkg.remove();
  }
}

async function fromDescriptor(path: string, o: SubjectOptions): Promise<AssessSubject> {
  const hv = await readDescriptor(path);
  const inv = pickVm(hv.vms, path, o.vm);
  const disks = hardDisks(inv);
  if (!disks.length) return { source: path, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), facts: null, factsMissing: "the descriptor names no disk" };
  const found: { path: string; format: string }[] = [];
  const missing: string[] = [];
  for (const d of disks) {
    const p = isAbsolute(d.source!) ? d.source! : resolve(dirname(path), d.source!);
    if (!(await stat(p).then((s) => s.isFile(), () => false))) { missing.push(`${d.source} (looked for ${p})`); continue; }
    const h = await readImageHeader(p);
    const format = d.format && d.format !== "iso" ? d.format : MAGIC_FORMAT[h.magic] ?? "raw";
    await safeImageInfo(p, format, `${path}: disk ${d.source}`, o.signal);
    found.push({ path: p, format });
  }
  // The guest is read only whole: a missing data disk could hold /var or /boot.
  const read: FactsRead = missing.length
    ? { facts: null, factsMissing: `its disk${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not at hand` }
    : await guestFactsOf(found, o);
  return { source: path, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
}

async function fromLibvirt(uri: string, o: SubjectOptions): Promise<AssessSubject> {
  if (!o.vm) throw new UserError(`assess: give the VM on ${uri} with --vm NAME`);
  const driver = openDriver(uri);
  const inv = await driver.vmInventory(o.vm, o.signal);
  const source = `${uri} VM '${o.vm}'`;
  const disks = hardDisks(inv);
  const local = !/\+ssh|\+tcp|\+tls|:\/\/[^/]/.test(uri);
  // The hypervisor's own disks (trusted: they may be overlays on a base image); read through throw-away overlays.
  const read: FactsRead = !disks.length ? { facts: null, factsMissing: "the VM has no disk with a source" }
    : !local ? { facts: null, factsMissing: `its disk ${disks[0]!.source} is on the remote host of ${uri}` }
      : await guestFactsOf(disks.map((d) => ({ path: d.source!, format: d.format ?? "raw" })), o);
  return { source, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
}
