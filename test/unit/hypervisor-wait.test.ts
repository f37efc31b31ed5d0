import { test } from "node:test";
import assert from "node:assert/strict";
import { GuestNeverBootedError, waitForGuest } from "../../src/hypervisor/launch.js";
import type { HypervisorDriver } from "../../src/hypervisor/driver.js";

/** A running VM that never gets an address; its agent answers or not, its console says `console`. */
function fakeDriver(o: { agent: boolean; console?: string }): HypervisorDriver {
  return {
    capabilities: {},
    stateReason: async () => "running (booted)",
    readSerialConsole: async () => o.console ?? "",
    guestAddress: async () => null,
    agentPing: async () => o.agent,
  } as unknown as HypervisorDriver;
}

const access = { user: "root", identityFile: "/nonexistent" };

test("a guest whose agent answers but whose SSH stays silent is given up as booted without network, before the boot timeout", async () => {
  const t0 = Date.now();
  await assert.rejects(
    waitForGuest({ driver: fakeDriver({ agent: true, console: "Debian GNU/Linux 13 tiosa ttyS0\n" }), vm: "v", access, timeoutMs: 60_000, agentWithoutSshMs: 100 }),
    (e: unknown) => e instanceof GuestNeverBootedError && /runs \(its guest agent has answered for \d+ s\) but does not answer over SSH \(no address yet\): booted without a reachable network/.test(e.message)
      && e.consoleTail.includes("tiosa ttyS0"),
  );
  assert.ok(Date.now() - t0 < 20_000, "ended long before the 60 s boot timeout");
});

test("without an agent answering, the wait lasts the boot timeout and says what it last saw", async () => {
  await assert.rejects(
    waitForGuest({ driver: fakeDriver({ agent: false, console: "GRUB loading\n" }), vm: "v", access, timeoutMs: 2500, agentWithoutSshMs: 100 }),
    (e: unknown) => e instanceof GuestNeverBootedError && /did not answer over SSH within 3 s \(no address yet\); last console output: GRUB loading/.test(e.message),
  );
});

test("a fatal console line ends the wait at once, agent or not", async () => {
  await assert.rejects(
    waitForGuest({ driver: fakeDriver({ agent: true, console: "ALERT!  /dev/disk/by-uuid/x does not exist.  Dropping to a shell!\n" }), vm: "v", access, timeoutMs: 60_000 }),
    (e: unknown) => e instanceof GuestNeverBootedError && e.consoleLine !== null && /ALERT!/.test(e.consoleLine),
  );
});

test("a console read mid-message is read once more: the ALERT naming the missing device, printed after 'Gave up waiting', is the message", async () => {
  const gaveUp = "Gave up waiting for root file system device.  Common problems:\n - Boot args (cat /proc/cmdline)\n";
  const alert = "ALERT!  UUID=5d1c does not exist.  Dropping to a shell!\n";
  let reads = 0;
  const driver = { ...fakeDriver({ agent: false }), readSerialConsole: async () => (++reads === 1 ? gaveUp : gaveUp + alert) } as HypervisorDriver;
  await assert.rejects(
    waitForGuest({ driver, vm: "v", access, timeoutMs: 60_000, pollMs: 20 }),
    (e: unknown) => e instanceof GuestNeverBootedError && /its serial console says "ALERT!  UUID=5d1c does not exist/.test(e.message) && e.consoleTail.includes("Gave up"),
  );
  assert.equal(reads, 2);
});

/** A running VM without an address whose agent runs commands: systemd answers `states` in turn. */
function fakeDriverWithAgent(states: string[]): { driver: HypervisorDriver; asked: () => number } {
  let n = 0;
  const driver = {
    capabilities: {
      guestAgent: {
        open: async () => ({
          exec: async () => {
            const state = states[Math.min(n, states.length - 1)]!;
            n++;
            const jobs = state === "starting" ? "12 tiosa-firstboot-net.service start running\n13 systemd-networkd.service start waiting\n" : "";
            const failed = state === "degraded" ? "systemd-networkd-wait-online.service loaded failed failed Wait for Network to be Configured\n" : "";
            return { code: 0, stdout: `${state}\n#jobs\n${jobs}#failed\n${failed}`, stderr: "" };
          },
          close: async () => {},
        }),
      },
    },
    stateReason: async () => "running (booted)",
    readSerialConsole: async () => "",
    guestAddress: async () => null,
    agentPing: async () => true,
  } as unknown as HypervisorDriver;
  return { driver, asked: () => n };
}

test("a guest whose systemd is still starting units is waited for, and given up once its boot has finished without network, naming what failed", async () => {
  const f = fakeDriverWithAgent(["starting", "starting", "degraded"]);
  await assert.rejects(
    waitForGuest({ driver: f.driver, vm: "v", access, timeoutMs: 60_000, agentWithoutSshMs: 100, stillBootingRecheckMs: 50, pollMs: 20 }),
    (e: unknown) => e instanceof GuestNeverBootedError && /booted without a reachable network \(its systemd says 'degraded'; failed units: systemd-networkd-wait-online.service/.test(e.message),
  );
  assert.equal(f.asked(), 3, "asked while starting, twice, then once it had finished");
});

test("a guest still starting units when the boot timeout runs out: the timeout message says which jobs it was running", async () => {
  const f = fakeDriverWithAgent(["starting"]);
  await assert.rejects(
    waitForGuest({ driver: f.driver, vm: "v", access, timeoutMs: 1500, agentWithoutSshMs: 100, stillBootingRecheckMs: 50, pollMs: 20 }),
    (e: unknown) => e instanceof GuestNeverBootedError && /did not answer over SSH within 2 s \(no address yet; its systemd says 'starting'; jobs: 12 tiosa-firstboot-net.service start running/.test(e.message),
  );
});
