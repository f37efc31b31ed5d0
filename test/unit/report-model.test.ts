import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { RunStore } from "../../src/campaign/store.js";
import { buildReportModel, describeSource, type ReportModel } from "../../src/report/model.js";
import { writeFixtureRun, type FixtureRun } from "../support/report-fixtures.js";

// Invented outcomes (test/support/report-fixtures.ts) evaluated by the real evaluate():
// a test of the reporting pipeline, not campaign results.
const cell = (m: ReportModel, id: string) => {
  const c = m.cells.find((x) => x.id === id);
  assert.ok(c, `no cell ${id}`);
  return c;
};

describe("report model", () => {
  let f: FixtureRun;
  let m: ReportModel;
  before(() => {
    f = writeFixtureRun();
    const s = RunStore.open(f.runDir, { readonly: true });
    try { m = buildReportModel(s); } finally { s.close(); }
  });
  after(() => f.cleanup());

  it("has one HS x HUT matrix per guest with the diagonal left out", () => {
    assert.deepEqual(m.guests.map((g) => g.guest), ["debian-12", "debian-12-hostonly"]);
    const g = m.guests[0]!;
    assert.deepEqual(g.hs, ["kvm", "vmware", "hyperv"]);
    assert.deepEqual(g.hut, ["kvm", "vmware", "hyperv"]);
    assert.equal(g.cells.kvm!.kvm, undefined);
    assert.equal(g.cells.kvm!.vmware, "debian-12/kvm->vmware");
  });

  it("a cell shows its best route's verdict with every route listed", () => {
    const c = cell(m, "debian-12/kvm->vmware");
    assert.equal(c.verdict, "WARNING");
    assert.equal(c.bestRoute, "qemu-img");
    assert.deepEqual(c.routes.map((r) => [r.id, r.verdict]), [["ova", "FAILURE"], ["qemu-img", "WARNING"]]);
    assert.equal(c.routes[0]!.cause!.class, "tool", "the failed route keeps its own cause");
    assert.equal(c.cause, null, "a WARNING cell has no failure cause");
    const nic = c.routes[1]!.tests.find((t) => t.id === "2.3.a")!;
    assert.equal(nic.verdict, "WARNING");
    assert.match(nic.source, /enp0s3/);
    assert.match(nic.target, /ens4/);
  });

  it("marks unstable cells and lists the flipped tests", () => {
    const c = cell(m, "debian-12/kvm->hyperv");
    assert.equal(c.unstable, true);
    assert.equal(c.verdict, "WARNING");
    assert.deepEqual(c.routes[0]!.stability.flipped.map((x) => x.test), ["2.3.e"]);
    assert.equal(cell(m, "debian-12/kvm->vmware").unstable, false);
  });

  it("a guest that did not boot is FAILURE, OS related, with its console tail and screenshot", () => {
    const c = cell(m, "debian-12-hostonly/kvm->hyperv");
    assert.equal(c.verdict, "FAILURE");
    assert.equal(c.cause!.class, "os");
    assert.match(c.cause!.reason, /LABEL=root does not exist/);
    const ev = c.routes[0]!.evidence;
    assert.match(ev.find((e) => e.kind === "console")!.text!, /\(initramfs\)/);
    assert.match(ev.find((e) => e.kind === "screenshot")!.dataUri!, /^data:image\/png;base64,iVBORw0KGgo/);
  });

  it("between two failing routes it shows the one that got further", () => {
    const c = cell(m, "debian-12-hostonly/kvm->vmware");
    assert.equal(c.bestRoute, "qemu-img");
    assert.equal(c.cause!.class, "os");
  });

  it("no route is a tool-support failure; a refused terminate is hypervisor related", () => {
    const n = cell(m, "debian-12/hyperv->kvm");
    assert.equal(n.status, "no-route");
    assert.equal(n.label, "NO ROUTE");
    assert.equal(n.cause!.class, "tool");
    assert.equal(cell(m, "debian-12/vmware->hyperv").cause!.class, "hypervisor");
    assert.equal(cell(m, "debian-12-hostonly/vmware->hyperv").cause!.class, "tool");
  });

  it("summarises as the paper's Figure 6", () => {
    assert.equal(m.summary.paths, 12);
    assert.equal(m.summary.successful + m.summary.warnings + m.summary.failures, 12);
    assert.deepEqual(m.summary.failuresByCause, { tool: 3, os: 3, hypervisor: 1 });
    assert.equal(m.summary.text, "12 paths: 3 successful, 2 with warnings, 7 failures; failures by cause: 3 tool support, 3 OS related, 1 hypervisor related; 1 unstable");
    assert.equal(m.verdict, "FAILURE");
    assert.equal(m.run.complete, true);
  });

  it("shows all eleven steps of a case, the shared capture's included", () => {
    const cy = cell(m, "debian-12-hostonly/vmware->hyperv").routes[0]!.cycles[0]!;
    assert.deepEqual(cy.steps.map((s) => s.no), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(cy.steps.map((s) => s.state), ["done", "done", "done", "done", "failed", "skipped", "skipped", "skipped", "skipped", "skipped", "skipped"]);
    assert.equal(cy.failedStep!.no, 5);
  });

  it("says that families other than the host's are emulated on QEMU, not the vendor's hypervisor", () => {
    assert.match(m.emulationNote, /vmware, hyperv families are that hypervisor's virtual hardware .* emulated on QEMU, not the vendor's hypervisor/);
  });

  it("says what each image guest is next to its name: a personality is Debian configured like another distribution, not it", () => {
    assert.match(describeSource("image debian-12-like-rhel"), /^image debian-12-like-rhel: Debian 12 configured like RHEL\/CentOS: dracut hostonly/);
    assert.match(describeSource("image debian-13-like-ubuntu"), /^image debian-13-like-ubuntu: Debian 13 configured like an Ubuntu cloud image/);
    assert.equal(describeSource("VM web1 on esx1"), "VM web1 on esx1");
    assert.equal(describeSource("image not-a-recipe"), "image not-a-recipe");
    assert.ok(m.guests.every((g) => !g.source.startsWith("image ") || g.source.includes(": ")), "the report's guests carry their image's description");
  });

  it("a hypervisor that failed Sequence 1 fails its cells as hypervisor related", () => {
    const part = writeFixtureRun({ unreachable: "hyperv" });
    try {
      const s = RunStore.open(part.runDir, { readonly: true });
      let pm: ReportModel;
      try { pm = buildReportModel(s); } finally { s.close(); }
      const c = pm.cells.find((x) => x.id === "debian-12/kvm->hyperv")!;
      assert.equal(c.verdict, "FAILURE");
      assert.equal(c.cause!.class, "hypervisor");
      assert.match(c.cause!.reason, /Sequence 1: hypervisor 'hyperv' is not ready: .*Connection refused/);
      assert.equal(pm.cells.find((x) => x.id === "debian-12/kvm->vmware")!.verdict, "WARNING", "other pairs are unaffected");
      assert.equal(pm.run.complete, false, "jobs that could not start stay pending");
      assert.deepEqual(pm.sequence1.find((x) => x.hypervisor === "hyperv"), { hypervisor: "hyperv", state: "failed", detail: "virsh -c qemu+ssh://root@10.250.0.2/system: Connection refused" });
    } finally { part.cleanup(); }
  });

  it("an unfinished run reports what it has and says so", () => {
    const part = writeFixtureRun({ stopAfterJobs: 12 });
    try {
      const s = RunStore.open(part.runDir, { readonly: true });
      let pm: ReportModel;
      try { pm = buildReportModel(s); } finally { s.close(); }
      assert.equal(pm.run.complete, false);
      assert.ok(pm.summary.withoutResult > 0);
      assert.match(pm.summary.text, /without a result yet/);
      assert.ok(pm.cells.some((c) => c.label === "NO RESULT"));
    } finally { part.cleanup(); }
  });
});
