import { test } from "node:test";
import assert from "node:assert/strict";
import { StallWatch, type VmActivity } from "../../src/hypervisor/stall.js";
import { GuestNeverBootedError, waitForGuest } from "../../src/hypervisor/launch.js";
import type { HypervisorDriver } from "../../src/hypervisor/driver.js";
import type { GuestTransport } from "../../src/guest/transport.js";

// What GRUB wrote on the machine where the demo hung (issue 17): then nothing, for 11 minutes.
const GRUB = "\x1b[0m\x1b[30m\x1b[47mGNU GRUB  version 2.06-13+deb12u1\r\n  Booting `Debian GNU/Linux'\r\n\r\nLoading Linux 6.1.0-50-amd64 ...\r\nLoading initial ramdisk ...\r\n";

test("a guest that shows GRUB and then nothing while its vCPU runs is stalled once the bound has passed, not before", () => {
  const w = new StallWatch(30_000);
  const busy = (t: number): VmActivity => ({ cpuTimeMs: t * 0.98, ioOps: 412 });
  assert.equal(w.observe({ atMs: 0, consoleBytes: 0, agentAnswered: false, activity: busy(0) }).stalled, false);
  assert.equal(w.observe({ atMs: 2000, consoleBytes: GRUB.length, agentAnswered: false, activity: busy(2000) }).stalled, false);
  assert.equal(w.observe({ atMs: 31_000, consoleBytes: GRUB.length, agentAnswered: false, activity: busy(31_000) }).stalled, false);
  const v = w.observe({ atMs: 32_500, consoleBytes: GRUB.length, agentAnswered: false, activity: busy(32_500) });
  assert.equal(v.stalled, true);
  assert.match(v.stalled ? v.reason : "", /no new console output, disk or network I\/O and no guest-agent answer for 31 s after \d+ bytes of console output, while its vCPU ran 29\.9 s of them/);
});

test("a slow guest that prints a line every 10 s is never taken as stalled", () => {
  const w = new StallWatch(30_000);
  let bytes = 0;
  for (let t = 0; t <= 600_000; t += 2000) {
    if (t % 10_000 === 0) bytes += 80;
    const v = w.observe({ atMs: t, consoleBytes: bytes, agentAnswered: false, activity: { cpuTimeMs: t, ioOps: 7 } });
    assert.equal(v.stalled, false, `at ${t} ms`);
  }
});

test("a quiet guest that reads its disk, or answers its agent, is making progress", () => {
  const io = new StallWatch(30_000);
  for (let t = 0; t <= 120_000; t += 2000) {
    assert.equal(io.observe({ atMs: t, consoleBytes: 100, agentAnswered: false, activity: { cpuTimeMs: t, ioOps: t / 100 } }).stalled, false);
  }
  const agent = new StallWatch(30_000);
  agent.observe({ atMs: 0, consoleBytes: 100, agentAnswered: true, activity: { cpuTimeMs: 0, ioOps: 0 } });
  assert.equal(agent.observe({ atMs: 120_000, consoleBytes: 100, agentAnswered: false, activity: { cpuTimeMs: 120_000, ioOps: 0 } }).stalled, false);
});

test("an idle guest (vCPU asleep at a prompt) is not KVM failing it", () => {
  const w = new StallWatch(30_000);
  w.observe({ atMs: 0, consoleBytes: 900, agentAnswered: false, activity: { cpuTimeMs: 5000, ioOps: 50 } });
  assert.equal(w.observe({ atMs: 60_000, consoleBytes: 900, agentAnswered: false, activity: { cpuTimeMs: 5300, ioOps: 50 } }).stalled, false);
});

test("without hypervisor counters, console and agent silence alone decide", () => {
  const w = new StallWatch(1000);
  w.observe({ atMs: 0, consoleBytes: null, agentAnswered: false, activity: null });
  const v = w.observe({ atMs: 1500, consoleBytes: null, agentAnswered: false, activity: null });
  assert.equal(v.stalled, true);
});

/**
 * A libvirt-like VM replaying a recorded console: under kvm it writes `kvmConsole` and then
 * nothing while its vCPU spins; redefined as TCG it boots, printing a line per `lineEveryMs`,
 * and gets an address after `bootMs`.
 */
