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
