import { readdir, rm, readFile, readlink, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { run } from "../util/exec.js";
import { releaseForeignMounts } from "./namespaces.js";
import { processAlive } from "../util/process.js";

/** `${XDG_CACHE_HOME:-~/.cache}/tiosa/images` */
export function imageCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith("/")
    ? process.env.XDG_CACHE_HOME
    : join(homedir(), ".cache");
  return join(base, "tiosa", "images");
}

export const imageDirName = (name: string, hash: string) => `${name}-${hash}`;

/** Build dirs are `.build-<name>-<hash>-<pid>-<random>` next to the finished ones. */
export const BUILD_DIR_PREFIX = ".build-";
export const buildDirName = (name: string, hash: string) =>
  `${BUILD_DIR_PREFIX}${name}-${hash}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

export function pidOfBuildDir(dirName: string): number | undefined {
  const m = /-(\d+)-[a-z0-9]+$/.exec(dirName);
  return m ? Number(m[1]) : undefined;
}

/** Mount points at or below `dir`, deepest first (so they can be unmounted in order). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  const points = text.split("\n").map((l) => l.split(" ")[1]).filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(dir + "/"));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Loop devices whose backing file lies under `dir`. */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const r = await run("losetup", ["--list", "--noheadings", "--output", "NAME,BACK-FILE"], { timeoutMs: 10_000 }).catch(() => undefined);
  if (!r || r.code !== 0) return [];
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/, 2)).filter((p) => p.length === 2 && p[1]!.startsWith(dir + "/")).map((p) => p[0]!);
}

/**
 * Processes working on `dir`: their root, cwd or command line points into it. A killed
 * mmdebstrap leaves apt/dpkg children behind, which would keep writing into a removed build.
 */
export async function processesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const e of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const p = `/proc/${e}`;
    const root = await readlink(`${p}/root`).catch(() => "");
    const cwd = await readlink(`${p}/cwd`).catch(() => "");
    const cmd = await readFile(`${p}/cmdline`, "latin1").catch(() => "");
    const inside = (x: string) => x === dir || x.startsWith(dir + "/");
    if (inside(root) || inside(cwd) || cmd.split("\0").some((a) => a.includes(dir + "/") || a === dir)) pids.push(Number(e));
  }
  return pids;
}

/** Kills the processes under `dir`, then unmounts everything under it and detaches its loop devices. Best effort. */
export async function releaseDir(dir: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const pids = await processesUnder(dir);
    if (!pids.length) break;
    for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch { /* gone already */ } }
    await new Promise((r) => setTimeout(r, 500));
  }
  await releaseForeignMounts(dir);
  for (const m of await mountsUnder(dir)) {
    const r = await run("umount", [m], { timeoutMs: 30_000 }).catch(() => undefined);
    if (!r || r.code !== 0) await run("umount", ["-l", m], { timeoutMs: 30_000 }).catch(() => undefined);
  }
  for (const l of await loopDevicesUnder(dir)) await run("losetup", ["-d", l], { timeoutMs: 10_000 }).catch(() => undefined);
}

/**
 * Removes build dirs left by builds that died (kill -9, power loss): their process is gone.
 * Returns the removed names.
 */
export async function removeDeadBuilds(cacheDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(cacheDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(BUILD_DIR_PREFIX)) continue;
    const pid = pidOfBuildDir(n);
    if (pid !== undefined && pid !== process.pid && processAlive(pid)) continue;
    if (pid === process.pid) continue;
    const p = join(cacheDir, n);
    await releaseDir(p);
    await rm(p, { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** Bytes allocated on disk by a file (sparse files count what they use). */
export async function allocatedBytes(path: string): Promise<number> {
  const s = await stat(path);
  return s.blocks * 512;
}
