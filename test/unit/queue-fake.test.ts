import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { parseCampaign } from "../../src/campaign/spec.js";
import { planCampaign } from "../../src/campaign/plan.js";
import { planRoutes } from "../../src/campaign/routes.js";
import { RunStore } from "../../src/campaign/store.js";
import { executeRun } from "../../src/campaign/runner.js";
import { executeQueuedRun } from "../../src/campaign/queue/coordinator.js";
import { runWorker } from "../../src/campaign/queue/worker.js";
import { parseQueueUrl } from "../../src/campaign/queue/redis.js";
import { imageKey } from "../../src/campaign/steps/common.js";
import { DEFAULT_PROFILE } from "../../src/evaluate/profile.js";
import type { BuiltImage } from "../../src/images/index.js";
import { main } from "../../src/cli/main.js";
import { fakeHost, registerFakeDriver } from "../support/fake-driver.js";
import { startTestRedis, type TestRedis } from "../support/redis.js";

/**
 * Queued campaigns (issue 22) end to end on BullMQ and a real Redis (Debian's redis-server,
 * one per test file), with the in-memory FakeDriver for the hypervisors: the coordinator and
 * the workers run in this process, so they see the same fake hosts. The real test with two
 * libvirt hosts and a killed worker process is test/real/queue-two-hosts.test.ts.
 */

const ROUTE = "export-libvirt-xml+define-xml";
let work: string;
let disk: string;
let unregister: () => void;
let redis: TestRedis;

const image = () => ({
  name: "debian-12", diskPath: disk, format: "qcow2", sshPrivateKeyPath: join(work, "no-key"), sshPublicKeyPath: join(work, "no-key.pub"),
  user: "root", metadata: {}, metadataPath: join(work, "no-metadata.json"), cached: true,
} as unknown as BuiltImage);

function campaignText(name: string, guests: string[]): string {
  return [
    `name: ${name}`,
    "hypervisors:",
    `  - { name: src, uri: "fake:///${name}-src", family: kvm, slots: 2 }`,
    `  - { name: tgt, uri: "fake:///${name}-tgt", family: kvm, slots: 2 }`,
    "guests:",
    ...guests.map((g) => `  - { name: ${g}, image: debian-12 }`),
    "pairs: [{ from: src, to: tgt }]",
    `routes: [${ROUTE}]`,
    "cycles: 1",
    "concurrency: 2",
    "timeouts: { boot: 20, hypervisorTests: 120 }",
    "",
  ].join("\n");
}

function newRun(name: string, guests: string[]) {
  const campaign = parseCampaign(campaignText(name, guests), join(work, `${name}.yaml`));
  const plan = planCampaign(campaign, planRoutes);
  const store = RunStore.create(join(work, name), { campaign: campaign.name, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: "test" });
  const logs: string[] = [];
  const base = { campaign, plan, store, profile: DEFAULT_PROFILE, log: (m: string) => logs.push(m), changed: () => undefined, concurrency: 2 };
  return { campaign, plan, store, logs, base, src: fakeHost(`fake:///${name}-src`), tgt: fakeHost(`fake:///${name}-tgt`) };
}

/** Workers in this process, one per served name list, until `stop()`. */
function startWorkers(serves: string[][], o: { image?: () => Promise<BuiltImage>; lockMs?: number } = {}) {
  const ac = new AbortController();
  const logs: string[] = [];
  const done = serves.map((s, i) => runWorker({
    redis: parseQueueUrl(redis.url), serves: s, workDir: join(work, `worker-${s.join("+")}-${i}-${Date.now()}`), signal: ac.signal,
    log: (m) => logs.push(m), pollMs: 300, image: o.image ?? (async () => image()), ...(o.lockMs ? { lockMs: o.lockMs } : {}),
  }));
  return { logs, stop: async () => { ac.abort(); await Promise.all(done); } };
}

/** Each case's verdicts, test by test ("id=VERDICT"), and its steps' states. */
function outcome(store: RunStore) {
  return store.jobs().filter((j) => j.kind !== "readiness").map((j) => ({
    job: j.id, state: j.state,
    steps: store.steps(j.id).map((s) => `${s.no} ${s.state}`),
    tests: store.evaluation(j.id)?.tests.map((t) => `${t.id}=${t.verdict}`) ?? [],
    verdict: store.evaluation(j.id)?.verdict ?? null,
  }));
}

async function redisKeys(): Promise<string[]> {
  const r = new Redis({ port: redis.port, password: redis.password });
  try { return await r.keys("*"); } finally { r.disconnect(); }
}

