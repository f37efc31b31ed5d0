import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyFailure, type FailureInput } from "../../src/campaign/causes.js";
import { consoleBootFailure } from "../../src/guest/boot-failure.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { baseSnapshot, variant } from "../support/snapshots.js";
import { SEQUENCE2_STEPS } from "../../src/campaign/plan.js";
import { CONSOLE_ALERT } from "../support/report-fixtures.js";
import type { Snapshot } from "../../src/snapshot/schema.js";

const NOW = new Date("2026-11-23T00:00:00Z");
const steps = (failedAt?: number, upTo = 11) => SEQUENCE2_STEPS.filter((s) => s.no <= upTo).map((s) => ({
  no: s.no, name: s.name, state: failedAt === undefined || s.no < failedAt ? "done" : s.no === failedAt ? "failed" : "skipped", detail: s.no === failedAt ? "exit 1" : null,
}));
const evaluated = (target: Snapshot, evidence: FailureInput["evidence"] = []): FailureInput =>
  ({ steps: steps(), evaluation: evaluate(baseSnapshot(), target, { now: NOW }), target, evidence });
const noBoot = variant((s) => { s.guest = null; s.hypervisorTests = { "1.1.a": { result: "failed", detail: "no SSH after 300 s" } }; });

describe("failure causes", () => {
  it("no route is tool support", () => {
    const c = classifyFailure({ noRoute: { fromFamily: "hyperv", toFamily: "kvm" }, steps: [], evaluation: null, target: null, evidence: [] });
    assert.equal(c.class, "tool");
    assert.match(c.reason, /no route moves a VM from hyperv to kvm/);
  });

  it("a failed conversion or import is tool support", () => {
    for (const no of [5, 7]) assert.equal(classifyFailure({ steps: steps(no), evaluation: null, target: null, evidence: [] }).class, "tool");
  });

  it("Launch failed with an initramfs shell on the console is OS related, with the console as evidence", () => {
    const console = { kind: "console", stepNo: 9, text: CONSOLE_ALERT };
    const c = classifyFailure(evaluated(noBoot, [console, { kind: "screenshot", stepNo: 9, path: "/r/e/9-screenshot.png" }]));
    assert.equal(c.class, "os");
    assert.match(c.reason, /did not boot: ALERT!\s+LABEL=root does not exist\.\s+Dropping to a shell!/);
    assert.deepEqual(c.evidence.map((e) => e.kind), ["console", "screenshot"]);
  });

  it("recognises kernel panics and emergency mode on the console", () => {
    assert.match(consoleBootFailure("[ 2.1] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n")!, /^\[ 2\.1\] Kernel panic/);
    assert.match(consoleBootFailure("You are in emergency mode. After logging in, type \"journalctl -xb\"")!, /emergency mode/);
    assert.equal(consoleBootFailure("Debian GNU/Linux 12 host ttyS0\n\nhost login: "), null);
  });

  it("SSH unreachable while the guest agent answers is OS related (network lost)", () => {
    const t = variant((s) => { s.guest!.transport = "qga"; s.guest!.interfaces![0]!.addresses = []; s.guest!.icmp = { private: { target: "10.0.2.2", sent: 3, received: 0, maxRttMs: null }, public: null }; });
    const c = classifyFailure(evaluated(t, [{ kind: "guest-agent", stepNo: 10, text: "systemctl is-system-running = running" }]));
    assert.equal(c.class, "os");
    assert.match(c.reason, /booted but lost its network: SSH unreachable while the guest agent answers/);
    assert.equal(c.evidence[0]!.kind, "guest-agent");
  });

  it("a Table II test other than Launch failing is hypervisor related", () => {
    const t = variant((s) => { s.hypervisorTests["1.1.g"] = { result: "failed", detail: "virsh destroy: device busy" }; });
    const input = evaluated(t);
    assert.equal(input.evaluation!.verdict, "FAILURE");
    const c = classifyFailure(input);
    assert.equal(c.class, "hypervisor");
    assert.match(c.reason, /1\.1\.g Terminate/);
  });

  it("a start the hypervisor refused, with a silent console, is hypervisor related", () => {
    const c = classifyFailure({ steps: steps(9), evaluation: null, target: null, evidence: [] });
    assert.equal(c.class, "hypervisor");
    assert.match(c.reason, /did not start the VM/);
  });

  it("a guest that does not pass its tests on its own hypervisor fails at step 3: OS related", () => {
    assert.equal(classifyFailure({ steps: steps(3), evaluation: null, target: null, evidence: [] }).class, "os");
  });
});
