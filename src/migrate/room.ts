import { UserError } from "../errors.js";
import type { HypervisorDriver } from "../hypervisor/driver.js";
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
export async function checkTargetRoom(driver: HypervisorDriver, need: { diskActual: number; diskVirtual: number; memoryBytes: number }, signal?: AbortSignal): Promise<RoomCheck> {
  const warnings: string[] = [];
  const host = driver.capabilities.hostResources;
  const store = host ? await host.imageStore(signal) : { dir: "(unknown)", freeBytes: null };
  const freeDiskBytes = store.freeBytes;
  const mem = host ? await host.memory(signal) : { availableBytes: null, totalBytes: null, source: "the driver does not say" };
  const availableMemoryBytes = mem.availableBytes;
  const totalMemoryBytes = mem.totalBytes;
  const check: RoomCheck = {
    imageDir: store.dir, freeDiskBytes,
    neededDiskBytes: { actual: need.diskActual, virtual: need.diskVirtual },
    availableMemoryBytes, totalMemoryBytes, neededMemoryBytes: need.memoryBytes, warnings,
  };
  if (freeDiskBytes === null) warnings.push(`${driver.uri}: free space in ${store.dir} unknown (no storage pool there); disk room not checked`);
  else if (freeDiskBytes < need.diskActual) {
    throw new UserError(`target ${driver.uri} has ${formatBytes(freeDiskBytes)} free in ${store.dir}; the VM's disks hold ${formatBytes(need.diskActual)} (Sequence 2 step 6)`);
  } else if (freeDiskBytes < need.diskVirtual) {
    warnings.push(`${formatBytes(freeDiskBytes)} free in ${store.dir} is less than the disks' virtual size ${formatBytes(need.diskVirtual)}: the guest may fill it`);
  }
  if (availableMemoryBytes === null) warnings.push(`${driver.uri}: free memory unknown (${mem.source})`);
  else if (availableMemoryBytes < need.memoryBytes) {
    throw new UserError(`target ${driver.uri} has ${formatBytes(availableMemoryBytes)} of memory available; the VM needs ${formatBytes(need.memoryBytes)} (Sequence 2 step 6)`);
  }
  return check;
}
