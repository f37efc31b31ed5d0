import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTable } from "../../src/util/table.js";

test("long cells are cut with an ellipsis by default", () => {
  const t = renderTable(["a", "b"], [["x", "one two three four"]], { maxWidth: [5, 8] });
  assert.equal(t.split("\n")[2], "x  one two…");
});

test("with wrap, a long cell is folded at spaces and read whole, the other columns staying aligned", () => {
  const reason = "TCG: /dev/kvm does not exist (no KVM on this machine); TCG booted it to userspace in 5.1 s";
  const t = renderTable(["Check", "Detail", "Fix"], [["accelerator", reason, "load kvm_intel"], ["disk", "ok", ""]], { maxWidth: [20, 30, 10], wrap: true });
  const lines = t.split("\n");
  assert.ok(lines.every((l) => l.length <= 11 + 2 + 30 + 2 + 14));
  const detailCol = lines[0]!.indexOf("Detail");
  const body = lines.slice(2, -1);
  assert.equal(body.map((l) => l.slice(detailCol, detailCol + 30).trim()).join(" "), reason);
  assert.equal(body[0]!.slice(0, 11), "accelerator");
  assert.ok(body.slice(1).every((l) => l.startsWith(" ".repeat(detailCol))), "continuation lines leave the first column empty");
  assert.equal(lines.at(-1)!.trimEnd(), "disk         ok");
});

test("a word longer than the column is split rather than overflowing it", () => {
  const t = renderTable(["p"], [["/a/very/long/path/without/spaces"]], { maxWidth: [10], wrap: true });
  assert.deepEqual(t.split("\n").slice(2), ["/a/very/lo", "ng/path/wi", "thout/spac", "es"]);
});
