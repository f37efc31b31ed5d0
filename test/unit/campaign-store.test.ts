import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, readFile, writeFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign, type RouteInfo } from "../../src/campaign/plan.js";
import { RunStore, listRuns, latestRun } from "../../src/campaign/store.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { UserError } from "../../src/errors.js";
import { baseSnapshot, variant } from "../support/snapshots.js";

const STORE_JS = new URL("../../src/campaign/store.js", import.meta.url).href;
const CAMPAIGN = `name: crashy
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm }
  - { name: vmware, uri: "qemu:///system", family: vmware }
guests:
  - { name: debian-12, image: debian-12 }
cycles: 1
`;
const ROUTE: RouteInfo = { id: "qemu-img", name: "qemu-img convert", steps: ["convert"] };
const campaign = parseCampaign(CAMPAIGN, "/x/c.yaml");
const plan = planCampaign(campaign, () => [ROUTE]);
const init = (now?: Date) => ({ campaign: campaign.name, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: "0.1.0", ...(now ? { now } : {}) });

describe("results store", () => {
  let out: string;
  before(async () => { out = await mkdtemp(join(tmpdir(), "tiosa-test-")); });
  after(async () => { await rm(out, { recursive: true, force: true }); });

  it("creates OUTPUT/RUN_ID/run.sqlite in WAL mode with the run, its plan and its jobs", () => {
    const s = RunStore.create(join(out, "a"), init(new Date("2026-11-23T01:02:03Z")));
    try {
      assert.equal(s.id, "20261123-010203-crashy");
      assert.ok(existsSync(join(s.dir, "run.sqlite")));
      const r = s.run();
      assert.equal(r.state, "running");
      assert.equal(r.specText, CAMPAIGN);
      assert.equal(r.pid, process.pid);
      assert.deepEqual(s.plan().jobs.map((j) => j.id), plan.jobs.map((j) => j.id));
      assert.ok(s.jobs().every((j) => j.state === "pending"));
      const again = RunStore.create(join(out, "a"), init(new Date("2026-11-23T01:02:03Z")));
      assert.equal(again.id, "20261123-010203-crashy-2", "a second run in the same second gets its own directory");
      again.close();
    } finally { s.close(); }
    const ro = RunStore.open(join(out, "a", "20261123-010203-crashy"), { readonly: true });
    try {
      // @ts-expect-error reaching into the connection to check the journal mode
      assert.equal(ro.db.pragma("journal_mode", { simple: true }), "wal");
    } finally { ro.close(); }
  });

  it("writes a step with its snapshot, evaluation and evidence atomically", () => {
    const s = RunStore.create(join(out, "b"), init());
    const cap = plan.jobs.find((j) => j.kind === "capture")!;
    const kase = plan.jobs.find((j) => j.kind === "case")!;
    try {
      s.startJob(cap.id);
      s.startStep(cap.id, 3, "Perform OS Test-Set on Source Hypervisor");
      s.finishStep(cap.id, 3, { state: "done", snapshot: { role: "source", snapshot: baseSnapshot() }, bytesRead: 10 });
      s.startJob(kase.id);
      s.startStep(kase.id, 11, "Compare");
      const target = variant((x) => { x.guest!.interfaces![0]!.name = "ens4"; });
      s.finishStep(kase.id, 11, {
        state: "done", evaluation: evaluate(baseSnapshot(), target),
        evidence: [{ kind: "console", text: "login:" }, { kind: "screenshot", fileName: "../../etc/passwd", data: Buffer.from([0x89, 0x50]) }],
      });
      assert.equal(s.snapshot(cap.id, "source")!.guest!.interfaces![0]!.name, "enp0s3");
      assert.equal(s.evaluation(kase.id)!.verdict, "WARNING");
      const ev = s.evidence(kase.id);
      assert.deepEqual(ev.map((e) => e.kind), ["console", "screenshot"]);
      assert.equal(ev[0]!.text, "login:");
      assert.ok(ev[1]!.path!.startsWith("evidence/"), "evidence files stay inside the run directory");
      assert.ok(existsSync(s.evidencePath(ev[1]!)!));
      const step = s.steps(cap.id)[0]!;
      assert.equal(step.state, "done");
      assert.equal(step.bytesRead, 10);
      assert.ok(step.durationMs! >= 0);
      // A failing write leaves nothing half-done: evaluation of a step never started.
      assert.throws(() => s.finishStep(kase.id, 9, { state: "done", evaluation: evaluate(baseSnapshot(), target) }), /never started/);
      assert.equal(s.steps(kase.id).length, 1);
    } finally { s.close(); }
  });

  it("after SIGKILL mid-case, finished steps are kept and the running one is reported", async () => {
    const outDir = join(out, "crash");
    await mkdir(outDir);
    const child = `
      import { RunStore } from ${JSON.stringify(STORE_JS)};
      const init = JSON.parse(process.argv[1]);
      const s = RunStore.create(init.outDir, init);
      const [s1a, s1b, cap, kase] = init.plan.jobs;
      for (const j of [s1a, s1b]) { s.startJob(j.id); s.startStep(j.id, 1, "inventory"); s.finishStep(j.id, 1, { state: "done" }); s.finishJob(j.id, "done"); }
      s.startJob(cap.id);
      for (const no of [1, 2, 3]) { s.startStep(cap.id, no, "step " + no); s.finishStep(cap.id, no, { state: "done", detail: "ok " + no }); }
      s.finishJob(cap.id, "done");
      s.startJob(kase.id);
      for (const no of [4, 5]) { s.startStep(kase.id, no, "step " + no); s.finishStep(kase.id, no, { state: "done" }); }
      s.recordResource(kase.id, "domain", "tiosa-crashy-debian-12-vmware", "qemu:///system");
      s.startStep(kase.id, 6, "Check whether the required resources are available on Target Hypervisor");
      process.stdout.write("ready\\n");
      setInterval(() => {}, 1000);
    `;
    const proc = spawn(process.execPath, ["--input-type=module", "-e", child, JSON.stringify({ ...init(), outDir })], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => { stderr += d; });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(); });
      proc.on("exit", (code) => reject(new Error(`child exited ${code} before it was ready: ${stderr}`)));
    });
    proc.removeAllListeners("exit");
    const live = latestRun(outDir)!;
    assert.throws(() => RunStore.openForResume(live.dir, { specHash: campaign.hash }), new RegExp(`still being run by process ${proc.pid}`));
    const exited = new Promise((r) => proc.on("exit", (_c, sig) => r(sig)));
    proc.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");

    const run = latestRun(outDir)!;
    assert.throws(() => RunStore.openForResume(run.dir, { specHash: "0".repeat(64) }), (e: unknown) => e instanceof UserError && /different campaign file/.test(e.message));
    const s = RunStore.openForResume(run.id, { outputDir: outDir, specHash: campaign.hash });
    try {
      const rp = s.resumePoint();
      const [, , cap, kase] = plan.jobs;
      assert.deepEqual(rp.finishedJobs, ["s1/kvm", "s1/vmware", cap!.id]);
      assert.deepEqual(rp.interruptedJobs, [kase!.id]);
      assert.deepEqual(rp.interruptedSteps.map((x) => [x.jobId, x.no]), [[kase!.id, 6]]);
      assert.deepEqual(rp.finishedSteps.filter((x) => x.jobId === kase!.id).map((x) => x.no), [4, 5]);
      assert.equal(s.steps(cap!.id).map((x) => x.detail).join(","), "ok 1,ok 2,ok 3");
      assert.deepEqual(rp.leftovers.map((r) => r.name), ["tiosa-crashy-debian-12-vmware"]);
      assert.equal(s.run().state, "running", "the dead run still says running: its pid tells it is gone");
      // The runner removes what was left, then redoes the job from the interrupted step.
      s.resourceRemoved(rp.leftovers[0]!.id);
      s.resetJob(kase!.id, 6);
      s.markResumed();
      const after = s.resumePoint();
      assert.deepEqual(after.interruptedJobs, []);
      assert.ok(after.pendingJobs.includes(kase!.id));
      assert.deepEqual(after.finishedSteps.filter((x) => x.jobId === kase!.id).map((x) => x.no), [4, 5], "nothing that finished is lost");
      assert.deepEqual(after.leftovers, []);
      assert.equal(s.run().attempts, 2);
    } finally { s.close(); }
  });

  it("a database abandoned without closing is readable by another connection", () => {
    const s = RunStore.create(join(out, "open"), init());
    const j = plan.jobs[0]!;
    s.startJob(j.id);
    s.startStep(j.id, 1, "inventory");
    const other = RunStore.open(s.dir, { readonly: true });
    try {
      assert.deepEqual(other.resumePoint().interruptedSteps.map((x) => x.jobId), [j.id]);
    } finally { other.close(); s.close(); }
  });

  it("lists runs, finds the latest, and refuses missing or corrupt runs by name", async () => {
    const dir = join(out, "list");
    const a = RunStore.create(dir, init(new Date("2026-01-01T00:00:00Z"))); a.finishRun("finished"); a.close();
    const b = RunStore.create(dir, init(new Date("2026-02-01T00:00:00Z"))); b.close();
    await mkdir(join(dir, "zz-corrupt"));
    await writeFile(join(dir, "zz-corrupt", "run.sqlite"), "this is not a database, it is a text file of some length ".repeat(100));
    const runs = listRuns(dir);
    assert.deepEqual(runs.filter((r) => !r.error).map((r) => r.id), [a.id, b.id]);
    assert.equal(runs.find((r) => r.id === a.id)!.state, "finished");
    assert.match(runs.find((r) => r.id === "zz-corrupt")!.error!, /not a readable tiosa run database/);
    assert.equal(latestRun(dir)!.id, b.id);
    assert.equal(RunStore.open(a.id, { outputDir: dir, readonly: true }).id, a.id, "a run id is looked up in the output directory");
    assert.throws(() => RunStore.open("nope", { outputDir: dir }), (e: unknown) => e instanceof UserError && /run 'nope': no such run/.test(e.message));
    assert.throws(() => RunStore.open(join(dir, "zz-corrupt")), (e: unknown) => e instanceof UserError && /is not a readable tiosa run database/.test(e.message));
    assert.equal(latestRun(join(out, "does-not-exist")), null);
    assert.ok((await readFile(join(dir, a.id, "run.sqlite"))).subarray(0, 15).toString() === "SQLite format 3");
  });
});
