import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { campaignFile, haveVirtualization, leftoversOnLibvirt, runCampaignToEnd, stopAll } from "../support/campaign-cli.js";
import type { ReportModel, RouteReport } from "../../src/report/model.js";

/**
 * Issue 9's acceptance on real guests: in one campaign, the dead copy (the plain route) and
 * the destination-dependent image (`adapt`) side by side in each cell, kvm -> vmware hardware.
 * The outcomes are read from the run's report; nothing is a fixture. (campaigns/adapt.yaml is
 * the same over vmware, hyperv and xen.)
 */
const skip = await haveVirtualization();
if (skip) console.log(`skipping: ${skip}`);

const PLAIN = "export-libvirt-xml+take-disks+qemu-img:qcow2>vmdk+pack-ova+import-ova";
const routeOf = (model: ReportModel, guest: string, id: string): RouteReport => {
  const cell = model.cells.find((c) => c.guest === guest && c.hs === "kvm" && c.hut === "vmware");
  assert.ok(cell, `cell ${guest} kvm -> vmware`);
  const r = cell.routes.find((x) => x.id === id);
  assert.ok(r, `${guest}: route ${id} among ${cell.routes.map((x) => x.id).join(", ")}`);
  return r;
};
const stepsOf = (r: RouteReport) => r.cycles[0]!.steps;
const failedTests = (r: RouteReport) => r.tests.filter((t) => t.verdict === "FAILURE").map((t) => `${t.id} ${t.source} -> ${t.target}`);

test("kvm -> vmware: the dead copy of debian-12-hostonly does not boot and debian-13-static loses its network; adapted, both boot and keep the network", { skip: skip ?? false, timeout: 90 * 60_000 }, async () => {
  const { file, dir } = campaignFile(`
name: adapt-test
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
guests:
  - { name: debian-12-hostonly, image: debian-12-hostonly }
  - { name: debian-13-static, image: debian-13-static }
pairs:
  - { from: kvm, to: vmware }
routes: ["${PLAIN}", adapt]
rules: "${join(process.cwd(), "campaigns/emulated-families.rules.yaml")}"
cycles: 1
timeouts: { boot: 900 }
output: "@OUT@"
`);
  try {
    const { model, runDir } = await runCampaignToEnd(file, [0, 10, 20]);

    // debian-12-hostonly: the plain copy stops in the initramfs (console), adapted it boots.
    const deadHostonly = routeOf(model, "debian-12-hostonly", PLAIN);
    assert.equal(deadHostonly.verdict, "FAILURE");
    assert.equal(deadHostonly.cause?.class, "os");
    assert.match(deadHostonly.cause!.reason, /did not boot/);
    assert.match(deadHostonly.evidence.filter((e) => e.kind === "console").map((e) => e.text ?? "").join("\n"), /ALERT!/);
    const adaptedHostonly = routeOf(model, "debian-12-hostonly", "adapt");
    assert.ok(adaptedHostonly.verdict === "SUCCESS" || adaptedHostonly.verdict === "WARNING", `adapt: ${adaptedHostonly.verdict}: ${failedTests(adaptedHostonly).join("; ")} ${JSON.stringify(adaptedHostonly.cause)}`);
    assert.ok(stepsOf(adaptedHostonly).every((s) => s.state === "done"), JSON.stringify(stepsOf(adaptedHostonly).map((s) => [s.no, s.state, s.detail])));
    assert.match(stepsOf(adaptedHostonly).find((s) => s.no === 5)!.detail ?? "", /vmw_pvscsi/, "step 5 says what adapt changed");

    // debian-13-static: the plain copy runs (its agent answers) but its static address is on
    // a NIC name that no longer exists; adapted, the name is kept and so is the address.
    const deadStatic = routeOf(model, "debian-13-static", PLAIN);
    assert.equal(deadStatic.verdict, "FAILURE");
    assert.equal(deadStatic.cause?.class, "os");
    assert.match(deadStatic.cause!.reason, /lost its network/);
    assert.ok(deadStatic.evidence.some((e) => e.kind === "guest-agent" && /ens3/.test(e.text ?? "")), `the agent shows the renamed NIC: ${deadStatic.evidence.map((e) => e.text).join("\n").slice(0, 2000)}`);
    const adaptedStatic = routeOf(model, "debian-13-static", "adapt");
    assert.ok(adaptedStatic.verdict === "SUCCESS" || adaptedStatic.verdict === "WARNING", `adapt: ${adaptedStatic.verdict}: ${failedTests(adaptedStatic).join("; ")} ${JSON.stringify(adaptedStatic.cause)}`);
    const address = adaptedStatic.tests.find((t) => t.id === "2.3.b");
    assert.ok(address && address.verdict === "SUCCESS" && /10\.0\.2\.15/.test(address.target), `the static address is kept: ${JSON.stringify(address)}`);
    const nic = adaptedStatic.tests.find((t) => t.id === "2.3.a");
    assert.ok(nic && /enp1s0/.test(nic.target), `the NIC keeps its name: ${JSON.stringify(nic)}`);

    // The cell counts its best route: adapt.
    for (const g of ["debian-12-hostonly", "debian-13-static"]) {
      const cell = model.cells.find((c) => c.guest === g)!;
      assert.equal(cell.bestRoute, "adapt", g);
    }
    assert.deepEqual(await leftoversOnLibvirt(runDir), []);
    assert.equal(existsSync(join(runDir, "work")), false, "the run's work directory is gone");
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
