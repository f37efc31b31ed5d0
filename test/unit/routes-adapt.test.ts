import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADAPT_ROUTE_STEPS } from "../../src/adapt/route.js";
import { routesCommand } from "../../src/cli/commands/routes.js";
import type { CommandContext } from "../../src/cli/command.js";
import { isUserError } from "../../src/errors.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { parseLibvirtDomainXml } from "../../src/descriptors/libvirt-xml.js";
import { adaptNotes, adaptRecord, runAdapt } from "../../src/migrate/runners/adapt.js";
import { runImport } from "../../src/migrate/runners/import.js";
import { runnerFor } from "../../src/migrate/runners/index.js";
import type { StepContext } from "../../src/migrate/types.js";
import { adaptDefineTool, adaptTool } from "../../src/routes/adapt.js";
import { FAMILIES } from "../../src/routes/artifacts.js";
import { discoverRoutes, findRoute } from "../../src/routes/discover.js";

test("kvm -> vmware and vmware -> kvm list the adapt route, last, with its steps: prepare + transfer, then define", () => {
  for (const [from, to] of [["kvm", "vmware"], ["vmware", "kvm"]] as const) {
    const routes = discoverRoutes(from, to);
    const adapt = routes.at(-1)!;
    assert.equal(adapt.id, "adapt", `${from}->${to}: ${routes.map((r) => r.id).join(", ")}`);
    assert.equal(routes.filter((r) => r.id === "adapt").length, 1);
    assert.deepEqual(adapt.outline, [...ADAPT_ROUTE_STEPS, "define with target hardware"]);
    assert.match(adapt.description ?? "", /destination-dependent/);
    assert.deepEqual(adapt.steps.map((s) => [s.tool.id, s.input, s.output]), [
      ["adapt", `vm:${from}`, "disk:qcow2"],
      ["adapt-define", "disk:qcow2", `vm:${to}`],
    ]);
    assert.equal(adapt.slow, true);
    assert.deepEqual(adapt.binaries, ["guestfish", "qemu-img", "virsh"]);
  }
});

test("every family pair offers adapt, and the first route of a pair stays a plain chain of tools", () => {
  for (const from of FAMILIES) for (const to of FAMILIES) {
    const routes = discoverRoutes(from, to);
    assert.ok(routes.some((r) => r.id === "adapt"), `${from}->${to} offers adapt`);
    assert.notEqual(routes[0]!.id, "adapt", `${from}->${to}: the default route (migrate without --route, onePerPair) is a plain one`);
    assert.ok(!discoverRoutes(from, to, { adapt: false }).some((r) => r.id === "adapt"));
  }
});

test("findRoute finds adapt by its id", () => {
  const r = findRoute("kvm", "vmware", "adapt");
  assert.equal(r.from, "kvm");
  assert.equal(r.to, "vmware");
  assert.equal(r.steps.length, 2);
  assert.equal(findRoute("vmware", "kvm", "adapt").steps[1]!.output, "vm:kvm");
  assert.throws(() => findRoute("kvm", "vmware", "adapted"), (e: Error) => isUserError(e) && /known: .*\badapt\b/.test(e.message));
});

test("the adapt tools have runners: adapt prepares and transfers, adapt-define is the family importer", () => {
  assert.equal(runnerFor(adaptTool("kvm")), runAdapt);
  assert.equal(runnerFor(adaptDefineTool("vmware")), runImport);
  const r = findRoute("vmware", "hyperv", "adapt");
  assert.deepEqual(r.steps.map((s) => runnerFor(s.tool)), [runAdapt, runImport]);
});

function ctx(options: CommandContext["options"], format: string) {
  const out: string[] = [];
  const c: CommandContext = { positionals: [], options, format, out: (t) => out.push(t), err: () => undefined, signal: new AbortController().signal };
  return { c, out };
}

test("tiosa routes shows adapt next to the plain routes, with its description and steps", async () => {
  const t = ctx({ from: "kvm", to: "vmware" }, "table");
  assert.equal(await routesCommand.run(t.c), 0);
  const text = t.out.join("\n");
  assert.match(text, /export-libvirt-xml\+take-disks\+qemu-img:qcow2>vmdk\+pack-ova\+import-ova/);
  assert.match(text, /\badapt\b/);
  assert.match(text, /adapt: destination-dependent/);
  for (const s of ADAPT_ROUTE_STEPS) assert.ok(text.includes(s), s);
  const j = ctx({ from: "vmware", to: "kvm" }, "json");
  await routesCommand.run(j.c);
  const doc = JSON.parse(j.out.join("\n")) as { routes: Array<{ id: string; description?: string; outline?: string[] }> };
  const a = doc.routes.find((r) => r.id === "adapt")!;
  assert.deepEqual(a.outline!.slice(0, ADAPT_ROUTE_STEPS.length), ADAPT_ROUTE_STEPS);
  assert.ok(a.description);
});

