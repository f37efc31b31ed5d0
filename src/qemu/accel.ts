import { access, constants, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run, haveCommand } from "../util/exec.js";
import { newcCpio } from "./cpio.js";

export type Accel = "kvm" | "tcg";

/**
 * How tiosa chose the accelerator its guests run under, with the evidence: `tiosa doctor`
 * prints it, boots record it.
 */
export interface AccelDecision {
  accel: Accel;
  /** Why, in a sentence for people. */
  reason: string;
  /** forced: TIOSA_ACCEL; probe: booted just now; cache: a probe of this machine earlier; stall: a kvm guest stopped making progress. */
  source: "forced" | "probe" | "cache" | "stall";
  /** The kernel the probe booted (null when nothing was booted). */
  kernel: string | null;
  /** Each boot the probe made, in order. */
  probes: KernelProbe[];
  /** When the decision was reached (ISO 8601). */
  decidedAt: string;
}

export interface KernelProbe {
  accel: Accel;
  /** The kernel reached userspace and printed the marker. */
  ok: boolean;
  seconds: number;
  /** What happened, for people: "marker after 4.2 s", or the last console lines. */
  detail: string;
}

/**
 * Does KVM run guests here? A /dev/kvm can be a shim that QEMU accepts and that runs boot code
 * and GRUB, yet stalls a Linux kernel (measured on this project's machines: GRUB printed
 * "Loading initial ramdisk ..." and then nothing for 11 minutes at 100% of a core). So the
 * probe boots what a campaign needs: a Linux kernel (the host's Debian kernel, the one
 * tiosa's images and libguestfs' appliance run) with a tiny initramfs whose /init prints a
 * marker on the serial console and powers off. Under real KVM that takes about a second.
 */
export const PROBE_MARKER = "tiosa-kernel-ok";

/** KVM gets this long to bring the kernel to its marker: real KVM needs ~1 s. */
export const KVM_PROBE_DEADLINE_MS = 10_000;
/** TCG's boot of the same kernel is only for the record (how long it takes); bounded anyway. */
const TCG_PROBE_DEADLINE_MS = 120_000;
/** A decision is kept this long, then probed again (a kernel, QEMU or /dev/kvm change probes at once). */
export const ACCEL_CACHE_TTL_MS = 6 * 3600_000;

/**
 * The probe's /init, a static x86-64 ELF built here from its machine code (no compiler or
 * static busybox needed). Source (GNU as, ld -static -nostdlib):
 *   fd = open("/dev/console", O_WRONLY); write(fd, "\ntiosa-kernel-ok\n", 17);
 *   reboot(0xfee1dead, 672274793, LINUX_REBOOT_CMD_POWER_OFF); for (;;) pause();
 * Should power-off fail, init dies, the kernel panics and panic=-1 with -no-reboot ends QEMU.
 */
const INIT_CODE =
  "b802000000488d3d3d000000be0100000031d20f0589c7b801000000488d3533000000ba110000000f05" +
  "b8a9000000bfaddee1febe69191228badcfe21430f05b8220000000f05ebf7" +
  Buffer.from("/dev/console\0\ntiosa-kernel-ok\n", "latin1").toString("hex");

/** A minimal ELF64 executable: header, one PT_LOAD program header, then the code at 0x400078. */
export function probeInitElf(): Buffer {
  const code = Buffer.from(INIT_CODE, "hex");
  const base = 0x400000, ehsize = 64, phsize = 56, entry = base + ehsize + phsize;
  const h = Buffer.alloc(ehsize + phsize);
  h.write("\x7fELF", 0, "latin1");
  h[4] = 2; h[5] = 1; h[6] = 1; // 64-bit, little-endian, ELF version 1 (System V ABI)
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(0x3e, 18); // x86-64
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(BigInt(entry), 24);
  h.writeBigUInt64LE(BigInt(ehsize), 32); // program headers right after the ELF header
  h.writeBigUInt64LE(0n, 40); // no section headers
  h.writeUInt16LE(ehsize, 52);
  h.writeUInt16LE(phsize, 54);
  h.writeUInt16LE(1, 56);
  h.writeUInt16LE(64, 58);
  const p = ehsize;
  h.writeUInt32LE(1, p); // PT_LOAD
  h.writeUInt32LE(5, p + 4); // R + X
  h.writeBigUInt64LE(0n, p + 8); // the whole file is mapped at base
  h.writeBigUInt64LE(BigInt(base), p + 16);
  h.writeBigUInt64LE(BigInt(base), p + 24);
  const size = BigInt(h.length + code.length);
  h.writeBigUInt64LE(size, p + 32);
  h.writeBigUInt64LE(size, p + 40);
  h.writeBigUInt64LE(0x1000n, p + 48);
  return Buffer.concat([h, code]);
}

