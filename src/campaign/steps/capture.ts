import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { getFamily } from "../../hypervisor/families/index.js";
import type { HypervisorDriver } from "../../hypervisor/driver.js";
import { GuestProbeError, captureSnapshot } from "../../capture/snapshot.js";
import type { Snapshot } from "../../snapshot/schema.js";
import type { CaptureJob } from "../plan.js";
import type { EvidenceInput } from "../store.js";
import { guestOf, hypervisorsOf, imageOf, observeGuest, StepFailed, type RunContext } from "./common.js";
import { guestAccess, probeTransport, testContext } from "./guest-access.js";
import { runHypervisorSet, type HypervisorSet } from "./hypervisor-set.js";
import { runStep, skipRest } from "./step.js";
import { GUEST_MEMORY_BYTES } from "./readiness.js";
import { assessSource } from "./assessment.js";

/** libvirt short name of a guest's VM (lower-case letters, digits, '-', at most 31). */
export function vmShortName(prefix: string, guest: string): string {
  return `${prefix}-${guest.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 31).replace(/-+$/, "");
}

export const SOURCE_TERMINATE_NOTE = "not run on the source hypervisor: the VM is moved afterwards (Terminate runs last, on the target)";

/**
 * Defines the source VM of an image guest on its HS, in the HS family's hardware, from the
 * guest's image as installed on that family (the driver copies it into the job's pool, in the
 * family's disk format): nothing is started.
 */
export async function defineSourceVm(rc: RunContext, driver: HypervisorDriver, guest: string, hsFamily: string, signal: AbortSignal): Promise<string> {
  const g = guestOf(rc, guest);
  if (g.kind === "vm") return g.vm;
  const img = imageOf(rc, guest, hsFamily);
  const h = await driver.defineVm({
    name: vmShortName("src", guest), family: getFamily(hsFamily), disks: [{ path: img.diskPath, format: img.format }],
    memoryMiB: GUEST_MEMORY_BYTES / 2 ** 20, vcpus: 1,
  }, signal);
  return h.name;
}

/**
 * Sequence 2 steps 1-3 for one guest on one HS in one cycle: the source snapshot every case of
 * that source compares against. The VM is left running: the cases stop and export it.
 * Returns the VM's name, or null when a step failed.
 */
export async function runCapture(rc: RunContext, job: CaptureJob, driver: HypervisorDriver, workDir: string): Promise<string | null> {
  const hs = hypervisorsOf(rc, job).source;
  const g = guestOf(rc, job.guest);
  const access = guestAccess(rc, g, hs.family);
  const evidenceDir = join(workDir, "evidence");
  await mkdir(evidenceDir, { recursive: true });
  let vm = "";
  let inventory: Snapshot["inventory"] = null;
  let set: HypervisorSet | null = null;

  const s1 = await runStep(rc, job, 1, async (signal) => {
    await driver.connect(signal);
    vm = await defineSourceVm(rc, driver, job.guest, hs.family, signal);
    inventory = await driver.vmInventory(vm, signal);
    const inv = inventory;
    return { detail: `${vm} on ${hs.name} (${hs.family}): ${inv.cpu.count ?? "?"} vCPU, ${inv.memoryBytes ? inv.memoryBytes / 2 ** 20 : "?"} MiB, ${inv.disks.length} disk(s) ${inv.disks.map((d) => `${d.bus ?? "?"}/${d.format ?? "?"}`).join(", ")}, ${inv.nics.length} NIC(s) ${inv.nics.map((n) => n.model ?? "?").join(", ")}` };
  });
  if (!s1) { skipRest(rc, job, 1, "step 1 failed"); return null; }

  const s2 = await runStep(rc, job, 2, async (signal) => {
    const tctx = testContext({ driver, vm, access, evidenceDir, bootSeconds: rc.campaign.timeouts.boot, signal, log: (m) => rc.log(`${job.id}: ${m}`) });
    set = await runHypervisorSet(tctx, SOURCE_TERMINATE_NOTE);
    const failed = Object.entries(set.results).filter(([, r]) => r.result === "failed").map(([id]) => id);
    return { detail: `${Object.keys(set.results).length} Table II test(s) run${failed.length ? `; failed: ${failed.join(", ")}` : ", none failed"}${set.launched ? "" : ` (${set.results["1.1.a"]?.detail ?? "Launch failed"})`}` };
  });
  if (!s2) { skipRest(rc, job, 2, "step 2 failed"); return null; }

  const s3 = await runStep(rc, job, 3, async (signal) => {
    if (!set!.launched) {
      // The guest does not come up on its own hypervisor: say why, with the evidence.
      const seen = await observeGuest(driver, vm);
      throw new StepFailed(`the guest did not come up on its own hypervisor: ${seen.bootFailure ?? seen.summary}`, seen.evidence);
    }
    let snapshot: Snapshot;
    try {
      snapshot = await captureSnapshot({
        subject: { vm, hypervisor: hs.uri, family: hs.family, accel: await driver.accel(signal) },
        hypervisorTests: set!.results, notRequested: set!.notRequested,
        openGuest: () => probeTransport(driver, vm, access, workDir, signal),
        probe: { ...rc.campaign.probe, signal },
        // Step 1's inventory: the definition the cases export.
        inventory: async () => inventory ?? null,
      });
    } catch (e) {
      if (!(e instanceof GuestProbeError)) throw e;
      const seen = await observeGuest(driver, vm);
      throw new StepFailed(`guest probe over SSH failed: ${errorMessage(e.cause)}; ${seen.summary}`, seen.evidence);
    }
    const guest = snapshot.guest!;
    const errs = guest.errors?.length ?? 0;
    // The prediction is made here, before any case moves the VM; it never fails the capture.
    let predicted = "";
    let evidence: EvidenceInput[] = [];
    try {
      const a = await assessSource(rc, job, hs.family, inventory ?? null, () => probeTransport(driver, vm, access, workDir, signal), signal);
      const critical = Object.entries(a.assessment.worst).filter(([, w]) => w === "critical").map(([f]) => f);
      predicted = `; assessment: ${a.assessment.concerns.length} concern(s)${critical.length ? `, critical for ${critical.join(", ")}` : ", none critical"}${a.assessment.guest.read === "no" ? " (guest not read)" : ""}`;
      evidence = [a.evidence];
    } catch (e) {
      if (signal.aborted) throw e;
      predicted = `; no assessment (${errorMessage(e)})`;
    }
    return {
      detail: `guest probe over ${guest.transport}: ${errs ? `${errs} probe error(s)` : "every probe answered"}${predicted}`,
      snapshot: { role: "source", snapshot }, evidence,
    };
  });
  if (!s3) return null;
  return vm;
}
