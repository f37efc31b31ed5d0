import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { pngStats } from "../../src/hypervisor/png.js";

function crcTable(): number[] {
  const t: number[] = [];
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t.push(c >>> 0); }
  return t;
}
const T = crcTable();
const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = T[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
}
/** An RGB PNG whose rows use the given filter types (to exercise unfiltering). */
function png(w: number, h: number, pixel: (x: number, y: number) => [number, number, number], filter = 0): Buffer {
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(w * 3);
  for (let y = 0; y < h; y++) {
    const raw = Buffer.alloc(w * 3);
    for (let x = 0; x < w; x++) raw.set(pixel(x, y), x * 3);
    const out = Buffer.alloc(w * 3);
    for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! - (filter === 1 ? (i >= 3 ? raw[i - 3]! : 0) : filter === 2 ? prev[i]! : 0)) & 0xff;
    rows.push(Buffer.from([filter]), out);
    prev = raw;
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

test("a one-colour screenshot is blank: one colour, no luma variation", () => {
  const s = pngStats(png(16, 8, () => [0, 0, 0]));
  assert.deepEqual([s.width, s.height, s.distinctColours, s.lumaStdDev], [16, 8, 1, 0]);
});

test("text on a console (some light pixels) is not blank, whatever the row filter", () => {
  for (const filter of [0, 1, 2]) {
    const s = pngStats(png(32, 16, (x, y) => ((x + y) % 7 === 0 ? [170, 170, 170] : [0, 0, 0]), filter));
    assert.equal(s.distinctColours, 2, `filter ${filter}`);
    assert.ok(s.lumaStdDev > 30, `filter ${filter}: ${s.lumaStdDev}`);
  }
});

test("a file that is not a PNG is refused", () => {
  assert.throws(() => pngStats(Buffer.from("P6\n1 1\n255\n\0\0\0")), /not a PNG/);
});
