import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign, type CaseJob, type CaptureJob } from "../../src/campaign/plan.js";
import { planRoutes } from "../../src/campaign/routes.js";
import { RunStore } from "../../src/campaign/store.js";
import { executeRun, recoverRun, LIBVIRT_RUN, WORK, WORK_DIR } from "../../src/campaign/runner.js";
import { imageKey, jobMarker } from "../../src/campaign/steps/common.js";
import { vmShortName } from "../../src/campaign/steps/capture.js";
import { getFamily } from "../../src/hypervisor/families/index.js";
import { DEFAULT_PROFILE } from "../../src/evaluate/profile.js";
import type { BuiltImage } from "../../src/images/index.js";
import { buildReportModel } from "../../src/report/model.js";
import { mdReporter } from "../../src/report/reporters/md.js";
import { tableReporter } from "../../src/report/reporters/table.js";
import { FakeDriver, fakeHost, registerFakeDriver, type FakeHost } from "../support/fake-driver.js";

/**
 * The campaign runner end to end on the in-memory FakeDriver (test/support/fake-driver.ts):
 * Sequence 1, the source capture (steps 1-3) and a case (steps 4-11) along the real route
 * export-libvirt-xml+define-xml (qemu-img on a tiny qcow2), Table II and the guest probe
 * answered by the fake guest. No VM, no virsh, no SSH. Each run takes ~20 s of wall time,
 * almost all of it the 8 s Pause/Un-Pause test (1.1.c/d) of the source and of the target,
 * so the runs go side by side.
 */

