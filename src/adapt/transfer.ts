import { copyFile, mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { run, runOk } from "../util/exec.js";
import { sparsifyInPlace } from "./guestfs.js";

/**
 * Moving only what the target needs: the allocated blocks (after a trim), compressed, and,
 * when the target already holds the same base image (a golden image, or an earlier
 * migration of this guest), only the clusters that differ from it, as a qcow2 overlay.
 * The result is compared block by block with the source before anything boots it.
 */
interface TransferOptions {
  source: string;
  sourceFormat: string;
  /** Where the transferred image is written (what crosses the wire). */
  output: string;
  /**
   * A base image both sides hold: the output is then a qcow2 overlay on it. qemu-img convert -B
   * copies only the clusters allocated in the source's TOP layer, so the source must be an
   * overlay whose backing has the base's content (as adapt's working overlays are); anything
   * else is caught by the block-by-block comparison, which fails the transfer.
   */
  base?: { path: string; format: string };
  /** Discard free blocks first (virt-sparsify --in-place; the source must be a disposable copy). */
  trim?: boolean;
  /**
   * The file the shares are measured against, when `source` is a working overlay on the user's
   * image (an overlay's own size says nothing about how big the guest's image is).
   */
  measureAgainst?: string;
  signal?: AbortSignal;
}

export interface TransferResult {
  mode: "compressed" | "delta";
  output: string;
  /** Bytes of the file that crosses the wire. */
  transferredBytes: number;
  /** Bytes of a plain copy of the source image file (the "dead copy"). */
  sourceFileBytes: number;
  sourceVirtualBytes: number;
  /** transferredBytes / sourceFileBytes. */
  shareOfSource: number;
  shareOfVirtual: number;
  base: string | null;
  verified: boolean;
  timingsMs: { trim: number; convert: number; verify: number };
}

async function virtualSize(path: string, format: string, signal?: AbortSignal): Promise<number> {
  const r = await runOk("qemu-img", ["info", "-U", "--output=json", "-f", format, path], { timeoutMs: 60_000, signal });
  const size = (JSON.parse(r.stdout) as { "virtual-size"?: number })["virtual-size"];
  if (typeof size !== "number") throw new Error(`qemu-img info '${path}': no virtual-size`);
  return size;
}

/**
 * `qemu-img compare`: exit 0 identical, 1 different (the first differing offset is printed),
 * 2 and above an error. Contents are compared as the guest sees them (backing chains resolved).
 */
async function compareImages(a: string, aFormat: string, b: string, bFormat: string, signal?: AbortSignal): Promise<{ identical: boolean; detail: string; durationMs: number }> {
  const r = await run("qemu-img", ["compare", "-U", "-f", aFormat, "-F", bFormat, a, b], { timeoutMs: 60 * 60_000, signal });
  if (r.code !== 0 && r.code !== 1) throw new Error(`qemu-img compare '${a}' '${b}': exit ${r.code}: ${r.stderr.trim()}`);
  return { identical: r.code === 0, detail: (r.stdout + r.stderr).trim(), durationMs: r.durationMs };
}

export async function transferImage(o: TransferOptions): Promise<TransferResult> {
  const source = resolve(o.source), output = resolve(o.output);
  const srcStat = await stat(source).catch(() => undefined);
  if (!srcStat?.isFile()) throw new UserError(`source image '${o.source}' does not exist or is not a file`);
  if (output === source) throw new UserError(`transfer output '${o.output}' is the source image itself`);
  await mkdir(dirname(output), { recursive: true });
  const timings = { trim: 0, convert: 0, verify: 0 };
  if (o.trim) timings.trim = (await sparsifyInPlace(source, o.sourceFormat, o.signal)).durationMs;
  const sourceFileBytes = (await stat(o.measureAgainst ? resolve(o.measureAgainst) : source)).size;
  const sourceVirtualBytes = await virtualSize(source, o.sourceFormat, o.signal);

  const args = ["convert", "-U", "-c", "-f", o.sourceFormat, "-O", "qcow2"];
  let base: string | null = null;
  if (o.base) {
    base = resolve(o.base.path);
    const bsize = await virtualSize(base, o.base.format, o.signal);
    if (bsize !== sourceVirtualBytes) throw new UserError(`base image '${o.base.path}' is ${bsize} bytes, the source ${sourceVirtualBytes}: not the same disk`);
    args.push("-B", base, "-F", o.base.format);
  }
  args.push(source, output);
  timings.convert = (await runOk("qemu-img", args, { timeoutMs: 60 * 60_000, signal: o.signal })).durationMs;

  const cmp = await compareImages(source, o.sourceFormat, output, "qcow2", o.signal);
  timings.verify = cmp.durationMs;
  if (!cmp.identical) throw new Error(`transferred image '${output}' differs from the source: ${cmp.detail}`);

  const transferredBytes = (await stat(output)).size;
  return {
    mode: base ? "delta" : "compressed", output, transferredBytes, sourceFileBytes, sourceVirtualBytes,
    shareOfSource: transferredBytes / sourceFileBytes, shareOfVirtual: transferredBytes / sourceVirtualBytes,
    base, verified: true, timingsMs: timings,
  };
}

/** A plain copy of the image file: the "dead copy" the seed compares against. */
export async function deadCopy(source: string, output: string): Promise<{ transferredBytes: number; durationMs: number }> {
  const start = Date.now();
  await mkdir(dirname(resolve(output)), { recursive: true });
  await copyFile(source, output);
  return { transferredBytes: (await stat(output)).size, durationMs: Date.now() - start };
}
