import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore, type JobExport } from "../../src/campaign/store.js";
import type { Plan } from "../../src/campaign/plan.js";

/** Carrying one job's results from a worker's scratch store to the coordinator's (issue 22). */

const plan = {
  hypervisors: [{ name: "a", uri: "fake:///a", family: "kvm" }], cells: [], cycles: 1,
  jobs: [{ kind: "capture", id: "capture/g/a/c1", guest: "g", hs: "a", cycle: 1, dependsOn: [], steps: [{ no: 1, name: "Launch", timeoutSeconds: 60 }] }],
} as unknown as Plan;
const init = { campaign: "t", specText: "x", specHash: "h", plan, tiosaVersion: "test" };

function stores() {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-transfer-"));
  const coordinator = RunStore.create(join(dir, "runs"), init);
  const worker = RunStore.replica(join(dir, "worker"), { ...init, id: coordinator.id });
  return { dir, coordinator, worker, dispose: () => { coordinator.close(); worker.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test("a job's export carries steps, snapshot and evidence files into another store, and importing it twice stores it once", () => {
  const s = stores();
  try {
    const id = "capture/g/a/c1";
    assert.equal(s.worker.id, s.coordinator.id, "the replica has the run's id (VMs are named by it)");
    s.worker.startJob(id);
    s.worker.startStep(id, 1, "Launch");
    s.worker.finishStep(id, 1, { state: "done", detail: "booted", evidence: [{ kind: "console", fileName: "console.txt", data: "login:" }, { kind: "log", text: "inline" }] });
    s.worker.finishJob(id, "done");
    const x = s.worker.exportJob(id);
    s.coordinator.importJob(x);
    s.coordinator.importJob(JSON.parse(JSON.stringify(x)) as JobExport);
    assert.equal(s.coordinator.job(id)?.state, "done");
    assert.deepEqual(s.coordinator.steps(id).map((r) => [r.no, r.state, r.detail]), [[1, "done", "booted"]]);
    const ev = s.coordinator.evidence(id);
    assert.equal(ev.length, 2, "not doubled by the second import");
    assert.equal(readFileSync(s.coordinator.evidencePath(ev.find((e) => e.path)!)!, "utf8"), "login:");
    assert.equal(ev.find((e) => e.text)?.text, "inline");
  } finally { s.dispose(); }
});

test("a step update keeps the job running: it ends only with its whole export (its dependents need its snapshot)", () => {
  const s = stores();
  try {
    const id = "capture/g/a/c1";
    s.worker.startJob(id);
    s.worker.startStep(id, 1, "Launch");
    s.worker.finishStep(id, 1, { state: "done" });
    s.worker.finishJob(id, "done");
    s.coordinator.importSteps(s.worker.exportSteps(id));
    assert.equal(s.coordinator.job(id)?.state, "running");
    assert.deepEqual(s.coordinator.steps(id).map((r) => r.state), ["done"]);
  } finally { s.dispose(); }
});

test("an export naming an evidence file outside its job's evidence folder is refused, and nothing is written there", () => {
  const s = stores();
  try {
    const id = "capture/g/a/c1";
    s.worker.startJob(id);
    const x = s.worker.exportJob(id);
    x.evidence.push({ stepNo: 1, kind: "log", text: null, path: "../../escape.txt", data: Buffer.from("x").toString("base64"), createdAt: new Date().toISOString() });
    assert.throws(() => s.coordinator.importJob(x), /evidence path '\.\.\/\.\.\/escape\.txt' is outside evidence\//);
    assert.equal(existsSync(join(s.coordinator.dir, "..", "..", "escape.txt")), false);
  } finally { s.dispose(); }
});
