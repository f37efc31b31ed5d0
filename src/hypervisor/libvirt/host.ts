import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { HostResources, RemoteVolumes } from "../capabilities.js";
import { POOL_ROOT } from "./storage.js";
import type { Virsh } from "./virsh.js";

/**
 * `virsh nodememstats` => memory the host can give (free + buffers + cached) and its total,
 * in bytes; null where the output does not say.
 */
export function parseNodeMemStats(text: string): { availableBytes: number | null; totalBytes: number | null } {
  const kib = (k: string) => { const m = new RegExp(`^\\s*${k}\\s*:\\s*(\\d+)\\s*KiB`, "m").exec(text); return m ? Number(m[1]) * 1024 : null; };
  const free = kib("free");
  return { availableBytes: free === null ? null : free + (kib("buffers") ?? 0) + (kib("cached") ?? 0), totalBytes: kib("total") };
}

/** The host's memory (nodememstats, nodeinfo) and the free space where its images go. */
export function libvirtHostResources(virsh: Virsh, local: boolean): HostResources {
  return {
    async memory(signal) {
      const mem = parseNodeMemStats((await virsh.raw(["nodememstats"], { signal })).stdout);
      const info = await virsh.raw(["nodeinfo"], { signal });
      const tm = /Memory size:\s*(\d+)\s*KiB/.exec(info.stdout);
      return { availableBytes: mem.availableBytes, totalBytes: tm ? Number(tm[1]) * 1024 : mem.totalBytes, source: "virsh nodememstats" };
    },
    async imageStore(signal) {
      return { dir: POOL_ROOT, freeBytes: local ? await localFree(POOL_ROOT) : await remotePoolFree(virsh, signal) };
    },
  };
}

async function localFree(dir: string): Promise<number | null> {
  // The images directory may not exist yet (libvirt creates it with its first pool).
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = await statfs(d);
      return s.bavail * s.bsize;
    } catch {
      if (d === dirname(d)) return null;
    }
  }
}

async function remotePoolFree(virsh: Virsh, signal?: AbortSignal): Promise<number | null> {
  const names = (await virsh.raw(["pool-list", "--name"], { signal })).stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  for (const p of names) {
    const xml = (await virsh.raw(["pool-dumpxml", p], { signal })).stdout;
    const path = /<path>([^<]*)<\/path>/.exec(xml)?.[1];
    if (path !== POOL_ROOT && !path?.startsWith(`${POOL_ROOT}/`)) continue;
    const info = (await virsh.raw(["pool-info", "--bytes", p], { signal })).stdout;
    const m = /Available:\s*(\d+)/.exec(info);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Volumes of a remote host, through libvirt's stream API (no shared file system assumed). */
export function libvirtRemoteVolumes(virsh: Virsh): RemoteVolumes {
  return {
    async download(path, dst, signal) {
      await virsh.ok(["vol-download", "--sparse", "--vol", path, dst], { signal, timeoutMs: 3 * 60 * 60_000 });
    },
    async allocatedBytes(path, signal) {
      const r = await virsh.raw(["vol-info", "--bytes", "--vol", path], { signal });
      const m = /Allocation:\s*(\d+)/.exec(r.stdout);
      return m ? Number(m[1]) : 0;
    },
  };
}
