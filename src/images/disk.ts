import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk, haveCommand } from "../util/exec.js";
import { UserError } from "../errors.js";
import { releaseForeignMounts } from "./namespaces.js";

export type DiskMethod = "loop" | "libguestfs";

/** The one partition starts at 1 MiB, leaving room for GRUB's core.img after the MBR. */
export const PARTITION_OFFSET = 1024 * 1024;

let cachedMethod: Promise<DiskMethod> | undefined;

/**
 * Loop devices if this machine lets us attach one at an offset (containers often do not),
 * else libguestfs. Tried for real once per process; TIOSA_DISK_METHOD=loop|libguestfs forces.
 */
export function detectDiskMethod(): Promise<DiskMethod> {
  const forced = process.env.TIOSA_DISK_METHOD;
  if (forced === "loop" || forced === "libguestfs") return Promise.resolve(forced);
  cachedMethod ??= (async (): Promise<DiskMethod> => {
    if (await loopWorks()) return "loop";
    if ((await haveCommand("guestfish")) && (await haveCommand("virt-make-fs"))) return "libguestfs";
    throw new UserError(
      "cannot make disk images here: loop devices cannot be attached (`losetup -o` failed) and libguestfs (guestfish, virt-make-fs) is not installed",
      "run as root on a machine with /dev/loop-control, or install libguestfs-tools",
    );
  })();
  return cachedMethod;
}

async function loopWorks(): Promise<boolean> {
  if (!(await haveCommand("losetup"))) return false;
  const dir = await mkdtemp(join(tmpdir(), "tiosa-loop-probe-"));
  try {
    const f = join(dir, "probe.img");
    await writeFile(f, "");
    await truncate(f, 4 * 1024 * 1024);
    const r = await run("losetup", ["--find", "--show", "--offset", String(PARTITION_OFFSET), f], { timeoutMs: 10_000 });
    if (r.code !== 0) return false;
    await run("losetup", ["-d", r.stdout.trim()], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A sparse raw disk with an MBR and one bootable Linux partition from 1 MiB to the end. */
export async function createMbrDisk(path: string, sizeMiB: number, signal?: AbortSignal): Promise<void> {
  await writeFile(path, "");
  await truncate(path, sizeMiB * 1024 * 1024);
  await runOk("sfdisk", ["--quiet", "--no-reread", "--no-tell-kernel", path], {
    input: `label: dos\nstart=${PARTITION_OFFSET / 512}, type=83, bootable\n`, timeoutMs: 30_000, ...(signal ? { signal } : {}),
  });
}

export async function attachLoop(file: string, opts: { offset?: number; sizeLimit?: number } = {}): Promise<string> {
  const args = ["--find", "--show"];
  if (opts.offset) args.push("--offset", String(opts.offset));
  if (opts.sizeLimit) args.push("--sizelimit", String(opts.sizeLimit));
  const r = await runOk("losetup", [...args, file], { timeoutMs: 30_000 });
  return r.stdout.trim();
}

export async function detachLoop(dev: string): Promise<void> {
  await run("losetup", ["-d", dev], { timeoutMs: 30_000 });
}

/**
 * Unmounts for real or fails: a lazy unmount would let the loop device go while the file
 * system is still being written, and the image converted from it would be inconsistent.
 * Processes still using the mount are killed (they are the build's own).
 */
export async function unmountStrict(path: string, processesUnder: (dir: string) => Promise<number[]>): Promise<void> {
  await run("sync", ["-f", path], { timeoutMs: 120_000 });
  await releaseForeignMounts(path);
  let last = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = await run("umount", [path], { timeoutMs: 120_000 });
    if (r.code === 0) return;
    last = r.stderr.trim();
    const pids = await processesUnder(path);
    for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
    await new Promise((res) => setTimeout(res, 1000));
    if (attempt === 3) last += pids.length ? ` (killed pids ${pids.join(" ")})` : "";
  }
  throw new Error(`cannot unmount ${path}: ${last}`);
}

/** Throws unless the ext4 file system on `device` was cleanly unmounted. */
export async function requireCleanExt4(device: string): Promise<void> {
  const r = await runOk("dumpe2fs", ["-h", device], { timeoutMs: 60_000 });
  const state = /^Filesystem state:\s*(.+)$/m.exec(r.stdout)?.[1]?.trim();
  const features = /^Filesystem features:\s*(.+)$/m.exec(r.stdout)?.[1] ?? "";
  if (state !== "clean" || /needs_recovery/.test(features)) {
    throw new Error(`the file system on ${device} was not cleanly unmounted (state ${state}, features ${features.trim()})`);
  }
}
