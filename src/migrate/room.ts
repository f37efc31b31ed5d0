import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { UserError } from "../errors.js";
import { POOL_ROOT, type LibvirtDriver } from "../hypervisor/libvirt/driver.js";
import { formatBytes } from "../util/bytes.js";

export interface RoomCheck {
  /** Where the target keeps tiosa's images. */
  imageDir: string;
  /** Free bytes there (null: the target does not say). */
  freeDiskBytes: number | null;
  /** What the imported disks will take: at least the data they hold, at most their virtual size. */
  neededDiskBytes: { actual: number; virtual: number };
  /** Memory the target can give (free + buffers + cache) and its total. */
  availableMemoryBytes: number | null;
  totalMemoryBytes: number | null;
  neededMemoryBytes: number;
  warnings: string[];
}

/**
 * Sequence 2 step 6: does the target have room for the VM? Disk: free space where the
 * target keeps images against the disks' data (refused below it; warned below their
 * virtual size, which a thin image may grow to). Memory: free memory (`virsh nodememstats`:
 * free + buffers + cached) against the VM's.
 */
export async function checkTargetRoom(driver: LibvirtDriver, need: { diskActual: number; diskVirtual: number; memoryBytes: number }, signal?: AbortSignal): Promise<RoomCheck> {
  const warnings: string[] = [];
  const freeDiskBytes = driver.local ? await localFree(POOL_ROOT) : await remotePoolFree(driver, signal);
  const mem = await driver.virsh.raw(["nodememstats"], { signal });
  const kib = (k: string) => { const m = new RegExp(`^\\s*${k}\\s*:\\s*(\\d+)\\s*KiB`, "m").exec(mem.stdout); return m ? Number(m[1]) * 1024 : null; };
  const free = kib("free");
  const availableMemoryBytes = free === null ? null : free + (kib("buffers") ?? 0) + (kib("cached") ?? 0);
  const info = await driver.virsh.raw(["nodeinfo"], { signal });
  const tm = /Memory size:\s*(\d+)\s*KiB/.exec(info.stdout);
  const totalMemoryBytes = tm ? Number(tm[1]) * 1024 : kib("total");
  const check: RoomCheck = {
    imageDir: POOL_ROOT, freeDiskBytes,
    neededDiskBytes: { actual: need.diskActual, virtual: need.diskVirtual },
    availableMemoryBytes, totalMemoryBytes, neededMemoryBytes: need.memoryBytes, warnings,
  };
  if (freeDiskBytes === null) warnings.push(`${driver.uri}: free space in ${POOL_ROOT} unknown (no storage pool there); disk room not checked`);
  else if (freeDiskBytes < need.diskActual) {
    throw new UserError(`target ${driver.uri} has ${formatBytes(freeDiskBytes)} free in ${POOL_ROOT}; the VM's disks hold ${formatBytes(need.diskActual)} (Sequence 2 step 6)`);
  } else if (freeDiskBytes < need.diskVirtual) {
    warnings.push(`${formatBytes(freeDiskBytes)} free in ${POOL_ROOT} is less than the disks' virtual size ${formatBytes(need.diskVirtual)}: the guest may fill it`);
  }
  if (availableMemoryBytes === null) warnings.push(`${driver.uri}: free memory unknown (virsh nodememstats)`);
  else if (availableMemoryBytes < need.memoryBytes) {
    throw new UserError(`target ${driver.uri} has ${formatBytes(availableMemoryBytes)} of memory available; the VM needs ${formatBytes(need.memoryBytes)} (Sequence 2 step 6)`);
  }
  return check;
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

async function remotePoolFree(driver: LibvirtDriver, signal?: AbortSignal): Promise<number | null> {
  const names = (await driver.virsh.raw(["pool-list", "--name"], { signal })).stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  for (const p of names) {
    const xml = (await driver.virsh.raw(["pool-dumpxml", p], { signal })).stdout;
    const path = /<path>([^<]*)<\/path>/.exec(xml)?.[1];
    if (path !== POOL_ROOT && !path?.startsWith(`${POOL_ROOT}/`)) continue;
    const info = (await driver.virsh.raw(["pool-info", "--bytes", p], { signal })).stdout;
    const m = /Available:\s*(\d+)/.exec(info);
    if (m) return Number(m[1]);
  }
  return null;
}
