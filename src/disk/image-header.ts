import { open } from "node:fs/promises";

/**
 * Looks at an image's first bytes ourselves before any tool opens it. qemu-img opens a
 * vmdk descriptor's extents and a qcow2's external data file as part of opening the
 * image, so an image from someone else that names `/etc/shadow` must be refused before
 * qemu-img ever sees it, not after.
 */
interface ImageHeader {
  /** What the magic says: qcow2, vmdk-sparse, vmdk-descriptor, vpc, vhdx, vdi, qed, luks, or unknown (raw). */
  magic: "qcow2" | "vmdk-sparse" | "vmdk-descriptor" | "vpc" | "vhdx" | "vdi" | "qed" | "luks" | "unknown";
  /** qcow2 only: the backing file name it stores, if any. */
  qcow2BackingFile: string | null;
  /** qcow2 only: incompatible feature bit 2 (external data file). */
  qcow2ExternalData: boolean;
  /** vmdk descriptor only: extent file names it points to. */
  vmdkExtents: string[];
}

export async function readImageHeader(path: string): Promise<ImageHeader> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(buf, 0, buf.length, 0);
    const h: ImageHeader = { magic: "unknown", qcow2BackingFile: null, qcow2ExternalData: false, vmdkExtents: [] };
    const ascii = (o: number, n: number) => buf.subarray(o, o + n).toString("latin1");
    if (buf.length >= 4 && buf.readUInt32BE(0) === 0x514649fb) {
      h.magic = "qcow2";
      const version = buf.readUInt32BE(4);
      const backingOffset = Number(buf.readBigUInt64BE(8));
      const backingSize = buf.readUInt32BE(16);
      if (backingOffset !== 0 && backingSize > 0) {
        const b = Buffer.alloc(Math.min(backingSize, 4096));
        await fh.read(b, 0, b.length, backingOffset);
        h.qcow2BackingFile = b.toString("utf8");
      }
      if (version >= 3 && buf.length >= 80) h.qcow2ExternalData = (buf.readBigUInt64BE(72) & 4n) !== 0n;
    } else if (ascii(0, 4) === "KDMV") {
      h.magic = "vmdk-sparse";
    } else if (ascii(0, 8) === "conectix") {
      h.magic = "vpc";
    } else if (ascii(0, 8) === "vhdxfile") {
      h.magic = "vhdx";
    } else if (buf.length >= 0x44 && buf.readUInt32LE(0x40) === 0xbeda107f) {
      h.magic = "vdi";
    } else if (ascii(0, 4) === "QED\0") {
      h.magic = "qed";
    } else if (ascii(0, 6) === "LUKS\xba\xbe") {
      h.magic = "luks";
    } else if (/^\s*#\s*Disk DescriptorFile/i.test(ascii(0, 200))) {
      h.magic = "vmdk-descriptor";
      for (const m of ascii(0, buf.length).matchAll(/^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\w+\s+"([^"]*)"/gm)) h.vmdkExtents.push(m[1]!);
    } else if (size >= 512) {
      // A fixed VHD is raw data with the footer at the end.
      const foot = Buffer.alloc(8);
      await fh.read(foot, 0, 8, size - 512);
      if (foot.toString("latin1") === "conectix") h.magic = "vpc";
    }
    return h;
  } finally {
    await fh.close();
  }
}

/** The magic a qemu-img format name must show (null: any bytes are fine, e.g. raw). */
export function magicFor(format: string): ImageHeader["magic"] | null {
  switch (format) {
    case "qcow2": return "qcow2";
    case "vmdk": return "vmdk-sparse";
    case "vpc": return "vpc";
    case "vhdx": return "vhdx";
    case "vdi": return "vdi";
    default: return null;
  }
}
