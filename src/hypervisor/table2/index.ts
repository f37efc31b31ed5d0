import type { Results, HypervisorTestContext } from "./context.js";
import { testLaunch, testPauseUnpause, testReboot, testSuspendResume, testTerminate } from "./group-1.1-lifecycle.js";
import { testDisks } from "./group-1.2-disks.js";
import { testGraphicalConsole, testSerialConsole } from "./group-1.4-access.js";
import { testInjection } from "./injection.js";
import { testNetworks } from "./network.js";

export type { HypervisorTestContext, Results } from "./context.js";

/** Table II groups tiosa can run on the hypervisor. */
export const HYPERVISOR_GROUPS = ["1.1", "1.2", "1.3", "1.4", "1.5"] as const;

/**
 * Groups run when none are named. Injection (1.3) and network management (1.5) build
 * networks, namespaces and reboot the guest several times (minutes under TCG), so they
 * are asked for explicitly (`--only 1.3,1.5`, or `hypervisorTests` in a campaign); when
 * not asked for they are recorded as not requested, which evaluation shows as N/A.
 */
export const DEFAULT_HYPERVISOR_GROUPS = ["1.1", "1.2", "1.4"] as const;

interface Step { group: string; ids: string[]; run: (ctx: HypervisorTestContext) => Promise<Results> }

/**
 * Order matters: Launch first, the cheap observations next, the disruptive ones
 * (pause, managed save, reboot) later, Terminate last since nothing runs after it.
 */
const STEPS: Step[] = [
  { group: "1.1", ids: ["1.1.a"], run: testLaunch },
  { group: "1.4", ids: ["1.4.a"], run: testSerialConsole },
  { group: "1.4", ids: ["1.4.b"], run: testGraphicalConsole },
  { group: "1.2", ids: ["1.2.b", "1.2.a", "1.2.c"], run: testDisks },
  { group: "1.3", ids: ["1.3.a", "1.3.b"], run: testInjection },
  { group: "1.5", ids: ["1.5.a", "1.5.b", "1.5.c", "1.5.d"], run: testNetworks },
  { group: "1.1", ids: ["1.1.c", "1.1.d"], run: testPauseUnpause },
  { group: "1.1", ids: ["1.1.e", "1.1.f"], run: testSuspendResume },
  { group: "1.1", ids: ["1.1.b"], run: testReboot },
  { group: "1.1", ids: ["1.1.g"], run: testTerminate },
];

export async function runHypervisorTests(ctx: HypervisorTestContext, groups: string[]): Promise<{ results: Results; notRequested: Record<string, string> }> {
  const results: Results = {};
  const notRequested: Record<string, string> = {};
  for (const step of STEPS) {
    if (!groups.includes(step.group)) {
      for (const id of step.ids) notRequested[id] = `group ${step.group} not requested (--only ${groups.join(",")})`;
      continue;
    }
    if (step.ids.includes("1.1.g") && !ctx.allowTerminate) {
      notRequested["1.1.g"] = "Terminate destroys and undefines the VM: not run on a VM tiosa did not create unless --allow-terminate is given";
      continue;
    }
    ctx.signal?.throwIfAborted();
    ctx.log(`running ${step.ids.join(", ")} on ${ctx.vm}`);
    Object.assign(results, await step.run(ctx));
    for (const id of step.ids) ctx.log(`  ${id}: ${results[id]?.result ?? "?"}: ${results[id]?.detail ?? ""}`);
  }
  return { results, notRequested };
}
