import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISK_FORMATS, DISK_KINDS } from "../../src/routes/artifacts.js";
import { checkImage, convertImage, safeImageInfo } from "../../src/disk/qemu-img.js";
import { readImageHeader } from "../../src/disk/image-header.js";

/**
 * Every disk kind routes know is produced by real `qemu-img convert` with the options the
 * route model declares, then passes our header check and `qemu-img info` as that format,
 * with the exact virtual size (VHD included, thanks to force_size) and identical content.
 */
test("each route disk kind converts from raw and back without changing size or content", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-disk-formats-"));
  try {
    const size = 10 * 2 ** 20 + 3 * 512; // not a multiple of any geometry, on purpose
    const src = join(dir, "src.raw");
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) data.write(`block ${i}`, i);
    writeFileSync(src, data);
    for (const kind of DISK_KINDS) {
      const f = DISK_FORMATS[kind];
      const out = join(dir, `out.${kind.replace(/\W/g, "_")}.${f.extension}`);
      await convertImage(src, "raw", out, f.qemuFormat, { targetOptions: f.createOptions });
      const info = await safeImageInfo(out, f.qemuFormat, out);
      assert.equal(info.format, f.qemuFormat, kind);
      if (kind.startsWith("disk:vmdk-")) assert.equal(info.subformat, kind.slice("disk:vmdk-".length));
      const check = await checkImage(out, f.qemuFormat);
      assert.ok(["ok", "unsupported"].includes(check.status), `${kind}: check ${check.status} ${check.detail}`);
      const back = join(dir, `back.${kind.replace(/\W/g, "_")}.raw`);
      await convertImage(out, f.qemuFormat, back, "raw");
      const backInfo = await safeImageInfo(back, "raw", back);
      assert.equal(backInfo.virtualSize, size, `${kind}: virtual size kept`);
      assert.ok(readFileSync(back).equals(data), `${kind}: content identical after the round trip`);
      const header = await readImageHeader(out);
      if (f.qemuFormat !== "raw") assert.notEqual(header.magic, "unknown", `${kind}: header recognised`);
      rmSync(back);
      rmSync(out);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
