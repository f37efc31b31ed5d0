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

async function guestFactsOf(image: string, format: string, o: SubjectOptions): Promise<{ facts: GuestFacts | null; factsMissing?: string }> {
  o.progress?.(`assess: reading the guest in ${image} (libguestfs, read-only)`);
  try {
    const r = await runScriptOffline(image, format, factsScript(), { readonly: true, timeoutMs: 10 * 60_000, ...(o.signal ? { signal: o.signal } : {}) });
    return { facts: parseFacts(r.output, "offline") };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { facts: null, factsMissing: `libguestfs could not read ${image}: ${errorMessage(e)}` };
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

const firstDisk = (inv: VmInventory) => inv.disks.find((d) => d.device === "disk" && d.source);

async function fromDisk(path: string, format: string, o: SubjectOptions): Promise<AssessSubject> {
  // Someone else's image: its header and qemu-img's reading are checked before libguestfs opens it.
  await safeImageInfo(path, format, path, o.signal);
  return { source: path, inventory: null, sourceFamily: o.from ?? null, ...(await guestFactsOf(path, format, o)) };
}

async function fromOva(path: string, o: SubjectOptions): Promise<AssessSubject> {
  const pkg = await openOva(path, { ...(o.signal ? { signal: o.signal } : {}) });
  try {
    const inv = pickVm(pkg.descriptor.vms.map((v) => ({ ...v, origin: "ova" })), path, o.vm);
    const disk = pkg.disks[0];
    const read = disk ? await guestFactsOf(disk.path, disk.info.format, o) : { facts: null, factsMissing: "the OVA holds no disk" };
    return { source: path, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
  } finally {
    await pkg.remove();
  }
}

async function fromDescriptor(path: string, o: SubjectOptions): Promise<AssessSubject> {
  const hv = await readDescriptor(path);
  const inv = pickVm(hv.vms, path, o.vm);
  const d = firstDisk(inv);
  let read: { facts: GuestFacts | null; factsMissing?: string } = { facts: null, factsMissing: "the descriptor names no disk" };
  if (d?.source) {
    const p = isAbsolute(d.source) ? d.source : resolve(dirname(path), d.source);
    const ok = await stat(p).then((s) => s.isFile(), () => false);
    if (!ok) read = { facts: null, factsMissing: `its disk ${d.source} is not at hand (looked for ${p})` };
    else {
      const h = await readImageHeader(p);
      const format = d.format && d.format !== "iso" ? d.format : MAGIC_FORMAT[h.magic] ?? "raw";
      await safeImageInfo(p, format, `${path}: disk ${d.source}`, o.signal);
      read = await guestFactsOf(p, format, o);
    }
  }
  return { source: path, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
}

async function fromLibvirt(uri: string, o: SubjectOptions): Promise<AssessSubject> {
  if (!o.vm) throw new UserError(`assess: give the VM on ${uri} with --vm NAME`);
  const driver = openDriver(uri);
  const inv = await driver.vmInventory(o.vm, o.signal);
  const source = `${uri} VM '${o.vm}'`;
  const d = firstDisk(inv);
  let read: { facts: GuestFacts | null; factsMissing?: string } = { facts: null, factsMissing: "the VM has no disk with a source" };
  const local = !/\+ssh|\+tcp|\+tls|:\/\/[^/]/.test(uri);
  if (d?.source && !local) read = { facts: null, factsMissing: `its disk ${d.source} is on the remote host of ${uri}` };
  else if (d?.source) {
    // The hypervisor's own disk (trusted: it may be an overlay on a base image); read through a throw-away overlay.
    read = await guestFactsOf(d.source, d.format ?? "raw", o);
  }
  return { source, inventory: inv, sourceFamily: o.from ?? familyOfInventory(inv), ...read };
}
