import { UserError } from "../errors.js";
import { run, runOk } from "../util/exec.js";
import { magicFor, readImageHeader } from "./image-header.js";

/**
 * qemu-img wrappers for images that came from someone else. Every call names the format
 * (`-f`), so qemu never probes, uses `-U` so a running VM's image can be read, and never
 * follows a backing chain: an image that names a backing file or an external data file is
 * refused (a qcow2 naming /etc/shadow as its backing file is the textbook attack).
 */

export interface ImageInfo {
  path: string;
  format: string;
  virtualSize: number;
  actualSize: number | null;
  /** vmdk create-type (streamOptimized, monolithicSparse...), qcow2 compat, etc. */
  subformat: string | null;
  dirty: boolean;
}

export interface CheckResult {
  /** ok, corrupt, leaks, unsupported (format has no check), failed (check could not run to the end). */
  status: "ok" | "corrupt" | "leaks" | "unsupported" | "failed";
  detail: string;
}

const QEMU_IMG = "qemu-img";

/**
 * `qemu-img info --output=json -U -f FORMAT`, after our own header check. Throws a
 * UserError naming `label` (e.g. "x.ova: disk1.vmdk") when the image is not what it claims.
 */
export async function safeImageInfo(path: string, expectedFormat: string, label: string, signal?: AbortSignal): Promise<ImageInfo> {
  const header = await readImageHeader(path);
  if (header.magic === "vmdk-descriptor") {
    throw new UserError(`${label}: is a VMDK descriptor file pointing to extent(s) ${header.vmdkExtents.map((e) => JSON.stringify(e)).join(", ") || "(none)"}; only self-contained sparse/streamOptimized VMDKs are accepted`);
  }
  if (header.qcow2BackingFile !== null) throw new UserError(`${label}: qcow2 image names a backing file ${JSON.stringify(header.qcow2BackingFile)}; refused (backing files are never followed)`);
  if (header.qcow2ExternalData) throw new UserError(`${label}: qcow2 image uses an external data file; refused`);
  const want = magicFor(expectedFormat);
  if (want !== null && header.magic !== want) {
    throw new UserError(`${label}: expected a ${expectedFormat} image but its header says ${header.magic === "unknown" ? "raw/unknown data" : header.magic}`);
  }
  if (want === null && header.magic !== "unknown" && expectedFormat === "raw") {
    throw new UserError(`${label}: expected a raw image but its header says ${header.magic}; refused (a raw disk with an image header is a probing attack)`);
  }
  const r = await run(QEMU_IMG, ["info", "--output=json", "-U", "-f", expectedFormat, path], { timeoutMs: 60_000, signal });
  if (r.code !== 0) throw new UserError(`${label}: qemu-img cannot read it as ${expectedFormat}: ${lastLine(r.stderr)}`);
  let j: Record<string, unknown>;
  try { j = JSON.parse(r.stdout) as Record<string, unknown>; } catch { throw new Error(`qemu-img info ${path}: unparseable JSON`); }
  const format = String(j["format"] ?? "");
  if (format !== expectedFormat) throw new UserError(`${label}: qemu-img reads it as ${format}, expected ${expectedFormat}`);
  if (j["backing-filename"] !== undefined || j["full-backing-filename"] !== undefined) {
    throw new UserError(`${label}: names a backing file ${JSON.stringify(j["backing-filename"] ?? j["full-backing-filename"])}; refused`);
  }
  const fs = j["format-specific"] as { type?: string; data?: Record<string, unknown> } | undefined;
  if (fs?.data && fs.data["data-file"] !== undefined) throw new UserError(`${label}: names an external data file ${JSON.stringify(fs.data["data-file"])}; refused`);
  let subformat: string | null = null;
  if (fs?.type === "vmdk") {
    subformat = typeof fs.data?.["create-type"] === "string" ? (fs.data["create-type"] as string) : null;
    const extents = (fs.data?.["extents"] as Array<{ filename?: string }> | undefined) ?? [];
    const foreign = extents.filter((e) => e.filename !== undefined && e.filename !== path);
    if (foreign.length) throw new UserError(`${label}: VMDK extents point outside the image (${foreign.map((e) => e.filename).join(", ")}); refused`);
  } else if (fs?.type === "qcow2") {
    subformat = typeof fs.data?.["compat"] === "string" ? `compat ${fs.data["compat"] as string}` : null;
  }
  return {
    path, format,
    virtualSize: Number(j["virtual-size"]),
    actualSize: typeof j["actual-size"] === "number" ? (j["actual-size"] as number) : null,
    subformat,
    dirty: j["dirty-flag"] === true,
  };
}

/** `qemu-img check`; exit 63 means the format has no check (vpc, raw), which is recorded, not an error. */
export async function checkImage(path: string, format: string, signal?: AbortSignal): Promise<CheckResult> {
  const r = await run(QEMU_IMG, ["check", "-U", "-f", format, path], { timeoutMs: 10 * 60_000, signal });
  const msg = lastLine(r.stderr || r.stdout);
  switch (r.code) {
    case 0: return { status: "ok", detail: "no errors" };
    case 2: return { status: "corrupt", detail: msg };
    case 3: return { status: "leaks", detail: msg };
    case 63: return { status: "unsupported", detail: `qemu-img check does not support ${format}` };
    default: return { status: "failed", detail: msg || `exit ${r.code ?? r.signal}` };
  }
}

interface ConvertOptions {
  /** Target options such as subformat=streamOptimized, compat=1.1. */
  targetOptions?: string[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** `qemu-img convert -f SRC -O DST`; the source must already have passed safeImageInfo. */
export async function convertImage(src: string, srcFormat: string, dst: string, dstFormat: string, opts: ConvertOptions = {}): Promise<{ durationMs: number }> {
  const args = ["convert", "-U", "-f", srcFormat, "-O", dstFormat];
  if (opts.targetOptions?.length) args.push("-o", opts.targetOptions.join(","));
  args.push(src, dst);
  const r = await runOk(QEMU_IMG, args, { timeoutMs: opts.timeoutMs ?? 60 * 60_000, signal: opts.signal });
  return { durationMs: r.durationMs };
}

function lastLine(s: string): string {
  const lines = s.trim().split("\n").map((l) => l.replace(/^qemu-img:\s*/, "").trim()).filter(Boolean);
  return lines.slice(-2).join(" | ");
}
