import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { routeStability, type CycleOutcome } from "../../src/campaign/stability.js";
import { cellVerdict } from "../../src/campaign/matrix.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { baseSnapshot, variant } from "../support/snapshots.js";

const NOW = new Date("2026-11-23T00:00:00Z");
const src = baseSnapshot();
const cycle = (n: number, edit: Parameters<typeof variant>[0] = () => {}): CycleOutcome => {
  const e = evaluate(src, variant(edit), { now: NOW });
  return { cycle: n, verdict: e.verdict, evaluation: e, failedStep: null };
};
const rename = (s: ReturnType<typeof baseSnapshot>) => { s.guest!.interfaces![0]!.name = "ens4"; };

describe("stability over cycles", () => {
  it("identical results in every cycle are stable", () => {
    const s = routeStability([cycle(1, rename), cycle(2, rename), cycle(3, rename)]);
    assert.equal(s.stable, true);
    assert.equal(s.shown, true);
    assert.deepEqual(s.flipped, []);
    assert.equal(s.verdict, "WARNING");
  });

  it("a test that flips makes the route unstable, lists it and counts the worst cycle", () => {
    const s = routeStability([cycle(1), cycle(2, (x) => { x.guest!.icmp!.private!.received = 1; }), cycle(3)]);
    assert.equal(s.stable, false);
    assert.deepEqual(s.flipped.map((f) => f.test), ["2.3.e"]);
    assert.deepEqual(s.flipped[0]!.verdicts.map((v) => v.verdict), ["SUCCESS", "FAILURE", "SUCCESS"]);
    assert.equal(s.verdict, "FAILURE");
    assert.equal(s.worstCycle, 2);
  });

  it("a flip with the same overall verdict is still unstable", () => {
    const s = routeStability([cycle(1, rename), cycle(2, (x) => { rename(x); x.guest!.icmp!.private!.maxRttMs = 4000; })]);
    assert.equal(s.stable, false);
    assert.equal(s.verdict, "WARNING");
    assert.deepEqual(s.flipped.map((f) => f.test), ["2.3.e"]);
  });

  it("a cycle that stopped at a step against cycles that evaluated flips that step", () => {
    const failed: CycleOutcome = { cycle: 2, verdict: "FAILURE", evaluation: null, failedStep: { no: 5, name: "Export", detail: "qemu-img: exit 1" } };
    const s = routeStability([cycle(1), failed]);
    assert.equal(s.stable, false);
    assert.ok(s.flipped.some((f) => f.test === "step 5"));
    assert.equal(s.worstCycle, 2);
  });

  it("one finished cycle shows no stability, unfinished cycles are left out", () => {
    const s = routeStability([cycle(1), { cycle: 2, verdict: null, evaluation: null, failedStep: null }]);
    assert.equal(s.shown, false);
    assert.equal(s.cyclesFinished, 1);
    assert.equal(routeStability([]).verdict, null);
  });
});

describe("matrix cell", () => {
  it("shows the best route's verdict", () => {
    const c = cellVerdict([{ route: "ova", verdict: "FAILURE", stable: true }, { route: "qemu-img", verdict: "WARNING", stable: true }]);
    assert.deepEqual(c, { status: "result", verdict: "WARNING", bestRoute: "qemu-img" });
  });
  it("no route is a FAILURE of its own kind; unfinished routes give no result", () => {
    assert.deepEqual(cellVerdict([]), { status: "no-route", verdict: "FAILURE", bestRoute: null });
    assert.deepEqual(cellVerdict([{ route: "a", verdict: null, stable: true }]), { status: "pending", verdict: null, bestRoute: null });
  });
  it("among equal verdicts prefers a stable route, then the one that got further", () => {
    assert.equal(cellVerdict([{ route: "a", verdict: "WARNING", stable: false }, { route: "b", verdict: "WARNING", stable: true }]).bestRoute, "b");
    assert.equal(cellVerdict([{ route: "a", verdict: "FAILURE", stable: true, reached: 6 }, { route: "b", verdict: "FAILURE", stable: true, reached: 11 }]).bestRoute, "b");
  });
});
