import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_FAMILIES, HardwareFamily } from "../../src/hypervisor/families/index.js";
import { discoverRoutes } from "../../src/routes/discover.js";
import { familyFormats, FAMILY_FORMATS } from "../../src/routes/families.js";
import { toolsFor, ALL_TOOLS } from "../../src/routes/tools/index.js";

/**
 * The route graph comes from the family files: a family defined like those in
 * src/hypervisor/families/ (here: in the test) gets an exporter and importers, hence routes
 * to and from every other family, without a line in src/routes.
 */
const virtualbox = HardwareFamily.parse({
  name: "virtualbox",
  standsFor: "Oracle VirtualBox",
  description: "VirtualBox's virtual hardware (i440fx, SATA disk, e1000 NIC, VDI image) emulated on QEMU; it is not Oracle's hypervisor.",
  machine: "pc",
  disk: { bus: "sata", controller: null, format: "qcow2", targetPrefix: "sd" },
  nic: { model: "e1000" },
  video: { model: "vga" },
  exchange: {
    export: { kind: "disk:vdi", id: "export-vdi", name: "export VDI" },
    imports: [{ kind: "disk:vdi", id: "import-vdi", name: "import VDI" }, { kind: "pkg:ova", id: "import-ova-vbox", name: "import appliance (OVA)" }],
  },
});
const tools = toolsFor([...BUILTIN_FAMILIES, virtualbox]);

test("a family from a family file gets routes to and from every built-in family", () => {
  for (const other of BUILTIN_FAMILIES.map((f) => f.name)) {
    const out = discoverRoutes("virtualbox", other, { tools, adapt: false });
    const back = discoverRoutes(other, "virtualbox", { tools, adapt: false });
    assert.ok(out.length > 0, `virtualbox -> ${other}`);
    assert.ok(back.length > 0, `${other} -> virtualbox`);
    for (const r of out) assert.equal(r.steps[0]!.tool.id, "export-vdi", r.id);
    for (const r of back) assert.match(r.steps.at(-1)!.tool.id, /^import-(vdi|ova-vbox)$/, r.id);
  }
  assert.equal(discoverRoutes("virtualbox", "virtualbox", { tools, adapt: false })[0]!.id, "export-vdi+import-vdi", "shortest first");
  assert.ok(discoverRoutes("vmware", "virtualbox", { tools, adapt: false }).some((r) => r.id === "export-ova+import-ova-vbox"), "its OVA importer takes VMware's export as is");
  assert.ok(discoverRoutes("virtualbox", "kvm", { tools, adapt: false }).some((r) => r.id === "export-vdi+qemu-img:vdi>qcow2+define"));
  // The adapt route is offered for it like for any pair.
  assert.equal(discoverRoutes("kvm", "virtualbox", { tools }).at(-1)!.id, "adapt");
});

test("without `exchange` a family exchanges its own disk format; the built-in families keep their tools", () => {
  const plain = HardwareFamily.parse({ ...virtualbox, name: "plainvhdx", exchange: undefined, disk: { ...virtualbox.disk, format: "vhdx" } });
  assert.deepEqual(familyFormats(plain), {
    family: "plainvhdx", exports: "disk:vhdx", exportName: "export VHDX", exportId: "export-vhdx",
    imports: [{ kind: "disk:vhdx", name: "import VHDX", id: "import-vhdx" }],
  });
  assert.equal(discoverRoutes("plainvhdx", "hyperv", { tools: toolsFor([...BUILTIN_FAMILIES, plain]), adapt: false })[0]!.id, "export-vhdx+import-vhdx");
  assert.equal(FAMILY_FORMATS["xen"]!.exportId, "export-vhd", "xen has no exchange: its VHD disk format");
  assert.deepEqual(Object.keys(FAMILY_FORMATS), ["kvm", "vmware", "hyperv", "xen"]);
  assert.equal(ALL_TOOLS.filter((t) => t.onlyFrom || t.onlyToward?.length === 1 && t.binaries.join() === "virsh").length, 4 + 5);
  assert.throws(() => familyFormats({ ...plain, exchange: { export: { kind: "pkg:vbox", id: "x", name: "x" }, imports: [{ kind: "disk:vdi", id: "y", name: "y" }] } }), /family 'plainvhdx': exchange kind 'pkg:vbox'/);
});
