import { test } from "node:test";
import assert from "node:assert/strict";
import { FAMILIES } from "../../src/routes/artifacts.js";
import { discoverRoutes, findRoute, parseFamily } from "../../src/routes/discover.js";
import { ALL_TOOLS } from "../../src/routes/tools/index.js";
import { routesCommand } from "../../src/cli/commands/routes.js";
import { isUserError } from "../../src/errors.js";
import type { CommandContext } from "../../src/cli/command.js";

/** The chains of tools only (the adapt route, listed after them, has tests of its own: routes-adapt). */
const names = (from: Parameters<typeof discoverRoutes>[0], to: Parameters<typeof discoverRoutes>[1]) => discoverRoutes(from, to, { adapt: false }).map((r) => r.name);

test("vmware -> kvm offers the OVA import by qemu-img and the virt-v2v routes", () => {
  const n = names("vmware", "kvm");
  assert.ok(n.includes("export OVA -> unpack OVA -> qemu-img vmdk->qcow2 -> define"), n.join("\n"));
  assert.ok(n.includes("export OVA -> virt-v2v -i ova -o libvirt"));
  assert.ok(n.includes("export OVA -> unpack OVA -> virt-v2v -i disk -o libvirt"));
  assert.ok(n.includes("export OVA -> virt-v2v -i ova -o local -> define from libvirt XML"));
});

test("vmware -> vmware is the plain OVA export/import and nothing padded around it", () => {
  assert.deepEqual(names("vmware", "vmware"), ["export OVA -> import OVA"]);
});

test("virt-v2v only appears on routes toward kvm", () => {
  for (const from of FAMILIES) for (const to of FAMILIES) {
    const v2v = discoverRoutes(from, to).filter((r) => r.steps.some((s) => s.tool.id.startsWith("v2v:")));
    if (to === "kvm") assert.ok(v2v.length > 0, `${from}->kvm has virt-v2v routes`);
    else assert.equal(v2v.length, 0, `${from}->${to} must have no virt-v2v route`);
  }
  assert.deepEqual(names("kvm", "vmware"), ["export libvirt XML -> take disks from libvirt XML -> qemu-img qcow2->vmdk -> pack OVA -> import OVA"]);
});

test("every route chains: starts with the source's export, each output feeds the next tool, ends on the target", () => {
  for (const from of FAMILIES) for (const to of FAMILIES) {
    const routes = discoverRoutes(from, to);
    assert.ok(routes.length > 0, `${from}->${to} has a route`);
    for (const r of routes) {
      assert.equal(r.steps[0]!.input, `vm:${from}`);
      assert.equal(r.steps[r.steps.length - 1]!.output, `vm:${to}`);
      r.steps.forEach((s, i) => {
        assert.ok(s.tool.inputs.includes(s.input), `${r.id}: ${s.tool.id} takes ${s.input}`);
        assert.equal(s.output, s.tool.output);
        if (i > 0) assert.equal(s.input, r.steps[i - 1]!.output, `${r.id}: step ${i} is fed by step ${i - 1}`);
        if (i > 0) assert.ok(!(s.tool.isFormatConversion && r.steps[i - 1]!.tool.isFormatConversion), `${r.id}: two conversions in a row`);
      });
      assert.ok(r.steps.filter((s) => s.tool.transformsGuest).length <= 1, `${r.id}: at most one virt-v2v`);
      assert.ok(r.steps.length <= 5);
    }
  }
});

test("route ids are unique, and stable whatever the order tools are listed in", () => {
  for (const from of FAMILIES) for (const to of FAMILIES) {
    const a = discoverRoutes(from, to).map((r) => r.id);
    assert.equal(new Set(a).size, a.length, `${from}->${to} ids unique`);
    const b = discoverRoutes(from, to, { tools: [...ALL_TOOLS].reverse() }).map((r) => r.id);
    assert.deepEqual(b, a);
  }
  assert.equal(findRoute("vmware", "kvm", "export-ova+unpack-ova+qemu-img:vmdk>qcow2+define").steps.length, 4);
  assert.throws(() => findRoute("vmware", "kvm", "nope"), (e: Error) => isUserError(e) && /route nope: no such route from vmware to kvm/.test(e.message));
});

test("the step limit bounds the chains (and the two-step adapt route)", () => {
  assert.deepEqual(discoverRoutes("vmware", "kvm", { maxSteps: 2 }).map((r) => r.id), ["export-ova+v2v:ova>libvirt", "adapt"]);
  assert.deepEqual(discoverRoutes("kvm", "vmware", { maxSteps: 4 }).map((r) => r.id), ["adapt"]);
  assert.deepEqual(discoverRoutes("kvm", "vmware", { maxSteps: 1 }), []);
  assert.ok(discoverRoutes("xen", "kvm", { maxSteps: 8 }).length >= discoverRoutes("xen", "kvm").length);
});

test("unknown families are a UserError listing the known ones", () => {
  assert.equal(parseFamily("VMware", "--from"), "vmware");
  assert.throws(() => parseFamily("esx", "--from"), (e: Error) => isUserError(e) && /--from esx: unknown family; one of: kvm, vmware, hyperv, xen/.test(e.message));
  assert.throws(() => parseFamily(undefined, "--to"), (e: Error) => isUserError(e) && /--to is required/.test(e.message));
});

function ctx(options: CommandContext["options"], format: string) {
  const out: string[] = [];
  const c: CommandContext = { positionals: [], options, format, out: (t) => out.push(t), err: () => undefined, signal: new AbortController().signal };
  return { c, out };
}

test("tiosa routes --format json lists ids, names and steps; the table names every route", async () => {
  const j = ctx({ from: "hyperv", to: "vmware" }, "json");
  assert.equal(await routesCommand.run(j.c), 0);
  const doc = JSON.parse(j.out.join("\n")) as { from: string; to: string; count: number; routes: Array<{ id: string; name: string; steps: Array<{ tool: string; input: string; output: string }> }> };
  assert.equal(doc.from, "hyperv");
  assert.equal(doc.count, doc.routes.length);
  assert.deepEqual(doc.routes.map((r) => r.name), ["export VHDX -> qemu-img vhdx->vmdk -> pack OVA -> import OVA", "adapt for target hardware, transfer compressed -> define with target hardware"]);
  assert.deepEqual(doc.routes[0]!.steps.map((s) => s.output), ["disk:vhdx", "disk:vmdk-streamOptimized", "pkg:ova", "vm:vmware"]);
  const t = ctx({ from: "vmware", to: "kvm" }, "table");
  await routesCommand.run(t.c);
  const text = t.out.join("\n");
  for (const r of discoverRoutes("vmware", "kvm")) assert.ok(text.includes(r.id), r.id);
  await assert.rejects(routesCommand.run(ctx({ from: "kvm", to: "kvm", "max-steps": "0" }, "json").c), (e: Error) => isUserError(e));
});
