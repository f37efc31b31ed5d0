import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadCampaign } from "../../src/campaign/spec.js";
import { planCampaign, type CaseJob } from "../../src/campaign/plan.js";
import { planRoutes } from "../../src/campaign/routes.js";

const file = (name: string) => fileURLToPath(new URL(`../../../campaigns/${name}`, import.meta.url));

test("campaigns/paper.yaml is the paper's experiment: 3 guests x 12 ordered pairs of 4 families = 36 paths, one route each, 3 cycles", async () => {
  const c = await loadCampaign(file("paper.yaml"));
  const p = planCampaign(c, planRoutes);
  assert.deepEqual(p.hypervisors.map((h) => h.family), ["kvm", "vmware", "hyperv", "xen"]);
  assert.equal(p.guests.length, 3);
  assert.equal(p.cells.length, 36);
  assert.ok(p.cells.every((cell) => cell.routes.length === 1), "onePerPair: the route a user would try first");
  assert.equal(p.cycles, 3);
  const cases = p.jobs.filter((j): j is CaseJob => j.kind === "case");
  assert.equal(cases.length, 108);
  assert.equal(p.jobs.filter((j) => j.kind === "capture").length, 36, "one source capture per guest, HS and cycle");
  // --full keeps every route: more cases than the paper's one per pair.
  const full = planCampaign(await loadCampaign(file("full.yaml")), planRoutes);
  assert.equal(full.cells.length, 36);
  assert.ok(full.jobs.filter((j) => j.kind === "case").length > 108);
});
