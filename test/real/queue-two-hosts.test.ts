import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { buildImage } from "../../src/images/index.js";
import { RunStore } from "../../src/campaign/store.js";
import { ROOT, campaignFile, runResults, haveVirtualization, leftoversOnLibvirt, runDirOf, startCli, stopAll, type CliRun } from "../support/campaign-cli.js";
import { startRemoteHost, stopRemoteHost, type RemoteHost } from "../support/remote-host.js";
import { startTestRedis, type TestRedis } from "../support/redis.js";

/**
 * Issue 22 on real hosts: a campaign over two libvirt hosts (this machine's, and a second
 * libvirtd in a network namespace reached over qemu+ssh, test/support/remote-host.ts), run
 * once by the in-process runner and once over BullMQ on Debian's redis-server with one
 * `tiosa worker` process per host. During the queued run one worker is SIGKILLed in the
 * middle of a case (its target VM booting) and started again, and Redis is stopped and
 * started again. Both runs must reach the same verdicts test by test, the store must hold
 * every step, and nothing may be left on either host, in the workers' directories or in Redis.
 *
 * Tiny guests (busybox, 64 MiB) keep the six cases to minutes. Both workers run on this
 * machine beside their hosts: this machine routes to the second host's guest networks, as a
 * lab's hosts reach each other's, so the in-process runner reaches every guest too.
 */
const skip = await haveVirtualization();
if (skip) console.log(`skipping: ${skip}`);

const HOSTS = { a: ["a-kvm", "a-vmware", "a-hyperv", "a-xen"], b: ["b-kvm", "b-vmware", "b-hyperv", "b-xen"] } as const;

function campaign(remoteUri: string): string {
  const hv = (name: string, uri: string) => `  - { name: ${name}, uri: "${uri}", family: ${name.slice(2)}, slots: 1 }`;
  return [
    "name: queue-two-hosts",
    "hypervisors:",
    ...HOSTS.a.map((n) => hv(n, "qemu:///system")),
    ...HOSTS.b.map((n) => hv(n, remoteUri)),
    "guests:",
    "  - { name: tiny, image: tiny }",
    // Six cases: from each host's kvm to its three other families, one route each.
    "pairs:",
    ...["a", "b"].flatMap((h) => ["vmware", "hyperv", "xen"].map((f) => `  - { from: ${h}-kvm, to: ${h}-${f} }`)),
    "routes: { use: all, onePerPair: true }",
    "rules: " + join(ROOT, "campaigns", "emulated-families.rules.yaml"),
    "cycles: 1",
    "concurrency: 2",
    "timeouts: { boot: 420, stop: 40 }",
    'output: "@OUT@"',
    "",
  ].join("\n");
}


