import { runOk } from "../util/exec.js";

export interface ImageSize {
  virtualSize: number;
  actualSize: number;
}

/**
 * `qemu-img info` of an image on the source hypervisor (the user's own VM, whose backing
 * chain, if any, qemu-img convert flattens): sizes for the step 6 room check.
 */
export async function imageSize(path: string, format: string, signal?: AbortSignal): Promise<ImageSize> {
  const r = await runOk("qemu-img", ["info", "--output=json", "-U", "-f", format, path], { timeoutMs: 60_000, signal });
  const j = JSON.parse(r.stdout) as { "virtual-size"?: number; "actual-size"?: number };
  return { virtualSize: Number(j["virtual-size"] ?? 0), actualSize: Number(j["actual-size"] ?? 0) };
}
