import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes } from "../../src/util/bytes.js";

test("formatBytes: bytes whole, one decimal below 100 of a unit, none from there, nothing for null", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(12 * 1024), "12.0 KiB");
  assert.equal(formatBytes(1.5 * 2 ** 30), "1.5 GiB");
  assert.equal(formatBytes(660 * 2 ** 20), "660 MiB");
  assert.equal(formatBytes(-2048), "-2.0 KiB");
  assert.equal(formatBytes(null), "");
});
