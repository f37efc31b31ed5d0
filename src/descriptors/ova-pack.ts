import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import type { VmInventory } from "../inventory/model.js";
import { safeImageInfo } from "../disk/qemu-img.js";
import { formatManifest, sha256Hex } from "./manifest.js";
import { buildOvf, type OvfDiskFile } from "./ovf-write.js";

/**
 * OVA packager: descriptor first, then manifest, then disks, as ustar, because
 * streaming importers (vSphere, virt-v2v) read the descriptor before the disks arrive.
 */

interface PackOvaInput {
  vm: VmInventory;
  /** streamOptimized VMDK images, one per disk of `vm` whose device is "disk", in order. */
  images: string[];
  /** Output .ova path (must not exist). */
  out: string;
  signal?: AbortSignal;
}

interface PackedOva {
  path: string;
  ovfName: string;
  ovfXml: string;
  manifest: string;
  bytesWritten: number;
  notes: string[];
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

export async function packOva(input: PackOvaInput): Promise<PackedOva> {
  const base = basename(input.out).replace(/\.ova$/i, "").replace(/[^A-Za-z0-9_.-]/g, "_") || "vm";
  const files: OvfDiskFile[] = [];
  const hrefs: string[] = [];
  for (const [i, img] of input.images.entries()) {
    const info = await safeImageInfo(img, "vmdk", img, input.signal);
    if (info.subformat !== "streamOptimized") throw new Error(`packOva: ${img} is vmdk ${info.subformat ?? "?"}, not streamOptimized`);
    const st = await stat(img);
    const href = `${base}-disk${i + 1}.vmdk`;
    hrefs.push(href);
    files.push({ href, fileBytes: st.size, capacityBytes: info.virtualSize, populatedBytes: null });
  }
  const { xml, notes } = buildOvf(input.vm, files);
  const ovfName = `${base}.ovf`;
  const entries = [{ name: ovfName, sha256: sha256Hex(xml) }];
  for (const [i, img] of input.images.entries()) entries.push({ name: hrefs[i]!, sha256: await fileSha256(img) });
  const manifest = formatManifest(entries);

  const pack = tar.pack();
  const mtime = new Date();
  const out = createWriteStream(input.out, { flags: "wx", mode: 0o644 });
  const writing = pipeline(pack, out, { signal: input.signal });
  try {
    const put = (name: string, data: string) => new Promise<void>((res, rej) => {
      pack.entry({ name, size: Buffer.byteLength(data), mode: 0o644, mtime, type: "file", uname: "someone", gname: "someone" }, data, (e) => (e ? rej(e) : res()));
    });
    await put(ovfName, xml);
    await put(`${base}.mf`, manifest);
    for (const [i, img] of input.images.entries()) {
      const st = await stat(img);
      await new Promise<void>((res, rej) => {
        const sink = pack.entry({ name: hrefs[i]!, size: st.size, mode: 0o644, mtime, type: "file", uname: "someone", gname: "someone" }, (e) => (e ? rej(e) : res()));
        pipeline(createReadStream(img), sink).catch(rej);
      });
    }
    pack.finalize();
    await writing;
  } catch (e) {
    pack.destroy();
    await writing.catch(() => undefined);
    await rm(input.out, { force: true });
    throw e;
  }
  const { size } = await stat(input.out);
  return { path: input.out, ovfName, ovfXml: xml, manifest, bytesWritten: size, notes };
}
