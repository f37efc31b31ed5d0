import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign, SEQUENCE2_STEPS, caseId, captureId, type RouteInfo, type CaseJob, type CaptureJob } from "../../src/campaign/plan.js";
import { UserError } from "../../src/errors.js";
import { LAB_HYPERVISORS_AND_GUESTS } from "../support/lab-campaign.js";

const CAMPAIGN = `name: lab
${LAB_HYPERVISORS_AND_GUESTS}`;
const A: RouteInfo = { id: "qemu-img", name: "qemu-img convert", steps: ["convert", "define"] };
const B: RouteInfo = { id: "ova", name: "OVA", steps: ["export", "import"] };
const calls: string[] = [];
const discover = (from: string, to: string): RouteInfo[] => {
  calls.push(`${from}->${to}`);
  if (from === "hyperv" && to === "kvm") return [];
  return from === "kvm" ? [A, B] : [A];
};
const plan = (extra = "") => planCampaign(parseCampaign(CAMPAIGN + extra, "/x/c.yaml"), discover);

describe("campaign planner", () => {
  it("names Sequence 2's eleven steps as the paper does", () => {
    assert.equal(SEQUENCE2_STEPS.length, 11);
    assert.deepEqual(SEQUENCE2_STEPS.map((s) => s.no), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(SEQUENCE2_STEPS[0]!.name, "Get VM metadata from Source Hypervisor");
    assert.equal(SEQUENCE2_STEPS[4]!.name, "Export the VM in OVF Format or convert VM into destination format");
    assert.equal(SEQUENCE2_STEPS[10]!.name, "Compare results of Test Sets using Evaluation Rules");
  });

  it("plans one case per guest, HS, HUT, route and cycle, sharing one capture per guest, HS and cycle", () => {
    const p = plan();
    const cases = p.jobs.filter((j): j is CaseJob => j.kind === "case");
    const captures = p.jobs.filter((j): j is CaptureJob => j.kind === "capture");
    // routes: kvm->vmware 2, kvm->hyperv 2, vmware->kvm 1, vmware->hyperv 1, hyperv->kvm 0, hyperv->vmware 1 = 7 per guest and cycle
    assert.equal(cases.length, 7 * 2 * 3);
    assert.equal(captures.length, 3 * 2 * 3, "every (guest, HS, cycle) with a route out has one capture");
    for (const c of cases) {
      assert.equal(c.captureId, captureId(c.guest, c.hs, c.cycle));
      assert.ok(c.dependsOn.includes(c.captureId) && c.dependsOn.includes(`s1/${c.hut}`));
      assert.deepEqual(c.steps.map((s) => s.no), [4, 5, 6, 7, 8, 9, 10, 11]);
    }
    for (const c of captures) assert.deepEqual(c.steps.map((s) => s.no), [1, 2, 3]);
    const kvmCap = cases.filter((c) => c.captureId === captureId("debian-12", "kvm", 1));
    assert.equal(kvmCap.length, 4, "kvm's capture of cycle 1 serves both targets and both routes");
    assert.deepEqual(p.jobs.filter((j) => j.kind === "readiness").map((j) => j.id), ["s1/kvm", "s1/vmware", "s1/hyperv"]);
    const idx = (id: string) => p.jobs.findIndex((j) => j.id === id);
    for (const c of cases) assert.ok(idx(c.captureId) < idx(c.id), "a capture comes before the cases that use it");
  });

  it("gives step 7 the convert budget too when the route's import rewrites the guest (virt-v2v -o libvirt)", () => {
    // The first --full run gave virt-v2v -o libvirt the import's 600 s; it needs ~16 min under TCG.
    const V: RouteInfo = { id: "v2v", name: "virt-v2v -o libvirt", steps: ["export", "virt-v2v"], importConverts: true };
    const p = planCampaign(parseCampaign(CAMPAIGN + "\ntimeouts: { import: 600, convert: 1800 }\n", "/x/c.yaml"), () => [A, V]);
    const budget = (route: string) => p.jobs.find((j): j is CaseJob => j.kind === "case" && j.route.id === route)!.steps.find((s) => s.no === 7)!.timeoutSeconds;
    assert.equal(budget("v2v"), 2400);
    assert.equal(budget("qemu-img"), 600);
  });

  it("keeps cells with no route: they are tool failures in the report", () => {
    const p = plan();
    const cell = p.cells.find((c) => c.guest === "debian-12" && c.hs === "hyperv" && c.hut === "kvm")!;
    assert.deepEqual(cell.routes, []);
    assert.equal(p.cells.length, 12);
  });

  it("gives stable ids built from the coordinates", () => {
    const a = plan(), b = plan();
    assert.deepEqual(a.jobs.map((j) => j.id), b.jobs.map((j) => j.id));
    assert.ok(a.jobs.some((j) => j.id === caseId("debian-12", "kvm", "vmware", "ova", 2)));
    assert.equal(new Set(a.jobs.map((j) => j.id)).size, a.jobs.length, "ids are unique");
  });

  it("applies step timeouts from the campaign", () => {
    const p = plan("timeouts: { boot: 77, convert: 999 }\n");
    const c = p.jobs.find((j) => j.kind === "case")!;
    assert.equal(c.steps.find((s) => s.no === 9)!.timeoutSeconds, 77);
    assert.equal(c.steps.find((s) => s.no === 5)!.timeoutSeconds, 999);
  });

  it("selects routes by id and one per pair", () => {
    const only = plan("routes: [ova]\ncycles: 1\n");
    assert.deepEqual([...new Set(only.jobs.filter((j): j is CaseJob => j.kind === "case").map((j) => j.route.id))], ["ova"]);
    const one = plan("routes: { onePerPair: true }\ncycles: 1\n");
    assert.ok(one.cells.every((c) => c.routes.length <= 1));
    assert.equal(one.cells.find((c) => c.hs === "kvm" && c.hut === "vmware")!.routes[0]!.id, "qemu-img");
  });

  it("names the line of a route id no pair has", () => {
    assert.throws(() => plan("routes: [qemu-img, virt-v2v]\n"), (e: unknown) => e instanceof UserError && /line 9: routes\.1: route 'virt-v2v' is not a route between any of the campaign's pairs/.test(e.message));
  });

  it("an existing VM is only moved from its own hypervisor", () => {
    const p = planCampaign(parseCampaign(CAMPAIGN + "  - { name: crm, vm: crm-clone, hypervisor: vmware, ssh: { user: root, passwordEnv: CRM_PW } }\ncycles: 1\n", "/x/c.yaml"), discover);
    assert.deepEqual(p.cells.filter((c) => c.guest === "crm").map((c) => `${c.hs}->${c.hut}`), ["vmware->kvm", "vmware->hyperv"]);
  });

  it("asks route discovery with family names", () => {
    calls.length = 0;
    plan();
    assert.deepEqual(calls.sort(), ["hyperv->kvm", "hyperv->vmware", "kvm->hyperv", "kvm->vmware", "vmware->hyperv", "vmware->kvm"]);
  });
});

describe("tiosa run --plan", () => {
  it("prints the cells, their routes and the job counts, runs nothing, exit 0; json is the plan", async () => {
    const { main } = await import("../../src/cli/main.js");
    const out: string[] = [];
    const io = { out: (s: string) => { out.push(s); }, err: () => {} };
    assert.equal(await main(["run", "campaigns/adapt.yaml", "--plan"], io), 0);
    const text = out.join("\n");
    assert.match(text, /debian-13-static\s+kvm -> xen\s+export-libvirt-xml\+take-disks\+qemu-img:qcow2>vhd\+import-vhd, adapt/);
    assert.match(text, /6 cell\(s\); 4 Sequence 1 job\(s\), 2 source capture\(s\), 12 case\(s\) over 1 cycle\(s\)\./);
    out.length = 0;
    assert.equal(await main(["run", "campaigns/adapt.yaml", "--plan", "--format", "json"], io), 0);
    const plan = JSON.parse(out.join("")) as { jobs: { kind: string }[]; cells: unknown[] };
    assert.equal(plan.jobs.filter((j) => j.kind === "case").length, 12);
    assert.equal(plan.cells.length, 6);
    assert.equal(await main(["run", "--resume", "x", "--plan"], io), 2);
  });
});
