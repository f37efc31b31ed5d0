import { stat } from "node:fs/promises";

/**
 * Bytes a file really occupies (allocated blocks, capped by its length): a sparse raw or
 * qcow2 image is counted by the data it holds, which is what a tool reads or writes.
 */
export async function allocatedBytes(path: string): Promise<number> {
  const s = await stat(path);
  return Math.min(s.size, s.blocks * 512);
}

export async function totalAllocated(paths: readonly string[]): Promise<number> {
  let n = 0;
  for (const p of paths) n += await allocatedBytes(p).catch(() => 0);
  return n;
}
