import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { getFamily } from "../../hypervisor/families/index.js";
import type { HypervisorDriver } from "../../hypervisor/driver.js";
import { waitForGuest } from "../../hypervisor/launch.js";
import { GuestProbeError, captureSnapshot } from "../../capture/snapshot.js";
import { evaluate } from "../../evaluate/evaluate.js";
import type { Snapshot } from "../../snapshot/schema.js";
import { findRoute, type Route } from "../../routes/discover.js";
import type { Family } from "../../routes/artifacts.js";
import { RouteExecution, describeSteps } from "../../migrate/route-executor.js";
import { readSourceVm } from "../../migrate/source-vm.js";
import { stopVm } from "../../migrate/stop.js";
import { checkTargetRoom } from "../../migrate/room.js";
import { imageSize } from "../../migrate/image-size.js";
import { allocatedBytes } from "../../migrate/measure.js";
import { formatBytes } from "../../util/bytes.js";
import type { CaseJob, PlannedHypervisor } from "../plan.js";
import { guestOf, hypervisorsOf, jobMarker, observeGuest, StepFailed, type RunContext } from "./common.js";
import { guestAccess, probeTransport, testContext } from "./guest-access.js";
import { runHypervisorSet, runTerminate, type HypervisorSet } from "./hypervisor-set.js";
import { runStep, skipRest } from "./step.js";
import { defineSourceVm, vmShortName } from "./capture.js";

export const TARGET_TERMINATE_NOTE = "Terminate runs after the OS test set (step 10)";

/**
 * Sequence 2 steps 4-11 of one case: stop the source VM, export/convert it along the route,
 * check the target's room, import it, run Table II there, make sure it runs, run Table III
 * in it, compare with the source snapshot. Everything it creates on the target carries the
 * case's marker; the runner removes it when the case ends.
 */
