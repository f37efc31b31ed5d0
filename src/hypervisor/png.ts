import { inflateSync } from "node:zlib";

/**
 * Decodes an 8-bit RGB/RGBA/grey PNG (what QEMU's screendump writes) far enough to measure
 * how much its pixels vary: a blank console is one colour, text or a logo is not.
 */
export interface ImageStats { width: number; height: number; distinctColours: number; lumaStdDev: number }

export function pngStats(buf: Buffer): ImageStats {
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error("not a PNG file");
  let off = 8, width = 0, height = 0, depth = 0, colourType = 0, interlace = 0;
  const idat: Buffer[] = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString("latin1", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); depth = data[8]!; colourType = data[9]!; interlace = data[12]!;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    off += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`PNG with bit depth ${depth}, colour type ${colourType}, interlace ${interlace} is not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const prev = Buffer.alloc(stride), cur = Buffer.alloc(stride);
  const colours = new Set<number>();
  let n = 0, sum = 0, sumSq = 0;
  for (let y = 0; y < height; y++) {
    const base = y * (stride + 1), filter = raw[base]!;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0, b = prev[x]!, c = x >= channels ? prev[x - channels]! : 0;
      const v = raw[base + 1 + x]!;
      let p = 0;
      if (filter === 1) p = a; else if (filter === 2) p = b; else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      cur[x] = (v + p) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const i = x * channels;
      const r = cur[i]!, g = channels >= 3 ? cur[i + 1]! : r, bl = channels >= 3 ? cur[i + 2]! : r;
      if (colours.size < 4096) colours.add((r << 16) | (g << 8) | bl);
      const l = 0.299 * r + 0.587 * g + 0.114 * bl;
      n++; sum += l; sumSq += l * l;
    }
    cur.copy(prev);
  }
  const mean = sum / n;
  return { width, height, distinctColours: colours.size, lumaStdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}
