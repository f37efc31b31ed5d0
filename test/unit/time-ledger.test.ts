import { test } from "node:test";
import assert from "node:assert/strict";
import { breakdown, measured, recordTime, timedAs } from "../../src/util/time-ledger.js";

test("each instant of a step goes to one kind: boot over tool over hypervisor over guest over wait; the rest is tiosa's", () => {
  const t = breakdown([
    { kind: "boot", label: "Launch vm", start: 10, end: 40 },
    { kind: "hypervisor", label: "virsh", start: 20, end: 50 }, // 20-40 inside the boot
    { kind: "tool", label: "qemu-img", start: 60, end: 80 },
    { kind: "tool", label: "tar", start: 70, end: 80 }, // 70-80 shared by two tools
    { kind: "guest", label: "ssh", start: 85, end: 95 },
    { kind: "wait", label: "test wait", start: 90, end: 100 },
  ], 0, 110);
  assert.deepEqual(
    { wall: t.wallMs, boot: t.bootMs, tool: t.toolMs, hv: t.hypervisorMs, guest: t.guestMs, wait: t.waitMs, other: t.otherMs },
    { wall: 110, boot: 30, tool: 20, hv: 10, guest: 10, wait: 5, other: 35 },
  );
  assert.deepEqual(t.tools, { "qemu-img": 15, tar: 5 });
  assert.deepEqual(t.boots, [{ label: "Launch vm", ms: 30 }]);
});

test("intervals outside the step are clipped, and a step with none is all tiosa's own work", () => {
  const t = breakdown([{ kind: "tool", label: "qemu-img", start: -50, end: 10 }], 0, 20);
  assert.equal(t.toolMs, 10);
  assert.equal(t.otherMs, 10);
  assert.equal(breakdown([], 5, 25).otherMs, 20);
});

test("concurrent steps keep their own ledgers, and nothing is recorded outside a step", async () => {
  recordTime("tool", "outside", Date.now() - 1000); // no ledger: ignored
  const step = (label: string, ms: number) => measured(() => timedAs("tool", label, () => new Promise<string>((r) => setTimeout(() => r(label), ms))));
  const [a, b] = await Promise.all([step("qemu-img", 60), step("virt-v2v", 30)]);
  assert.ok("result" in a && "result" in b);
  assert.deepEqual(Object.keys(a.timing.tools), ["qemu-img"]);
  assert.deepEqual(Object.keys(b.timing.tools), ["virt-v2v"]);
  assert.ok(a.timing.toolMs >= 50 && b.timing.toolMs >= 20);
});

test("a failing step still gives its breakdown", async () => {
  const m = await measured(async () => { await timedAs("guest", "ssh", () => new Promise((r) => setTimeout(r, 20))); throw new Error("boom"); });
  assert.ok("error" in m);
  assert.equal((m.error as Error).message, "boom");
  assert.ok(m.timing.guestMs >= 15);
});