/** The probe's initramfs: /dev/console and /init, as a newc cpio (made without root or mknod). */
export function probeInitramfs(): Buffer {
  return newcCpio([
    { name: "dev", mode: 0o040755 },
    { name: "dev/console", mode: 0o020600, rdev: [5, 1] },
    { name: "init", mode: 0o100755, data: probeInitElf() },
  ]);
}

/** The kernel to probe with: TIOSA_PROBE_KERNEL, else the newest readable /boot/vmlinuz-*. */
export async function findProbeKernel(): Promise<string | null> {
  const forced = process.env.TIOSA_PROBE_KERNEL;
  if (forced) return forced;
  const names = (await readdir("/boot").catch(() => [] as string[])).filter((f) => f.startsWith("vmlinuz-"));
  names.sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
  for (const n of names) {
    if (await access(join("/boot", n), constants.R_OK).then(() => true, () => false)) return join("/boot", n);
  }
  return null;
}

/**
 * Boots `kernel` with the probe initramfs under `accel`; ok when the marker came out of the
 * serial console before `deadlineMs`. QEMU ends by itself when /init powers off.
 */
export async function bootKernelProbe(accel: Accel, kernel: string, deadlineMs: number, signal?: AbortSignal): Promise<KernelProbe> {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-accel-"));
  try {
    const initrd = join(dir, "probe.cpio");
    await writeFile(initrd, probeInitramfs());
    const r = await run("qemu-system-x86_64", [
      // -cpu host as guests get it under KVM: a shim may also abort on the host model's MSRs.
      "-accel", accel, ...(accel === "kvm" ? ["-cpu", "host"] : []),
      "-machine", "pc", "-m", "256", "-smp", "1", "-nodefaults", "-display", "none", "-monitor", "none",
      "-serial", "stdio", "-no-reboot",
      "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet rdinit=/init",
    ], { timeoutMs: deadlineMs, signal, maxOutputBytes: 1 << 20 });
    const seconds = Math.round(r.durationMs / 100) / 10;
    const ok = r.stdout.includes(PROBE_MARKER);
    const last = r.stdout.replace(/\r/g, "").split("\n").map((l) => l.trim()).filter(Boolean).slice(-2).join(" | ");
    const detail = ok
      ? `the kernel reached userspace in ${seconds} s`
      : r.timedOut
        ? `no marker within ${deadlineMs / 1000} s${last ? ` (last console output: ${last})` : " (the console stayed silent)"}`
        : `QEMU ended (exit ${r.code ?? r.signal}) without the marker: ${(r.stderr.trim().split("\n").pop() || last || "no output").slice(0, 300)}`;
    return { accel, ok, seconds, detail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CACHE_VERSION = 1;

function cacheFile(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tiosa", "accel.json");
}

/**
 * What the decision depends on: the kernel probed, the QEMU that runs guests, and which
 * /dev/kvm (a module reload or another device gives another inode/ctime).
 */
async function probeKey(kernel: string | null): Promise<string> {
  const k = kernel ? await stat(kernel).then((s) => `${kernel}:${s.size}:${s.mtimeMs}`, () => `${kernel}:?`) : "none";
  const q = await run("qemu-system-x86_64", ["--version"], { timeoutMs: 10_000 }).then((r) => r.stdout.split("\n")[0]?.trim() ?? "?", () => "?");
  const d = await stat("/dev/kvm").then((s) => `${s.rdev}:${s.ino}:${s.ctimeMs}`, () => "absent");
  return JSON.stringify({ v: CACHE_VERSION, kernel: k, qemu: q, kvm: d });
}

async function readCached(key: string): Promise<AccelDecision | null> {
  try {
    const c = JSON.parse(await readFile(cacheFile(), "utf8")) as { key?: string; decision?: AccelDecision };
    if (c.key !== key || !c.decision) return null;
    if (!(Date.now() - Date.parse(c.decision.decidedAt) < ACCEL_CACHE_TTL_MS)) return null;
    return c.decision;
  } catch {
    return null;
  }
}

async function writeCached(key: string, decision: AccelDecision): Promise<void> {
  const f = cacheFile();
  try {
    await mkdir(dirname(f), { recursive: true });
    const tmp = `${f}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, decision }, null, 2));
    await rename(tmp, f);
  } catch { /* a cache that cannot be written only costs a probe next time */ }
}

/** Probes this machine now (no cache): KVM with a short deadline, TCG otherwise. */
export async function probeAccel(signal?: AbortSignal): Promise<AccelDecision> {
  const decidedAt = () => new Date().toISOString();
  if (!(await haveCommand("qemu-system-x86_64"))) {
    return { accel: "tcg", reason: "QEMU is not installed (package qemu-system-x86): nothing was booted", source: "probe", kernel: null, probes: [], decidedAt: decidedAt() };
  }
  const kernel = await findProbeKernel();
  if (!kernel) {
    return { accel: "tcg", reason: "no Linux kernel to probe with (none readable in /boot; install linux-image-amd64 or set TIOSA_PROBE_KERNEL): KVM untried", source: "probe", kernel: null, probes: [], decidedAt: decidedAt() };
  }
  const probes: KernelProbe[] = [];
  let why: string;
  const kvmUsable = await access("/dev/kvm", constants.R_OK | constants.W_OK).then(() => true, (e: NodeJS.ErrnoException) => e.code ?? "error");
  if (kvmUsable === true) {
    const k = await bootKernelProbe("kvm", kernel, KVM_PROBE_DEADLINE_MS, signal);
    probes.push(k);
    if (k.ok) return { accel: "kvm", reason: `KVM booted ${kernel} to userspace in ${k.seconds} s`, source: "probe", kernel, probes, decidedAt: decidedAt() };
    why = `KVM did not boot ${kernel}: ${k.detail}`;
  } else {
    why = kvmUsable === "ENOENT" ? "/dev/kvm does not exist (no KVM on this machine)" : `/dev/kvm cannot be opened for reading and writing (${kvmUsable})`;
  }
  // Booted too when KVM is out, so the record says what TCG costs and that the probe itself works.
  const t = await bootKernelProbe("tcg", kernel, TCG_PROBE_DEADLINE_MS, signal);
  probes.push(t);
  const tcg = t.ok ? `; TCG booted it to userspace in ${t.seconds} s` : `; TCG did not boot it either (${t.detail})`;
  return { accel: "tcg", reason: why + tcg, source: "probe", kernel, probes, decidedAt: decidedAt() };
}

let current: Promise<AccelDecision> | undefined;

/**
 * The accelerator for this machine's guests, with its reason. TIOSA_ACCEL=kvm|tcg wins; else a
 * cached probe of this machine (same kernel, QEMU and /dev/kvm, younger than
 * ACCEL_CACHE_TTL_MS); else a probe now, cached. Decided once per process.
 */
export function decideAccel(signal?: AbortSignal): Promise<AccelDecision> {
  const forced = process.env.TIOSA_ACCEL;
  if (forced === "kvm" || forced === "tcg") {
    return Promise.resolve({ accel: forced, reason: `TIOSA_ACCEL=${forced} (set by the user; no probe)`, source: "forced", kernel: null, probes: [], decidedAt: new Date().toISOString() });
  }
  current ??= (async () => {
    const kernel = await findProbeKernel();
    const key = await probeKey(kernel);
    const cached = await readCached(key);
    if (cached) return { ...cached, source: cached.source === "stall" ? "stall" : "cache" } satisfies AccelDecision;
    const d = await probeAccel(signal);
    await writeCached(key, d);
    return d;
  })();
  // A failed probe (e.g. aborted) must not poison the decision for the rest of the process.
  current.catch(() => { current = undefined; });
  return current;
}

/** `kvm` when KVM really boots a Linux kernel here, else `tcg` (see decideAccel). */
export async function detectAccel(signal?: AbortSignal): Promise<Accel> {
  return (await decideAccel(signal)).accel;
}

/** False when the user forced an accelerator: then a stalled guest is reported, not moved. */
export function kvmFallbackAllowed(): boolean {
  const forced = process.env.TIOSA_ACCEL;
  return forced !== "kvm" && forced !== "tcg";
}

/**
 * A kvm guest on this machine stopped making progress although the probe said KVM works:
 * TCG for the rest of this process and, through the cache, for the next runs until the probe
 * expires. Returns the decision now in force.
 */
export async function markKvmUnusable(reason: string): Promise<AccelDecision> {
  const previous = await (current ?? Promise.resolve(null)).catch(() => null);
  const d: AccelDecision = {
    accel: "tcg", reason: `a guest stalled under KVM: ${reason}`, source: "stall",
    kernel: previous?.kernel ?? null, probes: previous?.probes ?? [], decidedAt: new Date().toISOString(),
  };
  current = Promise.resolve(d);
  await writeCached(await probeKey(await findProbeKernel()), d);
  return d;
}

/** Forgets this process's decision (tests). */
export function resetAccelDecision(): void {
  current = undefined;
}
