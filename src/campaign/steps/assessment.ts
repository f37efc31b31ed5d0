import { factsScript, parseFacts, type GuestFacts } from "../../adapt/facts.js";
import { assess, type Assessment } from "../../assess/assess.js";
import { errorMessage } from "../../errors.js";
import { getFamily } from "../../hypervisor/families/index.js";
import type { GuestTransport } from "../../guest/transport.js";
import type { VmInventory } from "../../inventory/model.js";
import type { EvidenceInput } from "../store.js";
import type { CaptureJob } from "../plan.js";
import type { RunContext } from "./common.js";

/** Evidence kind of the prediction a source capture records before its cases move the VM. */
export const ASSESSMENT_EVIDENCE = "assessment";

/**
 * Predict, then prove: while the source VM runs on its HS (after its snapshot), its guest is
 * read with the facts script and assessed for every HUT family its cases go to. Stored with
 * the capture, before any case runs, so the report compares what was predicted with what
 * then happened. A guest that cannot be read still gets the description's rules.
 */
export async function assessSource(rc: RunContext, job: CaptureJob, hsFamily: string, inventory: VmInventory | null, open: () => Promise<GuestTransport>, signal: AbortSignal): Promise<{ assessment: Assessment; evidence: EvidenceInput }> {
  let facts: GuestFacts | null = null;
  let factsMissing: string | undefined;
  try {
    const t = await open();
    try {
      const r = await t.exec(factsScript(), { timeoutMs: 120_000, signal });
      facts = parseFacts(r.stdout, "online");
    } finally {
      await t.close();
    }
  } catch (e) {
    if (signal.aborted) throw e;
    factsMissing = `the guest's facts could not be read over its transport: ${errorMessage(e)}`;
  }
  const hutFamilies = [...new Set(rc.plan.cells.filter((c) => c.guest === job.guest && c.hs === job.hs)
    .map((c) => rc.plan.hypervisors.find((h) => h.name === c.hut)?.family).filter((f): f is string => !!f))];
  const assessment = assess(
    { source: `${job.guest} on ${job.hs}`, inventory, facts, sourceFamily: getFamily(hsFamily), ...(factsMissing ? { factsMissing } : {}) },
    hutFamilies.map(getFamily),
    // tiosa's routes define the VM anew on the HUT: libvirt gives it new MACs.
    { keepsMac: false },
  );
  return { assessment, evidence: { kind: ASSESSMENT_EVIDENCE, text: JSON.stringify(assessment) } };
}