export async function runCase(rc: RunContext, job: CaseJob, o: { source: HypervisorDriver; sourceVm: string; target: HypervisorDriver; workDir: string }): Promise<void> {
  const { source: hs, target } = hypervisorsOf(rc, job);
  const hut = target!;
  const g = guestOf(rc, job.guest);
  const access = guestAccess(rc, g, hs.family);
  const route = routeOf(job, hs, hut);
  const last = route.steps.length - 1;
  const evidenceDir = join(o.workDir, "evidence");
  await mkdir(evidenceDir, { recursive: true });
  const log = (m: string) => rc.log(`${job.id}: ${m}`);
  let vm = o.sourceVm;
  let execution!: RouteExecution;
  /** The source disks' virtual size: what the imported disks may grow to. */
  let sourceVirtual = 0;
  const stop = (no: number) => { skipRest(rc, job, no, `step ${no} failed`); };

  const runRouteSteps = async (from: number, to: number, signal: AbortSignal) => {
    const r = await execution.run(from, to, { signal });
    return { bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, detail: describeSteps(r.reports) };
  };

  // 4: stop the VM on the source.
  if (!(await runStep(rc, job, 4, async (signal) => {
    const exists = await o.source.state(vm, signal).then(() => true, () => false);
    let note = "";
    if (!exists) {
      // A resumed run removed what the dead process left, the capture's VM included: the
      // VM is defined again from the same image, in the same hardware.
      rc.store.recordResource(job.captureId, "libvirt-run", jobMarker(rc.store.id, job.captureId), hs.uri);
      vm = await defineSourceVm(rc, o.source, job.guest, hs.family, signal);
      note = " (source VM defined again from its image after a resume)";
    }
    // The graceful wait leaves part of the step's budget for the power-off.
    const r = await stopVm(o.source, vm, { timeoutMs: job.steps.find((s) => s.no === 4)!.timeoutSeconds * 600, signal, log });
    const src = await readSourceVm(o.source, vm, signal);
    for (const d of src.disks) sourceVirtual += (await imageSize(d.path, d.format, signal).catch(() => ({ virtualSize: 0 }))).virtualSize;
    execution = new RouteExecution(route, {
      workDir: o.workDir, source: { driver: o.source, vm },
      target: { driver: o.target, family: getFamily(hut.family), uri: hut.uri },
      targetName: vmShortName("tgt", job.guest), hardware: src.inventory, log,
    }, { kind: `vm:${hs.family as Family}`, disks: [], packagePath: null, vmName: vm });
    return { detail: `${vm}: ${r.was === "shut off" ? "already off" : `${r.how} in ${r.seconds.toFixed(1)} s`}${note}` };
  }))) return stop(4);

  // 5: export / convert: every route step but the last (the import).
  if (!(await runStep(rc, job, 5, async (signal) => {
    if (last === 0) return { detail: `route ${route.id} has a single step: it exports, converts and imports in step 7`, bytesRead: 0, bytesWritten: 0 };
    return runRouteSteps(0, last - 1, signal);
  }))) return stop(5);

  // 6: room on the target for what step 5 produced.
  if (!(await runStep(rc, job, 6, async (signal) => {
    let actual = 0, virtual = 0;
    const artifact = execution.artifact;
    for (const d of artifact.disks) {
      const s = await imageSize(d.path, d.format, signal);
      actual += s.actualSize; virtual += s.virtualSize;
    }
    if (artifact.packagePath) actual = Math.max(actual, await allocatedBytes(artifact.packagePath));
    // A package (OVA) holds compressed disks: their virtual size is the source's.
    virtual = Math.max(virtual, sourceVirtual) || actual;
    const room = await checkTargetRoom(o.target, { diskActual: actual, diskVirtual: virtual, memoryBytes: execution.hardware.memoryBytes ?? 0 }, signal);
    return { detail: `${room.freeDiskBytes === null ? "free disk unknown" : `${formatBytes(room.freeDiskBytes)} free`} for ${formatBytes(actual)} (${formatBytes(virtual)} virtual); memory ${room.availableMemoryBytes === null ? "unknown" : formatBytes(room.availableMemoryBytes)} for ${formatBytes(room.neededMemoryBytes)}${room.warnings.length ? `; ${room.warnings.join("; ")}` : ""}` };
  }))) return stop(6);

  // 7: import (the route's last tool defines the VM on the target).
  if (!(await runStep(rc, job, 7, async (signal) => {
    const r = await runRouteSteps(last, last, signal);
    return { ...r, detail: `${execution.targetVm()}: ${r.detail}` };
  }))) return stop(7);
  const targetVm = execution.targetVm();

  // 8: Table II on the target (Launch boots it).
  const tctx = testContext({ driver: o.target, vm: targetVm, access, evidenceDir, bootSeconds: rc.campaign.timeouts.boot, signal: rc.signal, log });
  let set: HypervisorSet | null = null;
  if (!(await runStep(rc, job, 8, async (signal) => {
    tctx.signal = signal;
    set = await runHypervisorSet(tctx, TARGET_TERMINATE_NOTE);
    const failed = Object.entries(set.results).filter(([, r]) => r.result === "failed").map(([id]) => id);
    return { detail: `${Object.keys(set.results).length} Table II test(s) run${failed.length ? `; failed: ${failed.join(", ")}` : ", none failed"}${set.launched ? "" : ` (${set.results["1.1.a"]?.detail ?? "Launch failed"})`}` };
  }))) return stop(8);

  // 9: the VM runs and its guest answers (the boot budget; the console ends it early).
  if (!(await runStep(rc, job, 9, async (signal) => {
    if (set!.launched) {
      try {
        const w = await waitForGuest({ driver: o.target, vm: targetVm, access, timeoutMs: job.steps.find((s) => s.no === 9)!.timeoutSeconds * 1000, signal });
        tctx.guest = w.transport;
        return { detail: `running; the guest answers over SSH at ${w.address} (boot id ${w.bootId})${w.accelFallback ? `; ${w.accelFallback}` : ""}` };
      } catch (e) {
        if (signal.aborted) throw e;
        const seen = await observeGuest(o.target, targetVm);
        throw new StepFailed(`${errorMessage(e)}; ${seen.summary}`, seen.evidence);
      }
    }
    const state = await o.target.stateReason(targetVm, signal).catch((e) => `unknown (${errorMessage(e)})`);
    const seen = await observeGuest(o.target, targetVm);
    const why = seen.bootFailure ? `the guest did not boot: its serial console says "${seen.bootFailure}"`
      : seen.agent ? `the guest booted but cannot be reached over SSH: ${seen.summary}`
      : `the guest did not come up (${set!.results["1.1.a"]?.detail ?? "Launch failed"}); ${seen.summary}`;
    throw new StepFailed(`VM ${state}; ${why}`, seen.evidence);
  }))) return stop(9);

  // 10: Table III in the guest, then Terminate (the last Table II test: nothing runs after it).
  if (!(await runStep(rc, job, 10, async (signal) => {
    tctx.signal = signal;
    let snapshot: Snapshot;
    try {
      snapshot = await captureSnapshot({
        subject: { vm: targetVm, hypervisor: hut.uri, family: hut.family, accel: await o.target.accel(signal) },
        hypervisorTests: set!.results, notRequested: set!.notRequested,
        openGuest: () => probeTransport(o.target, targetVm, access, o.workDir, signal),
        probe: { ...rc.campaign.probe, signal },
        // Read before Terminate removes the VM.
        inventory: () => o.target.vmInventory(targetVm, signal),
        after: async () => ({ results: await runTerminate(tctx), requested: ["1.1.g"] }),
      });
    } catch (e) {
      if (!(e instanceof GuestProbeError)) throw e;
      const seen = await observeGuest(o.target, targetVm);
      throw new StepFailed(`guest probe over SSH failed: ${errorMessage(e.cause)}; ${seen.summary}`, seen.evidence);
    }
    const guest = snapshot.guest!;
    const errs = guest.errors?.length ?? 0;
    return { detail: `guest probe over ${guest.transport}: ${errs ? `${errs} probe error(s)` : "every probe answered"}; 1.1.g Terminate ${snapshot.hypervisorTests["1.1.g"]?.result ?? "?"}`, snapshot: { role: "target", snapshot } };
  }))) return stop(10);

  // 11: compare with the source snapshot under the campaign's rules.
  await runStep(rc, job, 11, async () => {
    const source = rc.store.snapshot(job.captureId, "source");
    const targetSnap = rc.store.snapshot(job.id, "target");
    if (!source || !targetSnap) throw new Error(`missing ${source ? "target" : "source"} snapshot`);
    const evaluation = evaluate(source, targetSnap, { profile: rc.profile });
    const counts = ["FAILURE", "WARNING"].map((v) => `${evaluation.tests.filter((t) => t.verdict === v).length} ${v.toLowerCase()}`).join(", ");
    return { detail: `${evaluation.verdict}: ${counts}`, evaluation };
  });
}

/** The route's tools as the plan carries them; a plan stored before it carried them is resolved by id. */
function routeOf(job: CaseJob, hs: PlannedHypervisor, hut: PlannedHypervisor): Route {
  if (!job.route.chain) return findRoute(hs.family as Family, hut.family as Family, job.route.id);
  return {
    id: job.route.id, name: job.route.name, from: hs.family as Family, to: hut.family as Family,
    steps: job.route.chain, slow: job.route.chain.some((s) => s.tool.slow === true),
    binaries: [...new Set(job.route.chain.flatMap((s) => s.tool.binaries))],
  };
}
