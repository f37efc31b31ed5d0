import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign } from "../../src/campaign/plan.js";
import { RunStore } from "../../src/campaign/store.js";
import { progressFromStore, estimateRemainingMs, renderProgress, ProgressView, type ProgressState } from "../../src/campaign/progress.js";

const CAMPAIGN = `name: p
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
guests:
  - { name: debian-12, image: debian-12 }
cycles: 2
`;

describe("progress view", () => {
  let out: string;
  before(async () => { out = await mkdtemp(join(tmpdir(), "tiosa-test-")); });
  after(async () => { await rm(out, { recursive: true, force: true }); });

  it("counts jobs from the store and shows each running job's current step", () => {
    const c = parseCampaign(CAMPAIGN, "/x/c.yaml");
    const plan = planCampaign(c, () => [{ id: "qemu-img", name: "q", steps: [] }]);
    const s = RunStore.create(out, { campaign: c.name, specText: c.text, specHash: c.hash, plan, tiosaVersion: "t" });
    try {
      const [a, b, cap] = plan.jobs;
      for (const j of [a!, b!]) { s.startJob(j.id); s.finishJob(j.id, "done"); }
      s.startJob(cap!.id);
      s.startStep(cap!.id, 2, "Perform Hypervisor Test-Set on Source Hypervisor");
      const p = progressFromStore(s);
      assert.equal(p.total, plan.jobs.length);
      assert.equal(p.done, 2);
      assert.equal(p.pending, plan.jobs.length - 3);
      assert.deepEqual(p.running.map((r) => [r.id, r.step, r.stepName]), [[cap!.id, 2, "Perform Hypervisor Test-Set on Source Hypervisor"]]);
      const lines = renderProgress(p, Date.now());
      assert.match(lines[0]!, /^2\/\d+ jobs finished \(0 failed\), 1 running, \d+ left \| elapsed \d+:\d\d \| left ~\?$/, "no estimate before a capture and a case finished");
      assert.match(lines[1]!, /capture\/debian-12\/kvm\/c1 {2}step 2 Perform Hypervisor Test-Set/);
    } finally { s.close(); }
  });

  it("estimates the time left from the mean of finished jobs of each kind, shared by the concurrency", () => {
    const p: ProgressState = {
      total: 10, done: 4, failed: 0, pending: 5, startedMs: 0, concurrency: 2,
      running: [{ id: "case/x", kind: "case", step: 5, stepName: "Export", startedMs: 1000 }],
      meanMs: { case: 60_000, capture: 20_000 }, pendingByKind: { case: 4, capture: 1 },
    };
    // (4 x 60 s + 20 s + (60 s - 10 s)) / 2
    assert.equal(estimateRemainingMs(p, 11_000), 155_000);
    assert.equal(estimateRemainingMs({ ...p, meanMs: { capture: 1 } }, 0), null);
  });

  it("redraws in place on a terminal and prints a line per change otherwise", () => {
    const base: ProgressState = { total: 3, done: 1, failed: 0, pending: 1, startedMs: 0, concurrency: 1, meanMs: {}, pendingByKind: { case: 1 },
      running: [{ id: "case/a", kind: "case", step: 4, stepName: "Stop", startedMs: 0 }] };
    const tty: string[] = [];
    const v = new ProgressView({ write: (s) => tty.push(s), isTTY: true, columns: 80 });
    v.update(base, 5000);
    v.update(base, 6000);
    assert.equal(tty.length, 2);
    assert.ok(!tty[0]!.includes("\x1b[2A"));
    assert.ok(tty[1]!.startsWith("\x1b[2A\r\x1b[J"), "the second drawing moves up over the first");
    const plain: string[] = [];
    const w = new ProgressView({ write: (s) => plain.push(s) });
    w.update(base, 5000);
    w.update(base, 9000); // only time passed
    w.update({ ...base, running: [{ ...base.running[0]!, step: 5 }] }, 9000);
    assert.equal(plain.length, 2);
    assert.ok(plain.every((l) => !l.includes("\x1b")), "no escape codes when not a terminal");
    assert.match(plain[1]!, /case\/a step 5/);
  });
});