function replayDriver(o: { kvmConsole: string; lineEveryMs: number; bootMs: number; startAccel?: "kvm" | "tcg" }) {
  let accel: "kvm" | "tcg" = o.startAccel ?? "kvm";
  let bootedAt = Date.now();
  const calls: string[] = [];
  const elapsed = () => Date.now() - bootedAt;
  const driver = {
    uri: "fake:///", runId: "t", capabilities: {},
    stateReason: async () => "running (booted)",
    readSerialConsole: async () => accel === "kvm"
      ? o.kvmConsole
      : "Linux version 6.1.0\n" + "[ ok ] a boot message\n".repeat(Math.floor(elapsed() / o.lineEveryMs)),
    guestAddress: async () => (accel === "tcg" && elapsed() >= o.bootMs ? "192.0.2.10" : null),
    agentPing: async () => false,
    accelOf: async () => accel,
    activity: async () => ({ cpuTimeMs: elapsed(), ioOps: accel === "kvm" ? 100 : elapsed() }),
    lifecycle: async (_vm: string, op: string) => { calls.push(op); if (op === "start") bootedAt = Date.now(); },
    redefineAsTcg: async (_vm: string, _s?: AbortSignal, reason?: string) => { calls.push(`redefine: ${reason}`); accel = "tcg"; },
  } as unknown as HypervisorDriver;
  return { driver, calls, accel: () => accel };
}

const access = { user: "root", identityFile: "/nonexistent" };
const answering = (host: string): GuestTransport => ({
  label: `fake ssh ${host}`,
  exec: async () => ({ code: 0, stdout: "3b1f0c1e-boot\n", stderr: "", timedOut: false }),
  close: async () => {},
} as unknown as GuestTransport);

test("waitForGuest restarts under TCG a kvm guest whose console showed GRUB and then nothing, within the bound, and says so", async () => {
  const fake = replayDriver({ kvmConsole: GRUB, lineEveryMs: 20, bootMs: 200 });
  const t0 = Date.now();
  const w = await waitForGuest({ driver: fake.driver, vm: "v", access, timeoutMs: 60_000, stallMs: 400, pollMs: 25, openTransport: answering });
  const took = Date.now() - t0;
  assert.equal(fake.accel(), "tcg");
  assert.deepEqual(fake.calls.map((c) => c.replace(/:.*/, "")), ["destroy", "redefine", "start"]);
  assert.match(fake.calls[1]!, /no new console output, disk or network I\/O and no guest-agent answer for 0 s after \d+ bytes/);
  assert.match(w.accelFallback ?? "", /^KVM stalled the guest \(.*last console output: Loading Linux 6\.1\.0-50-amd64 \.\.\. \| Loading initial ramdisk \.\.\.\); restarted under TCG after 0 s$/);
  assert.equal(w.bootId, "3b1f0c1e-boot");
  assert.ok(took < 5000, `fell back and booted in ${took} ms (bound 400 ms + boot 200 ms)`);
});

test("waitForGuest never falls back for a kvm guest that prints steadily, however slowly it boots", async () => {
  // Under kvm this guest boots like the TCG one: prints every 60 ms, answers after 1.5 s.
  const fake = replayDriver({ kvmConsole: "", lineEveryMs: 60, bootMs: 1500, startAccel: "tcg" });
  const slowKvm = { ...fake.driver, accelOf: async () => "kvm" } as unknown as HypervisorDriver;
  const w = await waitForGuest({ driver: slowKvm, vm: "v", access, timeoutMs: 60_000, stallMs: 400, pollMs: 25, openTransport: answering });
  assert.equal(w.accelFallback, undefined);
  assert.deepEqual(fake.calls, []);
});

test("a tcg guest, or a forced accelerator, is never moved: the wait runs to its budget", async () => {
  const fake = replayDriver({ kvmConsole: GRUB, lineEveryMs: 20, bootMs: 200 });
  const asTcg = { ...fake.driver, accelOf: async () => "tcg" } as unknown as HypervisorDriver;
  await assert.rejects(
    waitForGuest({ driver: asTcg, vm: "v", access, timeoutMs: 800, stallMs: 100, pollMs: 25, openTransport: answering }),
    (e: unknown) => e instanceof GuestNeverBootedError && /did not answer over SSH within 1 s/.test(e.message),
  );
  const before = process.env.TIOSA_ACCEL;
  process.env.TIOSA_ACCEL = "kvm";
  try {
    await assert.rejects(waitForGuest({ driver: fake.driver, vm: "v", access, timeoutMs: 800, stallMs: 100, pollMs: 25, openTransport: answering }), GuestNeverBootedError);
    assert.deepEqual(fake.calls, []);
  } finally {
    if (before === undefined) delete process.env.TIOSA_ACCEL; else process.env.TIOSA_ACCEL = before;
  }
});
