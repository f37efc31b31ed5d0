import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { getFamily } from "../../hypervisor/families/index.js";
import type { LibvirtDriver } from "../../hypervisor/libvirt/driver.js";
import { waitForGuest } from "../../hypervisor/launch.js";
import { captureGuest } from "../../guest/capture.js";
import { evaluate } from "../../evaluate/evaluate.js";
import { SNAPSHOT_VERSION, Snapshot } from "../../snapshot/schema.js";
import { findRoute } from "../../routes/discover.js";
import type { Family } from "../../routes/artifacts.js";
import { runnerFor } from "../../migrate/runners/index.js";
import { readSourceVm } from "../../migrate/source-vm.js";
import { stopVm } from "../../migrate/stop.js";
import { checkTargetRoom } from "../../migrate/room.js";
import { imageSize } from "../../migrate/image-size.js";
import { allocatedBytes } from "../../migrate/measure.js";
import { formatBytes } from "../../util/bytes.js";
import type { Artifact, StepContext } from "../../migrate/types.js";
import type { CaseJob } from "../plan.js";
import { jobMarker, observeGuest, StepFailed, type RunContext } from "./common.js";
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
export async function runCase(rc: RunContext, job: CaseJob, o: { source: LibvirtDriver; sourceVm: string; target: LibvirtDriver; workDir: string }): Promise<void> {
  const hs = rc.plan.hypervisors.find((h) => h.name === job.hs)!;
  const hut = rc.plan.hypervisors.find((h) => h.name === job.hut)!;
  const g = rc.campaign.guests.find((x) => x.name === job.guest)!;
  const access = guestAccess(rc, g);
  const route = findRoute(hs.family as Family, hut.family as Family, job.route.id);
  const last = route.steps.length - 1;
  const evidenceDir = join(o.workDir, "evidence");
  await mkdir(evidenceDir, { recursive: true });
  const log = (m: string) => rc.log(`${job.id}: ${m}`);
  let vm = o.sourceVm;
  let artifact: Artifact = { kind: `vm:${hs.family as Family}`, disks: [], packagePath: null, vmName: vm };
  let ctxBase!: Omit<StepContext, "stepDir" | "signal">;
  /** The source disks' virtual size: what the imported disks may grow to. */
  let sourceVirtual = 0;
  const stop = (no: number) => { skipRest(rc, job, no, `step ${no} failed`); };

  const runRouteSteps = async (from: number, to: number, signal: AbortSignal) => {
    let read = 0, written = 0;
    const notes: string[] = [];
    for (let i = from; i <= to; i++) {
      const step = route.steps[i]!;
      const stepDir = join(o.workDir, `${String(i + 1).padStart(2, "0")}-${step.tool.id.replace(/[^A-Za-z0-9_-]+/g, "_")}`);
      await mkdir(stepDir, { recursive: true });
      const t0 = Date.now();
      const out = await runnerFor(step.tool)(artifact, step, { ...ctxBase, stepDir, signal });
      read += out.bytesRead; written += out.bytesWritten;
      if (out.hardware) ctxBase.hardware = out.hardware;
      artifact = out.output;
      notes.push(`${step.tool.name} ${((Date.now() - t0) / 1000).toFixed(1)} s${out.notes?.length ? ` (${out.notes.join("; ")})` : ""}`);
    }
    return { bytesRead: read, bytesWritten: written, detail: notes.join("; ") };
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
      artifact.vmName = vm;
      note = " (source VM defined again from its image after a resume)";
    }
    // The graceful wait leaves part of the step's budget for the power-off.
    const r = await stopVm(o.source, vm, { timeoutMs: job.steps.find((s) => s.no === 4)!.timeoutSeconds * 600, signal, log });
    const src = await readSourceVm(o.source, vm, signal);
    for (const d of src.disks) sourceVirtual += (await imageSize(d.path, d.format, signal).catch(() => ({ virtualSize: 0 }))).virtualSize;
    ctxBase = {
      workDir: o.workDir, source: { driver: o.source, vm },
      target: { driver: o.target, family: getFamily(hut.family), uri: hut.uri },
      targetName: vmShortName("tgt", job.guest), hardware: src.inventory, log,
    };
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
    for (const d of artifact.disks) {
      const s = await imageSize(d.path, d.format, signal);
      actual += s.actualSize; virtual += s.virtualSize;
    }
    if (artifact.packagePath) actual = Math.max(actual, await allocatedBytes(artifact.packagePath));
    // A package (OVA) holds compressed disks: their virtual size is the source's.
    virtual = Math.max(virtual, sourceVirtual) || actual;
    const room = await checkTargetRoom(o.target, { diskActual: actual, diskVirtual: virtual, memoryBytes: ctxBase.hardware.memoryBytes ?? 0 }, signal);
    return { detail: `${room.freeDiskBytes === null ? "free disk unknown" : `${formatBytes(room.freeDiskBytes)} free`} for ${formatBytes(actual)} (${formatBytes(virtual)} virtual); memory ${room.availableMemoryBytes === null ? "unknown" : formatBytes(room.availableMemoryBytes)} for ${formatBytes(room.neededMemoryBytes)}${room.warnings.length ? `; ${room.warnings.join("; ")}` : ""}` };
  }))) return stop(6);

  // 7: import (the route's last tool defines the VM on the target).
  if (!(await runStep(rc, job, 7, async (signal) => {
    const r = await runRouteSteps(last, last, signal);
    if (!artifact.vmName || !artifact.kind.startsWith("vm:")) throw new Error(`route ${route.id} ended with ${artifact.kind}, not a VM`);
    return { ...r, detail: `${artifact.vmName}: ${r.detail}` };
  }))) return stop(7);
  const target = artifact.vmName!;

  // 8: Table II on the target (Launch boots it).
  const tctx = testContext({ driver: o.target, vm: target, access, evidenceDir, bootSeconds: rc.campaign.timeouts.boot, signal: rc.signal, log });
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
        const w = await waitForGuest({ driver: o.target, vm: target, access, timeoutMs: job.steps.find((s) => s.no === 9)!.timeoutSeconds * 1000, signal });
        tctx.guest = w.transport;
        return { detail: `running; the guest answers over SSH at ${w.address} (boot id ${w.bootId})${w.accelFallback ? `; ${w.accelFallback}` : ""}` };
      } catch (e) {
        if (signal.aborted) throw e;
        const seen = await observeGuest(o.target, target);
        throw new StepFailed(`${errorMessage(e)}; ${seen.summary}`, seen.evidence);
      }
    }
    const state = await o.target.stateReason(target, signal).catch((e) => `unknown (${errorMessage(e)})`);
    const seen = await observeGuest(o.target, target);
    const why = seen.bootFailure ? `the guest did not boot: its serial console says "${seen.bootFailure}"`
      : seen.agent ? `the guest booted but cannot be reached over SSH: ${seen.summary}`
      : `the guest did not come up (${set!.results["1.1.a"]?.detail ?? "Launch failed"}); ${seen.summary}`;
    throw new StepFailed(`VM ${state}; ${why}`, seen.evidence);
  }))) return stop(9);

  // 10: Table III in the guest, then Terminate (the last Table II test: nothing runs after it).
  if (!(await runStep(rc, job, 10, async (signal) => {
    let guest;
    try {
      const t = await probeTransport(o.target, target, access, o.workDir, signal);
      try {
        guest = await captureGuest(t, { ...rc.campaign.probe, signal });
      } finally {
        await t.close();
      }
    } catch (e) {
      if (signal.aborted) throw e;
      const seen = await observeGuest(o.target, target);
      throw new StepFailed(`guest probe over SSH failed: ${errorMessage(e)}; ${seen.summary}`, seen.evidence);
    }
    const inventory = await o.target.vmInventory(target, signal);
    const accel = await o.target.accel(signal);
    tctx.signal = signal;
    const results = { ...set!.results, ...(await runTerminate(tctx)) };
    const notRequested = { ...set!.notRequested };
    delete notRequested["1.1.g"];
    const snapshot = Snapshot.parse({
      schemaVersion: SNAPSHOT_VERSION, capturedAt: new Date().toISOString(), tool: { name: "tiosa", version: "0.1.0" },
      subject: { vm: target, hypervisor: hut.uri, family: hut.family, accel },
      hypervisorTests: results, notRequested, inventory, guest,
    });
    const errs = guest.errors?.length ?? 0;
    return { detail: `guest probe over ${guest.transport}: ${errs ? `${errs} probe error(s)` : "every probe answered"}; 1.1.g Terminate ${results["1.1.g"]?.result ?? "?"}`, snapshot: { role: "target", snapshot } };
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
