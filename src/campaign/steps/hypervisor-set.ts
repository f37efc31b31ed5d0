import { DEFAULT_HYPERVISOR_GROUPS, runHypervisorTests, type HypervisorTestContext, type Results } from "../../hypervisor/table2/index.js";
import { testLaunch, testTerminate } from "../../hypervisor/table2/group-1.1-lifecycle.js";

const LATER_IDS = ["1.4.a", "1.4.b", "1.2.a", "1.2.b", "1.2.c", "1.1.b", "1.1.c", "1.1.d", "1.1.e", "1.1.f", "1.1.g"];

export interface HypervisorSet {
  results: Results;
  notRequested: Record<string, string>;
  /** Launch (1.1.a) succeeded: the guest runs and answered from inside. */
  launched: boolean;
}

/**
 * The Table II test set of one VM (Sequence 2 steps 2 and 8), in src/hypervisor/table2's order,
 * without Terminate: the VM must outlive it (it is moved afterwards on the source; the OS test
 * set runs on it afterwards on the target). Launch goes first on its own: a guest that does
 * not come up makes the other tests meaningless, so they are not run.
 */
export async function runHypervisorSet(ctx: HypervisorTestContext, terminateNote: string): Promise<HypervisorSet> {
  const launch = await testLaunch(ctx);
  if (launch["1.1.a"]?.result !== "ok") {
    const why = `not run: Launch (1.1.a) failed`;
    return { results: launch, notRequested: Object.fromEntries(LATER_IDS.map((id) => [id, why])), launched: false };
  }
  const { results, notRequested } = await runHypervisorTests({ ...ctx, allowTerminate: false }, [...DEFAULT_HYPERVISOR_GROUPS]);
  // The first Launch started the VM; the one inside the set only saw it running.
  results["1.1.a"] = launch["1.1.a"]!;
  notRequested["1.1.g"] = terminateNote;
  return { results, notRequested, launched: true };
}

/** Terminate (1.1.g), last of all on the target: after it nothing of the VM is left. */
export async function runTerminate(ctx: HypervisorTestContext): Promise<Results> {
  return testTerminate({ ...ctx, allowTerminate: true });
}
