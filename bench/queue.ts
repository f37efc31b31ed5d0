/**
 * What the job queue costs (issue 22): the same campaign in process and over BullMQ on a real
 * Redis, side by side, 3 times each; medians and their ratio. The hosts are FakeDriver hosts
 * (test/support/fake-driver.ts: a guest answers at once), so the figure is the queue's own
 * cost per job, not the guests'. Both runs have 4 jobs at once: concurrency 4 in process,
 * two hosts of 2 slots with one worker each over the queue.
 *
 *   node dist/bench/queue.js     (needs Debian's redis-server and qemu-img; ~4 min)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCampaign } from "../src/campaign/spec.js";
import { planCampaign } from "../src/campaign/plan.js";
import { planRoutes } from "../src/campaign/routes.js";
import { RunStore } from "../src/campaign/store.js";
import { executeRun } from "../src/campaign/runner.js";
import { executeQueuedRun } from "../src/campaign/queue/coordinator.js";
import { runWorker } from "../src/campaign/queue/worker.js";
import { parseQueueUrl } from "../src/campaign/queue/redis.js";
import { imageKey } from "../src/campaign/steps/common.js";
import { DEFAULT_PROFILE } from "../src/evaluate/profile.js";
import type { BuiltImage } from "../src/images/index.js";
import { registerFakeDriver } from "../test/support/fake-driver.js";
import { startTestRedis } from "../test/support/redis.js";

const work = mkdtempSync(join(tmpdir(), "tiosa-bench-queue-"));
const disk = join(work, "guest.qcow2");
execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "64M"]);
registerFakeDriver();
const redis = await startTestRedis();
const image = { name: "debian-12", diskPath: disk, format: "qcow2", sshPrivateKeyPath: join(work, "k"), sshPublicKeyPath: join(work, "k.pub"), user: "root", metadata: {}, metadataPath: join(work, "m.json"), cached: true } as unknown as BuiltImage;
const guests = ["a", "b", "c", "d"];
const text = (n: string) => [`name: ${n}`, "hypervisors:",
  `  - { name: src, uri: "fake:///${n}-src", family: kvm, slots: 2 }`, `  - { name: tgt, uri: "fake:///${n}-tgt", family: kvm, slots: 2 }`,
  "guests:", ...guests.map((g) => `  - { name: ${g}, image: debian-12 }`),
  "pairs: [{ from: src, to: tgt }]", "routes: [export-libvirt-xml+define-xml]", "cycles: 1", "concurrency: 4", "timeouts: { boot: 20, hypervisorTests: 120 }", ""].join("\n");
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const times: Record<"in process" | "queue", number[]> = { "in process": [], queue: [] };
let jobs = 0;
try {
  for (let i = 0; i < 3; i++) {
    for (const mode of ["in process", "queue"] as const) {
      const n = `${mode === "queue" ? "queued" : "inproc"}${i}`;
      const campaign = parseCampaign(text(n), join(work, `${n}.yaml`));
      const plan = planCampaign(campaign, planRoutes);
      const store = RunStore.create(join(work, n), { campaign: n, specText: campaign.text, specHash: campaign.hash, plan, tiosaVersion: "bench" });
      const base = { campaign, plan, store, profile: DEFAULT_PROFILE, log: () => undefined, changed: () => undefined, concurrency: 4, signal: new AbortController().signal };
      const t0 = Date.now();
      if (mode === "in process") {
        await executeRun({ ...base, images: new Map(guests.map((g) => [imageKey(g, "kvm"), image])) });
      } else {
        const ac = new AbortController();
        const workers = [["src"], ["tgt"]].map((s) => runWorker({ redis: parseQueueUrl(redis.url), serves: s, workDir: join(work, `w-${n}-${s[0]}`), signal: ac.signal, log: () => undefined, image: async () => image }));
        await executeQueuedRun({ ...base, images: new Map(), redis: parseQueueUrl(redis.url), campaignFile: null });
        ac.abort();
        await Promise.all(workers);
      }
      const s = (Date.now() - t0) / 1000;
      times[mode].push(s);
      const ended = store.jobs().filter((j) => j.kind !== "readiness");
      jobs = ended.length;
      const bad = ended.filter((j) => j.state !== "done");
      console.log(`${mode.padEnd(10)} run ${i + 1}: ${s.toFixed(1)} s${bad.length ? `; NOT DONE: ${bad.map((j) => j.id).join(", ")}` : ""}`);
      store.close();
    }
  }
  const a = median(times["in process"]), b = median(times.queue);
  console.log(`${jobs} jobs (4 captures, 4 cases), 4 at once: in process median ${a.toFixed(1)} s, over the queue median ${b.toFixed(1)} s; ratio ${(b / a).toFixed(2)}; the queue's cost ${(((b - a) / jobs)).toFixed(2)} s per job`);
} finally {
  await redis.dispose();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
