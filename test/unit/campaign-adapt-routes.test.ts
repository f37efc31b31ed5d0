import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ADAPT_ROUTE_STEPS } from "../../src/adapt/route.js";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign, type CaseJob } from "../../src/campaign/plan.js";
import { planRoutes } from "../../src/campaign/routes.js";
import { UserError } from "../../src/errors.js";
import { LAB_HYPERVISORS_AND_GUESTS } from "../support/lab-campaign.js";

/** The demo's pairs and guests, planned with the real route discovery. */
const CAMPAIGN = `name: lab
${LAB_HYPERVISORS_AND_GUESTS}pairs:
  - { from: kvm, to: vmware }
  - { from: vmware, to: hyperv }
cycles: 1
`;
const PLAIN_KVM_VMWARE = "export-libvirt-xml+take-disks+qemu-img:qcow2>vmdk+pack-ova+import-ova";
const plan = (routes: string) => planCampaign(parseCampaign(CAMPAIGN + routes, "/x/c.yaml"), planRoutes);
const cases = (p: ReturnType<typeof plan>) => p.jobs.filter((j): j is CaseJob => j.kind === "case");

describe("campaigns and the adapt route", () => {
  it("marks the routes whose import rewrites the guest (virt-v2v -o libvirt), and only those", () => {
    const routes = planRoutes("vmware", "kvm");
    const converts = (id: string) => routes.find((r) => r.id === id)?.importConverts;
    assert.equal(converts("export-ova+v2v:ova>libvirt"), true);
    assert.equal(converts("adapt"), false, "adapt prepares the image in step 5; step 7 defines it");
    assert.equal(converts("export-ova+v2v:ova>local+define-xml"), false, "virt-v2v ran in step 5; step 7 only defines");
    assert.equal(converts("export-ova+unpack-ova+qemu-img:vmdk>qcow2+define"), false);
  });

  it("an explicit route list naming adapt plans adapt cases for every pair and guest", () => {
    const p = plan("routes: [adapt]\n");
    const c = cases(p);
    assert.equal(c.length, 2 * 2);
    assert.ok(c.every((j) => j.route.id === "adapt"));
    assert.ok(c.some((j) => j.id === "case/debian-12-hostonly/kvm->vmware/adapt/c1"));
    assert.deepEqual(c[0]!.route.steps, [...ADAPT_ROUTE_STEPS, "define with target hardware"]);
  });

  it("adapt can be named next to a plain route, in either form of the list", () => {
    for (const routes of [`routes: [${JSON.stringify(PLAIN_KVM_VMWARE)}, adapt]\n`, `routes: { use: [${JSON.stringify(PLAIN_KVM_VMWARE)}, adapt] }\n`]) {
      const kvmVmware = plan(routes).cells.filter((x) => x.hs === "kvm" && x.hut === "vmware");
      assert.ok(kvmVmware.length === 2 && kvmVmware.every((x) => x.routes.map((r) => r.id).join(",") === `${PLAIN_KVM_VMWARE},adapt`), routes);
    }
    assert.throws(() => plan("routes: [adapted]\n"), (e: unknown) => e instanceof UserError && /route 'adapted' is not a route between any of the campaign's pairs \(known: .*\badapt\b/.test(e.message));
  });

  it("routes: all includes adapt for every pair", () => {
    const p = plan("routes: { use: all }\n");
    for (const cell of p.cells) assert.equal(cell.routes.at(-1)!.id, "adapt", `${cell.hs}->${cell.hut}`);
  });

  it("onePerPair still takes the plain route, so the demo's outcomes do not change", () => {
    const p = plan("routes: { use: all, onePerPair: true }\n");
    for (const cell of p.cells) {
      assert.equal(cell.routes.length, 1);
      assert.notEqual(cell.routes[0]!.id, "adapt");
    }
    assert.equal(p.cells.find((x) => x.hs === "kvm" && x.hut === "vmware")!.routes[0]!.id, PLAIN_KVM_VMWARE);
    assert.ok(!cases(p).some((j) => j.route.id === "adapt"));
  });
});
