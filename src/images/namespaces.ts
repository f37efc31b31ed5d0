import { readdir, readFile, readlink } from "node:fs/promises";
import { run } from "../util/exec.js";

/**
 * Mount points under `dir` that other mount namespaces hold. A process that calls
 * `unshare -m` (e.g. a second libvirtd for migration tests) while a build has its file
 * system mounted gets a copy of that mount; unmounting ours then leaves the ext4 file system
 * active (journal not checkpointed, loop device busy), and an image converted from it would
 * be inconsistent. Returns, per foreign namespace, one pid in it and the mount points.
 */
async function foreignMountsUnder(dir: string): Promise<{ pid: number; mountPoints: string[] }[]> {
  const own = await readlink("/proc/self/ns/mnt").catch(() => "");
  const seen = new Set<string>([own]);
  const found: { pid: number; mountPoints: string[] }[] = [];
  for (const e of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const ns = await readlink(`/proc/${e}/ns/mnt`).catch(() => "");
    if (!ns || seen.has(ns)) continue;
    seen.add(ns);
    const info = await readFile(`/proc/${e}/mountinfo`, "utf8").catch(() => "");
    const points = info.split("\n").map((l) => l.split(" ")[4]).filter((p): p is string => !!p)
      .map((p) => p.replace(/\\040/g, " "))
      .filter((p) => p === dir || p.startsWith(dir + "/"));
    if (points.length) found.push({ pid: Number(e), mountPoints: [...new Set(points)].sort((a, b) => b.length - a.length) });
  }
  return found;
}

/** Unmounts the build's mounts from the namespaces that copied them (deepest first). */
export async function releaseForeignMounts(dir: string): Promise<string[]> {
  const released: string[] = [];
  for (const { pid, mountPoints } of await foreignMountsUnder(dir)) {
    for (const m of mountPoints) {
      const r = await run("nsenter", ["-t", String(pid), "-m", "--", "umount", "-l", m], { timeoutMs: 30_000 });
      if (r.code === 0) released.push(`${m} (namespace of pid ${pid})`);
    }
  }
  return released;
}
