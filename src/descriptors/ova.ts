import { createHash } from "node:crypto";
import { mkdir, mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import * as tar from "tar-stream";
import { UserError } from "../errors.js";
import { checkImage, safeImageInfo, type CheckResult, type ImageInfo } from "../disk/qemu-img.js";
import { openRegularFile } from "../util/regular-file.js";
import { parseManifest } from "./manifest.js";
import { parseOvf, type OvfDocument } from "./ovf-read.js";

/**
 * OVA reader. An OVA is a tar written by someone else, so it is read as hostile: streamed
 * with tar-stream (never `tar -x`), only regular files, only names the descriptor
 * references, each written with O_EXCL into a fresh work directory, sizes checked against
 * the descriptor before a byte is written, digests checked against the manifest, and every
 * disk checked with our own header read and `qemu-img info`/`check` without following
 * anything it names. Any failure removes the work directory.
 */

export interface OvaOptions {
  /** Largest single entry accepted (bytes). Default 256 GiB. */
  maxEntryBytes?: number;
  /** Largest descriptor / manifest accepted (bytes). Default 16 MiB. */
  maxDescriptorBytes?: number;
  /** Where the work directory is created (default os.tmpdir()). */
  parentDir?: string;
  /** Run qemu-img info/check on each disk (default true). */
  verifyDisks?: boolean;
  signal?: AbortSignal;
}

interface OvaEntryReport {
  name: string;
  size: number;
  role: "descriptor" | "manifest" | "certificate" | "disk" | "file";
  sha256: string;
  /** "sha256 ok", "sha1 ok", "not in manifest", "no manifest". */
  digest: string;
}

interface OvaDisk {
  diskId: string;
  href: string;
  path: string;
  info: ImageInfo;
  check: CheckResult;
}

interface OvaPackage {
  ova: string;
  workDir: string;
  descriptorName: string;
  descriptor: OvfDocument;
  entries: OvaEntryReport[];
  disks: OvaDisk[];
  /** One line per entry and per disk check, for `tiosa inspect`. */
  notes: string[];
  /** Removes the work directory. */
  remove(): Promise<void>;
}

const DEFAULT_MAX_ENTRY = 256 * 2 ** 30;
const DEFAULT_MAX_DESCRIPTOR = 16 * 2 ** 20;

/** True when the first 512 bytes are a ustar/GNU tar header. */
export function looksLikeTar(head: Buffer): boolean {
  return head.length >= 263 && head.subarray(257, 262).toString("latin1") === "ustar";
}

/** Reads, verifies and extracts an OVA into a fresh work directory; throws UserError naming the OVA and the entry. */
export async function openOva(ovaPath: string, opts: OvaOptions = {}): Promise<OvaPackage> {
  const maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  const maxDesc = opts.maxDescriptorBytes ?? DEFAULT_MAX_DESCRIPTOR;
  const { fh } = await openRegularFile(ovaPath);
  const workDir = await mkdtemp(join(opts.parentDir ?? tmpdir(), "tiosa-ova-")).catch(async (e) => { await fh.close(); throw e; });
  const remove = () => rm(workDir, { recursive: true, force: true });
  try {
    const pkg = await extractAndVerify(fh, ovaPath, workDir, maxEntry, maxDesc, opts);
    return { ...pkg, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** Reads the tar from `archive` (the opened, checked file; the stream closes it). */
async function extractAndVerify(archive: FileHandle, ova: string, workDir: string, maxEntry: number, maxDesc: number, opts: OvaOptions): Promise<Omit<OvaPackage, "remove">> {
  const fail = (entry: string | null, what: string): never => {
    throw new UserError(`${ova}: ${entry !== null ? `entry ${JSON.stringify(entry)}: ` : ""}${what}`);
  };
  const extract = tar.extract();
  const input = archive.createReadStream();
  input.on("error", (e) => extract.destroy(e));
  input.pipe(extract);
  const onAbort = () => extract.destroy(new UserError(`${ova}: reading aborted`));
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const seen = new Set<string>();
  const entries: OvaEntryReport[] = [];
  const sha1 = new Map<string, string>();
  let descriptor: OvfDocument | null = null;
  let descriptorName = "";
  let manifestText: string | null = null;
  let manifestName: string | null = null;
  let referenced = new Map<string, number | null>();

  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = h.name;
      if (h.type !== "file" && h.type !== "contiguous-file") {
        const what = h.type === "symlink" ? `is a symbolic link to ${JSON.stringify(h.linkname)}`
          : h.type === "link" ? `is a hard link to ${JSON.stringify(h.linkname)}`
          : h.type === "character-device" || h.type === "block-device" ? `is a device node (${h.type})`
          : h.type === "fifo" ? "is a FIFO" : h.type === "directory" ? "is a directory (an OVA holds only files)" : `has tar type ${h.type}`;
        fail(name, `${what}; refused`);
      }
      checkName(name, fail);
      if (seen.has(name)) fail(name, "appears twice in the archive; refused");
      seen.add(name);
      const size = h.size ?? 0;
      if (size > maxEntry) fail(name, `is ${size} bytes, over the ${maxEntry}-byte limit for one entry`);
      const dest = resolve(workDir, name);
      if (!dest.startsWith(workDir + sep)) fail(name, "would be written outside the work directory; refused");

      let role: OvaEntryReport["role"];
      if (descriptor === null) {
        if (!/\.ovf$/i.test(name)) fail(name, "is the first entry but is not the .ovf descriptor (an OVA must start with it)");
        if (size > maxDesc) fail(name, `descriptor is ${size} bytes, over the ${maxDesc}-byte limit`);
        role = "descriptor";
      } else if (/\.mf$/i.test(name)) {
        if (manifestName !== null) fail(name, `a second manifest (first: ${manifestName})`);
        if (size > maxDesc) fail(name, `manifest is ${size} bytes, over the ${maxDesc}-byte limit`);
        role = "manifest";
      } else if (/\.cert$/i.test(name)) {
        if (size > maxDesc) fail(name, `certificate is ${size} bytes, over the ${maxDesc}-byte limit`);
        role = "certificate";
      } else {
        if (!referenced.has(name)) fail(name, `is not referenced by the descriptor ${descriptorName}; refused`);
        const want = referenced.get(name);
        if (want !== null && want !== undefined && want !== size) fail(name, `is ${size} bytes but the descriptor's References say ovf:size=${want}`);
        role = descriptor.disks.some((d) => descriptor!.files.find((f) => f.id === d.fileRef)?.href === name) ? "disk" : "file";
      }

      await mkdir(dirname(dest), { recursive: true });
      const s256 = createHash("sha256"), s1 = createHash("sha1");
      const keep: Buffer[] | null = role === "descriptor" || role === "manifest" ? [] : null;
      const fh = await open(dest, "wx", 0o600);
      let written = 0;
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (written > size) fail(name, "holds more data than its header says");
          s256.update(chunk); s1.update(chunk);
          keep?.push(chunk);
          await fh.write(chunk);
        }
      } finally {
        await fh.close();
      }
      if (written !== size) fail(name, `is truncated: ${written} of ${size} bytes`);
      const digest256 = s256.digest("hex");
      sha1.set(name, s1.digest("hex"));
      entries.push({ name, size, role, sha256: digest256, digest: "" });

      if (role === "descriptor") {
        descriptor = parseOvf(Buffer.concat(keep!), `${ova}: ${name}`);
        descriptorName = name;
        referenced = new Map(descriptor.files.map((f) => [f.href, f.size] as const));
        for (const f of descriptor.files) {
          checkName(f.href, (_, what) => fail(name, `References a file ${JSON.stringify(f.href)} that ${what}`));
          if (f.chunkSize !== null) fail(name, `file ${f.href} is split into chunks (ovf:chunkSize); not supported`);
          if (f.compression !== null && f.compression !== "identity") fail(name, `file ${f.href} is ${f.compression}-compressed; not supported`);
        }
      } else if (role === "manifest") {
        manifestText = Buffer.concat(keep!).toString("utf8");
        manifestName = name;
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(`${ova}: not a readable tar archive (${msg})`);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    input.destroy();
  }

  if (descriptor === null) fail(null, "is empty or holds no .ovf descriptor");
  const desc = descriptor!;
  for (const f of desc.files) if (!seen.has(f.href)) fail(f.href, `is referenced by ${descriptorName} but missing from the archive`);

  const notes: string[] = [];
  if (manifestText !== null) {
    const { lines, bad } = parseManifest(manifestText);
    if (bad.length) fail(manifestName, `has ${bad.length} line(s) that are not ALGO(name)= digest, e.g. ${JSON.stringify(bad[0])}`);
    const byName = new Map(entries.map((e) => [e.name, e] as const));
    for (const l of lines) {
      const e = byName.get(l.name);
      if (!e) fail(manifestName, `lists ${JSON.stringify(l.name)}, which is not in the archive`);
      if (l.algorithm === "sha512") fail(manifestName, `uses SHA512 for ${l.name}; only SHA1 and SHA256 are verified`);
      const actual = l.algorithm === "sha256" ? e!.sha256 : sha1.get(l.name)!;
      if (actual !== l.digest) fail(l.name, `${l.algorithm.toUpperCase()} digest does not match the manifest ${manifestName} (manifest ${l.digest}, actual ${actual})`);
      e!.digest = `${l.algorithm} ok`;
    }
    for (const e of entries) {
      if (e.digest !== "") continue;
      if (e.role === "manifest" || e.role === "certificate") { e.digest = "n/a"; continue; }
      fail(e.name, `is not listed in the manifest ${manifestName}`);
    }
  } else {
    for (const e of entries) e.digest = "no manifest";
    notes.push(`${ova}: no manifest (.mf): file integrity not verified`);
  }
  if (entries.some((e) => e.role === "certificate")) notes.push(`${ova}: certificate present but signatures are not verified`);
  for (const e of entries) notes.push(`entry ${e.name}: ${e.role}, ${e.size} bytes, ${e.digest}`);

  const disks: OvaDisk[] = [];
  for (const d of desc.disks) {
    const file = desc.files.find((f) => f.id === d.fileRef);
    if (!file) {
      if (d.fileRef !== null) fail(descriptorName, `disk ${d.diskId} names file ${d.fileRef}, which is not in References`);
      notes.push(`disk ${d.diskId}: no file (an empty disk to create on import)`);
      continue;
    }
    const path = resolve(workDir, file.href);
    const label = `${ova}: entry ${JSON.stringify(file.href)}`;
    if (d.format === null) fail(file.href, `disk ${d.diskId} has an unknown format (${d.formatUri ?? "no ovf:format"}); refusing to let qemu-img guess`);
    if (d.format === "iso") { notes.push(`disk ${d.diskId} (${file.href}): ISO image, not checked`); continue; }
    if (opts.verifyDisks === false) continue;
    const info = await safeImageInfo(path, d.format!, label, opts.signal);
    if (d.variant && info.subformat && info.subformat !== d.variant) {
      fail(file.href, `descriptor says vmdk ${d.variant} but the image is ${info.subformat}`);
    }
    if (d.capacityBytes !== null && info.virtualSize < d.capacityBytes) {
      fail(file.href, `virtual size ${info.virtualSize} is smaller than the descriptor's capacity ${d.capacityBytes}`);
    }
    const check = await checkImage(path, d.format!, opts.signal);
    if (check.status === "corrupt" || check.status === "failed") fail(file.href, `qemu-img check: ${check.status}: ${check.detail}`);
    disks.push({ diskId: d.diskId, href: file.href, path, info, check });
    notes.push(`disk ${d.diskId} (${file.href}): ${info.format}${info.subformat ? ` ${info.subformat}` : ""}, virtual ${info.virtualSize} bytes, qemu-img check ${check.status}${check.status === "ok" ? "" : ` (${check.detail})`}`);
  }
  return { ova, workDir, descriptorName, descriptor: desc, entries, disks, notes };
}

/** Names inside an OVA are plain relative paths: no "..", no absolute path, no backslash or NUL. */
function checkName(name: string, fail: (entry: string, what: string) => never): void {
  if (name === "" || name.includes("\0")) fail(name, "has an empty or NUL-containing name");
  if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) fail(name, "is an absolute path; refused");
  if (name.includes("\\")) fail(name, "contains a backslash; refused");
  if (name.split("/").some((p) => p === ".." )) fail(name, "contains '..' (path traversal); refused");
  if (name.split("/").some((p) => p === "" || p === ".")) fail(name, "has an empty or '.' path component; refused");
}