/** Waits until `pick` finds something in the run's store (read-only, while the run writes it). */
async function waitInStore<T>(runDir: string, what: string, pick: (s: RunStore) => T | null, run: CliRun, timeoutMs = 30 * 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const s = RunStore.open(runDir, { readonly: true });
    try {
      const x = pick(s);
      if (x !== null) return x;
    } finally {
      s.close();
    }
    if (run.child.exitCode !== null) throw new Error(`the run ended before ${what}:\n${run.stderr().slice(-3000)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${what} within ${timeoutMs / 60_000} min`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const log = (m: string) => process.stderr.write(`[queue-two-hosts ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

test("two libvirt hosts, a worker each on BullMQ/Redis: the in-process verdicts test by test, through a SIGKILLed worker and a Redis restart; nothing left", { skip: skip ?? false, timeout: 120 * 60_000 }, async () => {
  await buildImage("tiny");
  let remote: RemoteHost | undefined;
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  try {
    remote = await startRemoteHost({ routeGuests: true });
    redis = await startTestRedis();
    const c = campaignFile(campaign(remote.uri));
    dir = c.dir;
    const cfile = c.file;

    const t0 = Date.now();
    const inProcess = startCli(["run", cfile]);
    const baseDir = await runDirOf(inProcess);
    const base = await inProcess.done;
    const inProcessS = (Date.now() - t0) / 1000;
    log(`in-process run: exit ${base.code} in ${inProcessS.toFixed(0)} s`);
    assert.ok([0, 10, 20].includes(base.code ?? -1), `in-process run: exit ${base.code}\n${base.stderr.slice(-3000)}`);

    // The queued run. The password comes from the environment (a URL's password shows in ps).
    const env = { TIOSA_REDIS_PASSWORD: redis.password };
    const url = `redis://127.0.0.1:${redis.port}`;
    const workDir = { a: join(dir, "worker-a"), b: join(dir, "worker-b") };
    const worker = (h: "a" | "b") => startCli(["worker", "--queue", url, "--serves", HOSTS[h].join(","), "--work-dir", workDir[h]], { env });
    const t1 = Date.now();
    const coordinator = startCli(["run", cfile, "--queue", url], { env });
    const runDir = await runDirOf(coordinator);
    let workerA = worker("a");
    const workerB = worker("b");

    // SIGKILL host a's worker while a case's target VM boots there (step 8, Launch first).
    const victim = await waitInStore(runDir, "case running on host a", (s) => {
      const j = s.jobs().find((x) => x.kind === "case" && x.hut?.startsWith("a-") && x.state === "running");
      const step = j && s.steps(j.id).find((x) => x.no === 8 && x.state === "running");
      return j && step && Date.now() - Date.parse(step.startedAt) > 5_000 ? j.id : null;
    }, coordinator);
    workerA.child.kill("SIGKILL");
    const killed = await workerA.done;
    assert.equal(killed.signal, "SIGKILL");
    log(`killed worker a in ${victim}`);
    workerA = worker("a");
    // The new worker joins the run, and takes the killed case again once its lock has lapsed
    // (after first removing what the dead attempt left on the host).
    await waitForLine(workerA, /serving a-kvm/, "the restarted worker serving host a");
    await waitForLine(workerA, /removed \d+ object\(s\) left by an earlier attempt/, "the killed case taken again");
    log("worker a took the killed case again");

    // Redis away for 10 s while that case runs again: coordinator and workers wait and reconnect.
    await redis.stop();
    log("redis stopped");
    await new Promise((r) => setTimeout(r, 10_000));
    await redis.start();
    log("redis started");

    const queued = await coordinator.done;
    const queuedS = (Date.now() - t1) / 1000;
    log(`queued run: exit ${queued.code} in ${queuedS.toFixed(0)} s`);
    assert.equal(queued.code, base.code, `queued run's verdict is the in-process one\n${queued.stderr.slice(-3000)}`);

    // Same verdicts, test by test; every step of every job in the store, none left running.
    const expected = runResults(baseDir);
    assert.deepEqual(runResults(runDir), expected);
    const store = RunStore.open(runDir, { readonly: true });
    try {
      const jobs = store.jobs();
      assert.equal(jobs.filter((j) => j.kind === "case").length, 6);
      assert.ok(jobs.every((j) => j.state !== "running" && j.state !== "pending"), JSON.stringify(jobs.map((j) => [j.id, j.state])));
      for (const j of jobs.filter((x) => x.kind !== "readiness")) assert.ok(store.steps(j.id).length > 0, `${j.id}: steps stored`);
      assert.ok(store.steps().every((s) => s.state !== "running"), "no step left running");
      assert.deepEqual(store.leftoverResources(), []);
      assert.equal(store.run().state, "finished");
    } finally {
      store.close();
    }
    assert.ok(expected.filter((j) => Object.keys(j.tests).length > 0).length >= 6, "the cases were evaluated test by test");

    // Nothing left: on either host, in the workers' and the run's work directories, in Redis.
    for (const [r, uri] of [[baseDir, "qemu:///system"], [baseDir, remote.uri], [runDir, "qemu:///system"], [runDir, remote.uri]] as const) {
      assert.deepEqual(await leftoversOnLibvirt(r, uri), [], `${r} on ${uri}`);
    }
    assert.equal(existsSync(join(runDir, "work")), false, "the run's work directory is gone");
    await waitForEmptyDirs([workDir.a, workDir.b]);
    const client = new Redis({ port: redis.port, password: redis.password, lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      // The coordinator removed its manifest and queues; the workers closed the run's queues.
      const keys = await client.keys("*");
      assert.deepEqual(keys.filter((k) => !/:stalled-check$/.test(k)), [], `left in Redis: ${keys.join(", ")}`);
    } finally {
      client.disconnect();
    }
    log(`in-process ${inProcessS.toFixed(0)} s, queued (one worker killed, Redis restarted) ${queuedS.toFixed(0)} s`);
    for (const w of [workerA, workerB]) w.child.kill("SIGTERM");
    for (const w of [workerA, workerB]) assert.equal((await w.done).code, 0, `worker exits 0 on SIGTERM\n${w.stderr().slice(-2000)}`);
  } finally {
    await stopAll();
    await redis?.dispose();
    if (remote) await stopRemoteHost(remote);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** Waits for a line on a CLI process's stderr. */
async function waitForLine(r: CliRun, re: RegExp, what: string, timeoutMs = 10 * 60_000): Promise<void> {
  const t0 = Date.now();
  while (!re.test(r.stderr())) {
    if (r.child.exitCode !== null) throw new Error(`${what}: the process ended (exit ${r.child.exitCode}):\n${r.stderr().slice(-3000)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 60_000} min:\n${r.stderr().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** A worker removes a run's directory when the run's manifest is gone (within its 2 s poll). */
async function waitForEmptyDirs(dirs: string[]): Promise<void> {
  for (let i = 0; i < 30; i++) {
    if (dirs.every((d) => !existsSync(d) || readdirSync(d).length === 0)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(dirs.map((d) => [d, existsSync(d) ? readdirSync(d) : []]), dirs.map((d) => [d, []]), "workers' directories are empty");
}