const ROUTE = "export-libvirt-xml+define-xml";
const PACKAGE_VERSION = (JSON.parse(await readFile(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version: string }).version;

let work: string;
let disk: string;
let unregister: () => void;

interface Run {
  src: FakeHost;
  tgt: FakeHost;
  store: RunStore;
  capture: CaptureJob;
  kase: CaseJob;
  run: (signal?: AbortSignal) => Promise<"finished" | "aborted">;
  logs: string[];
}

/** A campaign moving one image guest from fake:///NAME-src to fake:///NAME-tgt (both kvm) by ROUTE, one cycle. */
async function setup(name: string, o: { guests?: string[]; slots?: number; concurrency?: number } = {}): Promise<Run> {
  const guests = o.guests ?? ["deb"];
  const slots = o.slots ? `, slots: ${o.slots}` : "";
  const text = [
    `name: ${name}`,
    "hypervisors:",
    `  - { name: src, uri: "fake:///${name}-src", family: kvm${slots} }`,
    `  - { name: tgt, uri: "fake:///${name}-tgt", family: kvm${slots} }`,
    "guests:",
    ...guests.map((g) => `  - { name: ${g}, image: debian-12 }`),
    "pairs: [{ from: src, to: tgt }]",
    `routes: [${ROUTE}]`,
    "cycles: 1",
    "timeouts: { boot: 20, hypervisorTests: 120 }",
    "",
  ].join("\n");
  const campaign = parseCampaign(text, join(work, `${name}.yaml`));
  const plan = planCampaign(campaign, planRoutes);
  const store = RunStore.create(join(work, name), { campaign: campaign.name, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: PACKAGE_VERSION });
  const image = {
    name: "debian-12", diskPath: disk, format: "qcow2", sshPrivateKeyPath: join(work, "no-key"), sshPublicKeyPath: join(work, "no-key.pub"),
    user: "root", metadata: {}, metadataPath: join(work, "no-metadata.json"), cached: true,
  } as unknown as BuiltImage;
  const logs: string[] = [];
  const capture = plan.jobs.find((j): j is CaptureJob => j.kind === "capture")!;
  const kase = plan.jobs.find((j): j is CaseJob => j.kind === "case")!;
  assert.equal(kase.route.id, ROUTE);
  return {
    src: fakeHost(`fake:///${name}-src`), tgt: fakeHost(`fake:///${name}-tgt`), store, capture, kase, logs,
    run: (signal = new AbortController().signal) => executeRun({
      campaign, plan, store, images: new Map(guests.map((g) => [imageKey(g, "kvm"), image])), profile: DEFAULT_PROFILE, signal,
      log: (m) => logs.push(m), changed: () => undefined, concurrency: o.concurrency ?? 1,
    }),
  };
}

async function teardown(r: Run): Promise<void> {
  r.store.close();
  await r.src.dispose();
  await r.tgt.dispose();
}

/** Nothing tiosa made is left on either host, nor in the run's work directory or its resource list. */
function assertNothingLeft(r: Run): void {
  assert.deepEqual(r.src.leftovers(), [], "source host");
  assert.deepEqual(r.tgt.leftovers(), [], "target host");
  assert.deepEqual(r.store.leftoverResources(), []);
}

const step = (r: Run, jobId: string, no: number) => r.store.steps(jobId).find((s) => s.no === no);

describe("campaign runner on the FakeDriver", { concurrency: true }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "tiosa-fake-run-"));
    disk = join(work, "guest.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "64M"]);
    unregister = registerFakeDriver();
  });
  after(async () => {
    unregister();
    await rm(work, { recursive: true, force: true });
  });

  it("a capture (steps 1-3) stores a source snapshot stamped with package.json's version, and a clean case passes all 11 steps", async () => {
    const r = await setup("happy");
    try {
      assert.equal(await r.run(), "finished");
      assert.equal(r.store.job(r.capture.id)?.state, "done");
      assert.deepEqual(r.store.steps(r.capture.id).map((s) => `${s.no} ${s.state}`), ["1 done", "2 done", "3 done"]);
      const snap = r.store.snapshot(r.capture.id, "source");
      assert.ok(snap);
      assert.equal(snap.tool?.name, "tiosa");
      assert.equal(snap.tool?.version, PACKAGE_VERSION);
      assert.equal(snap.subject?.hypervisor, "fake:///happy-src");
      assert.match(snap.subject?.vm ?? "", /^tiosa-[0-9a-f]{8}-src-deb$/);
      assert.equal(snap.guest?.transport, "ssh");
      assert.ok(snap.guest?.os, "the OS section was parsed from the replayed probe output");
      for (const id of ["1.1.a", "1.1.b", "1.1.c", "1.1.d", "1.1.e", "1.1.f", "1.2.a", "1.2.b", "1.2.c", "1.4.a", "1.4.b"]) {
        assert.equal(snap.hypervisorTests[id]?.result, "ok", `${id}: ${snap.hypervisorTests[id]?.detail}`);
      }
      assert.equal(r.store.job(r.kase.id)?.state, "done");
      assert.deepEqual(r.store.steps(r.kase.id).map((s) => `${s.no} ${s.state}`), [4, 5, 6, 7, 8, 9, 10, 11].map((n) => `${n} done`));
      const target = r.store.snapshot(r.kase.id, "target");
      assert.equal(target?.tool?.version, PACKAGE_VERSION);
      assert.equal(target?.hypervisorTests["1.1.g"]?.result, "ok", "Terminate ran last on the target");
      assert.match(step(r, r.kase.id, 7)!.detail ?? "", /tiosa-[0-9a-f]{8}-tgt-deb/);
      const evaluation = r.store.evaluation(r.kase.id)!;
      assert.equal(evaluation.verdict, "SUCCESS", `${evaluation.hypervisor.reason}; ${evaluation.os.reason}`);
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });

  it("every step records where its time went, and the report shows boots, tools and tiosa's own share per case and for the campaign", async () => {
    const r = await setup("timed");
    try {
      assert.equal(await r.run(), "finished");
      const s8 = step(r, r.kase.id, 8)!.timing!;
      // Table II on the target: Launch, Resume from managed save and Reboot boot the guest; Pause waits 8 s.
      assert.deepEqual(s8.boots.map((b) => b.label.split(" ")[0]).sort(), ["Launch", "Reboot", "Resume"]);
      assert.ok(s8.waitMs >= 7000, `Pause's deliberate wait: ${s8.waitMs} ms`);
      assert.ok(s8.guestMs > 0, "commands in the guest");
      const parts = s8.bootMs + s8.toolMs + s8.hypervisorMs + s8.guestMs + s8.waitMs + s8.otherMs;
      assert.ok(Math.abs(parts - s8.wallMs) <= 2, `every instant counted once: ${parts} vs ${s8.wallMs}`);
      const s5 = step(r, r.kase.id, 5)!.timing!;
      assert.ok((s5.tools["qemu-img"] ?? 0) > 0, `the export converts with qemu-img: ${JSON.stringify(s5.tools)}`);
      const model = buildReportModel(r.store);
      const cyc = model.cells[0]!.routes[0]!.cycles[0]!;
      assert.equal(cyc.time?.boots, 3);
      assert.equal(cyc.captureTime?.boots, 3, "the source's Table II boots the same three times");
      assert.equal(model.time.cases, 1);
      assert.equal(model.time.captures, 1);
      assert.ok(model.time.total && model.time.total.otherShare >= 0 && model.time.total.otherShare < 1);
      const md = mdReporter.render(model);
      assert.match(md, /^Time: 1 case, median [\d.]+ s \(3 boots per case\)/m);
      assert.match(md, /Time of this case \(steps 4-11\): [\d.]+ s: 3 boots/);
      assert.match(tableReporter.render(model), /^Time: /m);
    } finally {
      await teardown(r);
    }
  });

  it("slots hold per host: with concurrency 4 and one slot per host, no two jobs ever run on the same host at once", async () => {
    const r = await setup("slots", { guests: ["deb", "deb2"], slots: 1, concurrency: 4 });
    try {
      assert.equal(await r.run(), "finished");
      const jobs = r.store.plan().jobs.filter((j): j is CaseJob | CaptureJob => j.kind !== "readiness");
      assert.equal(jobs.length, 4);
      const span = (id: string) => {
        const st = r.store.steps(id);
        return { from: Date.parse(st[0]!.startedAt), to: Date.parse(st.at(-1)!.finishedAt!) };
      };
      const hostOf = (j: CaseJob | CaptureJob) => (j.kind === "capture" ? "src" : "tgt");
      for (const a of jobs) for (const b of jobs) {
        if (a.id >= b.id || hostOf(a) !== hostOf(b)) continue;
        const x = span(a.id), y = span(b.id);
        assert.ok(x.to <= y.from || y.to <= x.from, `${a.id} and ${b.id} overlapped on ${hostOf(a)}`);
      }
      for (const j of jobs) assert.equal(r.store.job(j.id)?.state, "done", j.id);
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });

  it("a target that never boots (kernel panic) fails the case at step 9 with the console line and evidence; the capture is done and nothing is left", async () => {
    const r = await setup("panic");
    r.tgt.fail.boot = "panic";
    try {
      assert.equal(await r.run(), "finished");
      assert.equal(r.store.job(r.capture.id)?.state, "done");
      assert.ok(r.store.snapshot(r.capture.id, "source"));
      assert.equal(r.store.job(r.kase.id)?.state, "failed");
      const s8 = step(r, r.kase.id, 8)!;
      assert.equal(s8.state, "done");
      assert.match(s8.detail ?? "", /failed: 1\.1\.a/);
      assert.match(s8.detail ?? "", /Kernel panic - not syncing/);
      const s9 = step(r, r.kase.id, 9)!;
      assert.equal(s9.state, "failed");
      assert.match(s9.detail ?? "", /the guest did not boot: its serial console says "\[\s*[\d.]+\] Kernel panic - not syncing: VFS: Unable to mount root fs/);
      const evidence = r.store.evidence(r.kase.id).filter((e) => e.stepNo === 9);
      assert.deepEqual(evidence.map((e) => e.kind).sort(), ["console", "screenshot"]);
      const consoleFile = r.store.evidencePath(evidence.find((e) => e.kind === "console")!);
      assert.ok(consoleFile);
      assert.match(await readFile(consoleFile, "utf8"), /Kernel panic/);
      assert.deepEqual(r.store.steps(r.kase.id).filter((s) => s.no > 9).map((s) => `${s.no} ${s.state}`), ["10 skipped", "11 skipped"]);
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });

  it("a Reboot the target refuses fails 1.1.b only: the other Table II tests still run and the evaluation rates 1.1.b FAILURE (hypervisor level WARNING)", async () => {
    const r = await setup("reboot");
    r.tgt.fail.reboot = new Error("fake: the hypervisor refused the reboot request");
    try {
      assert.equal(await r.run(), "finished");
      assert.equal(r.store.job(r.kase.id)?.state, "done", "every step ran; the verdict carries the failure");
      assert.match(step(r, r.kase.id, 8)!.detail ?? "", /failed: 1\.1\.b$/);
      const target = r.store.snapshot(r.kase.id, "target")!;
      assert.equal(target.hypervisorTests["1.1.b"]?.result, "failed");
      assert.match(target.hypervisorTests["1.1.b"]?.detail ?? "", /refused the reboot request/);
      for (const id of ["1.1.a", "1.1.c", "1.1.d", "1.1.e", "1.1.f", "1.1.g", "1.2.a", "1.2.b", "1.2.c", "1.4.a", "1.4.b"]) {
        assert.equal(target.hypervisorTests[id]?.result, "ok", `${id}: ${target.hypervisorTests[id]?.detail}`);
      }
      assert.equal(r.store.snapshot(r.capture.id, "source")!.hypervisorTests["1.1.b"]?.result, "ok");
      const evaluation = r.store.evaluation(r.kase.id)!;
      assert.equal(evaluation.tests.find((t) => t.id === "1.1.b")?.verdict, "FAILURE");
      // The paper's 3.1.a: a failed Reboot alone (Launch and Terminate fine) makes the hypervisor level a WARNING.
      assert.equal(evaluation.hypervisor.verdict, "WARNING");
      assert.match(evaluation.hypervisor.reason, /not successful: 1\.1\.b$/);
      assert.match(step(r, r.kase.id, 11)!.detail ?? "", /^(WARNING|FAILURE): 1 failure/);
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });

  it("an abort while step 8 runs on the target returns 'aborted', resets the case to pending and leaves no VM or volume", async () => {
    const r = await setup("abort");
    const controller = new AbortController();
    r.tgt.onOp = (op) => { if (op === "lifecycle:start") controller.abort(new Error("interrupted by SIGINT")); };
    try {
      assert.equal(await r.run(controller.signal), "aborted");
      assert.ok(r.tgt.ops.some((o) => o.startsWith("lifecycle:start ")), "the target VM was being started (step 8) when the run was aborted");
      assert.equal(r.store.job(r.capture.id)?.state, "done");
      const job = r.store.job(r.kase.id)!;
      assert.equal(job.state, "pending");
      assert.deepEqual(r.store.steps(r.kase.id), [], "its steps are forgotten: a resume runs it again from step 4");
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });

  it("resume after a crash: recoverRun removes what the dead run left through the driver and resets its job; a second executeRun finishes", async () => {
    const r = await setup("resume");
    try {
      // What a process killed during the capture's step 2 leaves: the job running, its resources
      // recorded, its VM defined and running on the source with a test disk attached.
      const marker = jobMarker(r.store.id, r.capture.id);
      r.store.startJob(r.capture.id);
      r.store.recordResource(r.capture.id, LIBVIRT_RUN, marker, "fake:///resume-src");
      r.store.recordResource(r.capture.id, WORK, join(r.store.dir, WORK_DIR, "capture_deb_src_c1"));
      r.store.startStep(r.capture.id, 1, "Get VM metadata from Source Hypervisor");
      r.store.finishStep(r.capture.id, 1, { state: "done", detail: "defined" });
      r.store.startStep(r.capture.id, 2, "Perform Hypervisor Test-Set on Source Hypervisor");
      const dead = new FakeDriver("fake:///resume-src", marker, r.src);
      const vm = (await dead.defineVm({ name: vmShortName("src", "deb"), family: getFamily("kvm"), disks: [{ path: disk, format: "qcow2" }] })).name;
      await dead.lifecycle(vm, "start");
      await dead.attachBlankDisk(vm, 64 * 2 ** 20);
      assert.equal(r.src.leftovers().length, 4, `${r.src.leftovers().join(", ")}`);

      const logs: string[] = [];
      const rec = await recoverRun(r.store, (m) => logs.push(m));
      assert.deepEqual(rec.reset, [r.capture.id]);
      assert.equal(rec.removed, 2);
      assert.deepEqual(r.src.leftovers(), [], "the dead run's VM, disk copy and test volume are gone");
      assert.equal(r.store.job(r.capture.id)?.state, "pending");
      assert.deepEqual(r.store.steps(r.capture.id), []);
      assert.ok(logs.some((l) => l.includes(`job ${r.capture.id} was interrupted at step 2`)), logs.join("\n"));

      assert.equal(await r.run(), "finished");
      assert.equal(r.store.job(r.capture.id)?.state, "done");
      assert.equal(r.store.job(r.kase.id)?.state, "done");
      assert.equal(r.store.evaluation(r.kase.id)?.verdict !== undefined, true);
      assertNothingLeft(r);
    } finally {
      await teardown(r);
    }
  });
});
