import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { XMLValidator, XMLParser } from "fast-xml-parser";
import { RunStore } from "../../src/campaign/store.js";
import { buildReportModel, type ReportModel } from "../../src/report/model.js";
import { REPORTERS, getReporter } from "../../src/report/index.js";
import { writeFixtureRun, type FixtureRun } from "../support/report-fixtures.js";

// Invented outcomes for testing the reporters; not campaign results.
describe("reporters", () => {
  let f: FixtureRun;
  let m: ReportModel;
  const render = (name: string) => getReporter(name)!.render(m);
  before(() => {
    f = writeFixtureRun();
    const s = RunStore.open(f.runDir, { readonly: true });
    try { m = buildReportModel(s); } finally { s.close(); }
  });
  after(() => f.cleanup());

  it("has one module per format, registered by name", () => {
    assert.deepEqual(REPORTERS.map((r) => r.name), ["table", "json", "junit", "html", "md"]);
    for (const r of REPORTERS) assert.equal(typeof r.render(m), "string");
  });

  it("table: aligned matrix rows, the summary line and a legend", () => {
    const t = render("table");
    const lines = t.split("\n");
    const header = lines.find((l) => l.startsWith("HS \\ HUT"))!;
    assert.match(header, /^HS \\ HUT \| kvm\s+\| vmware\s+\| hyperv$/);
    const kvmRow = lines.find((l) => l.startsWith("kvm ") && l.includes("WARNING"))!;
    assert.equal(kvmRow.indexOf("|"), header.indexOf("|"), "columns line up");
    assert.equal(kvmRow.lastIndexOf("|"), header.lastIndexOf("|"));
    assert.match(kvmRow, /WARNING\s+\| WARNING ~/);
    assert.ok(t.includes("Summary: 12 paths: 3 successful, 2 with warnings, 7 failures; failures by cause: 3 tool support, 3 OS related, 1 hypervisor related"));
    assert.match(t, /Legend:\n  SUCCESS/);
    assert.match(t, /flipped 2\.3\.e ICMP private IP: c1 SUCCESS, c2 WARNING, c3 SUCCESS/);
    assert.match(t, /\| ALERT!\s+LABEL=root does not exist/);
    assert.match(t, /not the vendor's hypervisor/);
  });

  it("json: the model, parseable", () => {
    const j = JSON.parse(render("json"));
    assert.equal(j.format, "tiosa-report/1");
    assert.equal(j.summary.paths, 12);
    assert.equal(j.cells.length, 12);
  });

  it("junit: valid XML, a suite per case, a test case per TIOSA test, WARNING visible, FAILURE as <failure>", () => {
    const xml = render("junit");
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => ["testsuite", "testcase", "property"].includes(n) }).parse(xml);
    const suites = doc.testsuites.testsuite as Array<Record<string, any>>;
    const caseCount = m.cells.reduce((n, c) => n + c.routes.reduce((k, r) => k + r.cycles.length, 0), 0);
    const noRoute = m.cells.filter((c) => c.status === "no-route").length;
    assert.equal(suites.length, caseCount + noRoute);
    const s = suites.find((x) => x.name === "debian-12 kvm->vmware qemu-img cycle 1")!;
    const props = Object.fromEntries(s.properties.property.map((p: { name: string; value: string }) => [p.name, p.value]));
    assert.equal(props.verdict, "WARNING");
    assert.equal(props.hut, "vmware");
    const tc = (name: string) => s.testcase.find((t: { name: string }) => t.name === name);
    const nic = tc("2.3.a Network interfaces");
    assert.equal(nic.failure, undefined, "a WARNING is not a JUnit failure");
    assert.equal(nic.properties.property[0].value, "WARNING");
    assert.match(nic["system-out"], /^WARNING: changed: enp0s3: renamed enp0s3 -> ens4/);
    assert.match(s["system-out"], /WARNING 2\.3\.a Network interfaces/);
    assert.ok(tc("step 5: Export the VM in OVF Format or convert VM into destination format"));
    assert.ok(tc("2.3.f ICMP public IP").skipped, "N/A is skipped");
    const boot = suites.find((x) => x.name === "debian-12-hostonly kvm->hyperv qemu-img cycle 1")!;
    const launch = boot.testcase.find((t: { name: string }) => t.name === "1.1.a Launch");
    assert.equal(launch.failure.type, "FAILURE");
    assert.match(boot["system-out"], /Cause: OS related/);
    assert.match(boot["system-out"], /\(initramfs\)/);
    assert.equal(Number(doc.testsuites.failures) > 0, true);
  });

  it("junit: control characters from a console never make the XML invalid", () => {
    const m2 = structuredClone(m);
    const failed = m2.cells[0]!.routes[0]!.cycles[0]!.steps.find((x) => x.state === "failed")!;
    failed.detail = "\u001b[1;31mred\u0007 & <b>";
    const xml = getReporter("junit")!.render(m2);
    assert.equal(XMLValidator.validate(xml), true);
    assert.ok(xml.includes("[1;31mred &amp; &lt;b&gt;"));
  });

  it("html: one self-contained file with no script and no external reference", () => {
    const h = render("html");
    assert.match(h, /^<!DOCTYPE html>/);
    assert.doesNotMatch(h, /<script/i);
    assert.doesNotMatch(h, /(src|href)="(https?:|\/\/)/i);
    assert.doesNotMatch(h, /<link /i);
    assert.match(h, /Content-Security-Policy" content="default-src 'none'; img-src data:/);
    assert.match(h, /<img class="screenshot" [^>]*src="data:image\/png;base64,/);
    assert.match(h, /data-cell="debian-12\/kvm-&gt;vmware" data-verdict="WARNING"/);
  });

  it("waived and capped tests say so in every human format", () => {
    const m2 = structuredClone(m);
    const rows = m2.cells.find((c) => c.id === "debian-12/kvm->vmware")!.routes[1]!.tests;
    const nic = rows.find((t) => t.id === "2.3.a")!;
    nic.waived = { justification: "NIC names do not matter to this application" };
    const rt = rows.find((t) => t.id === "2.3.d")!;
    Object.assign(rt, { verdict: "SUCCESS", ruleVerdict: "WARNING", capped: { max: "SUCCESS", justification: "routes are re-derived by DHCP" } });
    for (const name of ["table", "html", "md"]) {
      const out = getReporter(name)!.render(m2);
      assert.ok(out.includes("WARNING (waived)"), `${name} shows the waiver`);
      assert.ok(out.includes("SUCCESS (capped from WARNING)"), `${name} shows the cap`);
    }
  });

  it("md: the matrix as a table and per-cell details", () => {
    const md = render("md");
    assert.match(md, /\| HS \\ HUT \| kvm \| vmware \| hyperv \|/);
    assert.match(md, /\| \*\*kvm\*\* \| · \| \*\*WARNING\*\* \(ova, qemu-img★\) \| \*\*WARNING\*\* ~ \(qemu-img\) \|/);
    assert.match(md, /### debian-12-hostonly: kvm \(kvm\) → hyperv \(hyperv\): FAILURE/);
    assert.match(md, /```text\n[^`]*ALERT!/);
  });
});