describe("queued campaign on BullMQ and Redis (FakeDriver hosts)", { concurrency: false }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "tiosa-queue-fake-"));
    // The fake hosts' pools, this process's and its worker processes' (killed ones included), go with `work`.
    process.env.TIOSA_FAKE_POOL_DIR = work;
    disk = join(work, "guest.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "64M"]);
    unregister = registerFakeDriver();
    redis = await startTestRedis();
  });
  after(async () => {
    unregister();
    await redis.dispose();
    await rm(work, { recursive: true, force: true });
    delete process.env.TIOSA_FAKE_POOL_DIR;
  });

  it("one worker per host: every case reaches the in-process runner's verdicts, test by test; the store holds every step; nothing is left on the hosts or in Redis", async () => {
    const guests = ["deb", "deb2"];
    const local = newRun("inproc", guests);
    assert.equal(await executeRun({ ...local.base, images: new Map(guests.map((g) => [imageKey(g, "kvm"), image()])), signal: new AbortController().signal }), "finished");

    const q = newRun("queued", guests);
    const workers = startWorkers([["src"], ["tgt"]]);
    try {
      const state = await executeQueuedRun({ ...q.base, images: new Map(), signal: new AbortController().signal, redis: parseQueueUrl(redis.url), campaignFile: null, pollMs: 200 });
      assert.equal(state, "finished");
    } finally {
      await workers.stop();
    }
    const a = outcome(local.store), b = outcome(q.store);
    assert.equal(b.length, 4, "2 captures and 2 cases");
    assert.ok(b.every((j) => j.state === "done"), JSON.stringify(b.map((j) => [j.job, j.state])));
    assert.ok(b.filter((j) => j.job.startsWith("case")).every((j) => j.tests.length > 20 && j.verdict === "SUCCESS"));
    assert.deepEqual(b.map((j) => ({ ...j, job: j.job.replace("queued", "X") })), a.map((j) => ({ ...j, job: j.job.replace("inproc", "X") })));
    // Evidence carried over from the workers: the capture's and case's files are in the run's directory.
    assert.ok(q.store.evidence().length > 0 && q.store.evidence().filter((e) => e.path).every((e) => q.store.evidencePath(e) && e.path!.startsWith("evidence/")));
    assert.deepEqual(q.src.leftovers(), []);
    assert.deepEqual(q.tgt.leftovers(), []);
    assert.deepEqual(await redisKeys(), [], "no run, queue or job left in Redis");
    assert.ok(workers.logs.some((m) => /serving src/.test(m)) && workers.logs.some((m) => /serving tgt/.test(m)), workers.logs.join("\n"));
    local.store.close();
    q.store.close();
  });

  it("a job no worker can run fails after its attempts, each attempt's error in its evidence; the cases of that capture are not run", async () => {
    const q = newRun("noimage", ["deb"]);
    const workers = startWorkers([["src", "tgt"]], { image: async () => { throw new Error("image cache unreadable here"); } });
    try {
      assert.equal(await executeQueuedRun({ ...q.base, images: new Map(), signal: new AbortController().signal, redis: parseQueueUrl(redis.url), campaignFile: null, pollMs: 200, attempts: 2 }), "finished");
    } finally {
      await workers.stop();
    }
    const capture = q.store.jobs().find((j) => j.kind === "capture")!;
    assert.equal(capture.state, "failed");
    assert.match(capture.detail ?? "", /no worker could run it: image cache unreadable here/);
    const attempts = q.store.evidence(capture.id).find((e) => e.kind === "attempts")!;
    assert.match(attempts.text ?? "", /^attempt 1: .*image cache unreadable here\nattempt 2: .*image cache unreadable here$/);
    const kase = q.store.jobs().find((j) => j.kind === "case")!;
    assert.equal(kase.state, "failed");
    assert.match(kase.detail ?? "", /not run: .* failed/);
    assert.deepEqual(q.src.leftovers(), []);
    assert.deepEqual(await redisKeys(), []);
    q.store.close();
  });

  it("Redis stopped and started again mid-run: coordinator and workers wait, reconnect, and the run finishes with every result", async () => {
    const q = newRun("restart", ["deb"]);
    const workers = startWorkers([["src", "tgt"]]);
    try {
      const running = executeQueuedRun({ ...q.base, images: new Map(), signal: new AbortController().signal, redis: parseQueueUrl(redis.url), campaignFile: null, pollMs: 200 });
      // Once the capture has started on the worker: Redis goes away for 3 s.
      for (let i = 0; i < 200 && !q.store.steps().some((s) => s.jobId.startsWith("capture")); i++) await new Promise((r) => setTimeout(r, 100));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 3000));
      await redis.start();
      assert.equal(await running, "finished");
    } finally {
      await workers.stop();
    }
    const jobs = outcome(q.store);
    assert.ok(jobs.every((j) => j.state === "done"), JSON.stringify(jobs.map((j) => [j.job, j.state, j.steps])));
    assert.equal(jobs.find((j) => j.job.startsWith("case"))?.verdict, "SUCCESS");
    assert.ok(q.logs.some((m) => /does not answer/.test(m)) && q.logs.some((m) => /answers again/.test(m)), q.logs.join("\n"));
    assert.deepEqual(q.tgt.leftovers(), []);
    assert.deepEqual(await redisKeys(), []);
    q.store.close();
  });

  it("a worker killed (SIGKILL) in the middle of a case: after its lock lapses the job is taken again, by the worker started anew, and the run finishes with the same verdict", async () => {
    const { spawn } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const script = fileURLToPath(new URL("../support/fake-worker.js", import.meta.url));
    const wdir = join(work, "killed-worker");
    const start = () => {
      const c = spawn(process.execPath, [script, redis.url, "src,tgt", wdir, disk], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      c.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
      c.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
      return { c, out: () => out, exited: new Promise<void>((r) => c.once("exit", () => r())) };
    };
    const q = newRun("killed", ["deb"]);
    let w = start();
    try {
      const running = executeQueuedRun({ ...q.base, images: new Map(), signal: new AbortController().signal, redis: parseQueueUrl(redis.url), campaignFile: null, pollMs: 200 });
      const kase = q.plan.jobs.find((j) => j.kind === "case")!;
      // Killed once the case is past its export (step 5 running or later).
      for (let i = 0; i < 900 && !q.store.steps(kase.id).some((s) => s.no >= 6); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(q.store.steps(kase.id).some((s) => s.no >= 6), `the case never got going: ${w.out()}`);
      w.c.kill("SIGKILL");
      await w.exited;
      const firstOut = w.out();
      w = start();
      assert.equal(await running, "finished");
      const jobs = outcome(q.store);
      assert.ok(jobs.every((j) => j.state === "done"), JSON.stringify(jobs) + firstOut + w.out());
      assert.equal(jobs.find((j) => j.job === kase.id)?.verdict, "SUCCESS");
      assert.deepEqual(jobs.find((j) => j.job === kase.id)?.steps, [4, 5, 6, 7, 8, 9, 10, 11].map((n) => `${n} done`));
      assert.deepEqual(await redisKeys(), [], "no stuck or orphaned job in Redis");
    } finally {
      w.c.kill("SIGTERM");
      await w.exited;
    }
    // The restarted worker removed the killed one's work directories, and its own at the run's end.
    const { readdirSync, existsSync } = await import("node:fs");
    assert.ok(!existsSync(wdir) || readdirSync(wdir).length === 0, existsSync(wdir) ? readdirSync(wdir).join(", ") : "");
    q.store.close();
  });

  it("a host no worker serves: the coordinator names it and waits; a worker started later runs its jobs", async () => {
    const q = newRun("unserved", ["deb"]);
    const first = startWorkers([["src"]]);
    let later: ReturnType<typeof startWorkers> | null = null;
    try {
      const running = executeQueuedRun({ ...q.base, images: new Map(), signal: new AbortController().signal, redis: parseQueueUrl(redis.url), campaignFile: null, pollMs: 200, noWorkerNoticeMs: 1000 });
      for (let i = 0; i < 600 && !q.logs.some((m) => /no worker serves tgt/.test(m)); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(q.logs.some((m) => /no worker serves tgt \(fake:\/\/\/unserved-tgt\); jobs wait for one: tiosa worker --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? --serves tgt/.test(m)), q.logs.join("\n"));
      assert.ok(!q.logs.some((m) => m.includes(redis.password)), "the password is never printed");
      assert.ok(!q.logs.some((m) => /no worker serves src/.test(m)), `src has its worker: ${q.logs.join("\n")}`);
      later = startWorkers([["tgt"]]);
      assert.equal(await running, "finished");
    } finally {
      await first.stop();
      await later?.stop();
    }
    assert.ok(outcome(q.store).every((j) => j.state === "done"));
    assert.deepEqual(await redisKeys(), []);
    q.store.close();
  });

  it("--queue with a wrong port or password: exit 2 within 10 s, naming the server (password hidden), and no run is created", async () => {
    const file = join(work, "bad-queue.yaml");
    const { writeFileSync, existsSync, readdirSync } = await import("node:fs");
    writeFileSync(file, campaignText("badq", ["deb"]).replace("cycles: 1", `cycles: 1\noutput: ${join(work, "badq-runs")}`));
    for (const url of [`redis://:${redis.password}@127.0.0.1:1`, `redis://:wrong@127.0.0.1:${redis.port}`]) {
      let err = "";
      const t0 = Date.now();
      const code = await main(["run", file, "--queue", url], { out: () => undefined, err: (s) => { err += s + "\n"; } });
      assert.equal(code, 2, err);
      assert.ok(Date.now() - t0 < 10_000);
      assert.match(err, url.endsWith(":1") ? /--queue redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?: Redis is unreachable/ : /Redis refused the credentials/);
      assert.ok(!err.includes(redis.password) && !err.includes("wrong"), err);
      assert.ok(!existsSync(join(work, "badq-runs")) || readdirSync(join(work, "badq-runs")).length === 0);
    }
    let err = "";
    assert.equal(await main(["worker", "--queue", "redis://127.0.0.1:1", "--serves", "src"], { out: () => undefined, err: (s) => { err += s + "\n"; } }), 2);
    assert.match(err, /Redis is unreachable/);
  });
});