const domain = (disks: string[]) => `<domain type='qemu'><name>web</name><memory unit='KiB'>1048576</memory><vcpu>1</vcpu><devices>
${disks.map((p, i) => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${p}'/><target dev='vd${"ab"[i]}' bus='virtio'/></disk>`).join("\n")}
<interface type='network'><source network='default'/><model type='virtio'/></interface></devices></domain>`;

/** A step context whose source driver only answers dumpxml (its libvirt capability): the runner must fail before running anything. */
function stepCtx(xml: string, dir: string): StepContext {
  const driver = { uri: "qemu:///system", local: true, capabilities: { libvirt: { domainXml: async () => xml } } };
  return {
    stepDir: dir, workDir: dir, source: { driver, vm: "web" } as unknown as StepContext["source"],
    target: { driver: {} as StepContext["target"]["driver"], family: getFamily("vmware"), uri: "qemu:///system" },
    targetName: "web", hardware: parseLibvirtDomainXml(xml, "d"), log: () => undefined,
  };
}

test("the adapt runner refuses a source VM whose image is missing, naming the image and the VM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-adapt-runner-"));
  try {
    const step = findRoute("kvm", "vmware", "adapt").steps[0]!;
    const input = { kind: "vm:kvm" as const, disks: [], packagePath: null, vmName: "web" };
    const missing = join(dir, "gone.qcow2");
    await assert.rejects(runAdapt(input, step, stepCtx(domain([missing]), dir)),
      (e: Error) => isUserError(e) && e.message.includes(`'${missing}'`) && /VM 'web'/.test(e.message) && /does not exist/.test(e.message));
    await assert.rejects(runAdapt(input, step, stepCtx(domain([dir]), dir)),
      (e: Error) => isUserError(e) && /is not a file/.test(e.message));
    await assert.rejects(runAdapt(input, step, stepCtx(domain([join(dir, "a.qcow2"), join(dir, "b.qcow2")]), dir)),
      (e: Error) => isUserError(e) && /route adapt: VM 'web' .* has 2 disks/.test(e.message));
    await assert.rejects(runAdapt(input, step, stepCtx(domain([]), dir)),
      (e: Error) => isUserError(e) && /VM 'web' .* has no disk to move/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the adapt record gives what the plan changed and the bytes transferred against the source image, not the working overlay", () => {
  const rec = adaptRecord({
    plan: {
      kernelRelease: "6.1.0-50-amd64", targetFamily: "vmware", target: { disk: "pvscsi", nic: "vmxnet3", firmware: "bios" },
      items: [
        { action: "initramfs-add-modules", change: true, device: "pvscsi", modules: ["vmw_pvscsi", "sd_mod"], reason: "r" },
        { action: "check", change: false, what: "vmxnet3 driver in the kernel", reason: "r" },
      ],
    },
    applied: { id: "20260101-abc123", durationMs: 1, changesPath: "/var/lib/tiosa/adapt/x/changes.json", log: "" },
    transfer: {
      mode: "compressed", output: "/w/transfer.qcow2", transferredBytes: 250 * 2 ** 20, sourceFileBytes: 3 * 2 ** 20,
      sourceVirtualBytes: 2 * 2 ** 30, shareOfSource: 83, shareOfVirtual: 0.12, base: null, verified: true, timingsMs: { trim: 0, convert: 1, verify: 1 },
    },
    timingsMs: { copy: 10, facts: 150_000, apply: 300_000, preparation: 450_000, transfer: 20_000, materialize: 0 },
  }, 1000 * 2 ** 20);
  assert.deepEqual(rec.changes, ["add to initramfs: vmw_pvscsi sd_mod"]);
  assert.deepEqual(rec.checks, ["vmxnet3 driver in the kernel"]);
  assert.equal(rec.appliedId, "20260101-abc123");
  assert.equal(rec.transfer.sourceFileBytes, 1000 * 2 ** 20);
  assert.equal(rec.transfer.shareOfSource, 0.25);
  assert.equal(rec.transfer.shareOfVirtual, 250 / 2048);
  const notes = adaptNotes(rec).join("\n");
  assert.match(notes, /plan for vmware \(kernel 6\.1\.0-50-amd64\): 1 change\(s\): add to initramfs: vmw_pvscsi sd_mod/);
  assert.match(notes, /transferred 250 MiB \(compressed, verified\) = 25\.0 % of the 1000 MiB source image, 12\.2 % of 2\.0 GiB virtual/);
  assert.match(notes, /preparation 450\.0 s/);
});
