import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFamilyFile } from "../../src/hypervisor/families/index.js";
import { planRoutes } from "../../src/campaign/routes.js";
import { discoverRoutes } from "../../src/routes/discover.js";
import { runnerFor } from "../../src/migrate/runners/index.js";

test("a family loaded from a family file gets routes to and from the built-in families, each tool with a runner", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tiosa-family-routes-"));
  try {
    // Before the file is loaded the name is nobody's family: no route (a tool-support failure).
    assert.deepEqual(planRoutes("kvm", "oldhw"), []);
    const file = join(dir, "oldhw.yaml");
    await writeFile(file, [
      "name: oldhw", "standsFor: an older hypervisor with IDE disks",
      "description: IDE disk, e1000 NIC, raw image, emulated on QEMU; not a vendor's hypervisor.",
      "machine: pc", "disk: { bus: ide, format: raw, targetPrefix: hd }", "nic: { model: e1000 }", "video: { model: vga }",
    ].join("\n"));
    await loadFamilyFile(file);
    const to = planRoutes("kvm", "oldhw");
    const from = planRoutes("oldhw", "vmware");
    assert.ok(to.length > 0, "kvm -> oldhw has routes");
    assert.ok(from.length > 0, "oldhw -> vmware has routes");
    // No exchange in the file: its hypervisor takes and gives bare raw disks.
    assert.ok(to.some((r) => r.chain!.at(-1)!.tool.inputs.includes("disk:raw")), to.map((r) => r.id).join(", "));
    for (const r of [...discoverRoutes("kvm", "oldhw"), ...discoverRoutes("oldhw", "vmware")]) {
      for (const s of r.steps) assert.equal(typeof runnerFor(s.tool), "function", `${r.id}: ${s.tool.id}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
