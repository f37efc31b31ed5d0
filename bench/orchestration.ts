/**
 * Where a campaign's time goes, from the time ledger every step records (src/util/time-ledger.ts):
 * per case and per source capture, the wall time split into guest boots (count and seconds),
 * tool processes (by program), hypervisor API calls (virsh), commands in the guest, tests'
 * deliberate waits, and tiosa's own work, whose share of the wall time is the orchestration
 * overhead.
 *
 *   node dist/bench/orchestration.js [RUN_DIR]
 *
 * Without RUN_DIR it runs a small campaign itself (one tiny guest, kvm -> vmware hardware,
 * one cycle) with `tiosa run` and measures that run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../src/campaign/store.js";
import { campaignTime, describeJobTime, jobTime } from "../src/report/time.js";
import { tinyKvmToVmwareCampaign } from "../test/support/lab-campaign.js";
import { runCampaign } from "./support/run-campaign.js";

function smallRun(): { runDir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-bench-orch-"));
  const { runDir } = runCampaign(join(dir, "campaign.yaml"), tinyKvmToVmwareCampaign("bench", join(dir, "runs")));
  return { runDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const arg = process.argv[2];
const { runDir, cleanup } = arg ? { runDir: arg, cleanup: () => {} } : smallRun();
try {
  const store = RunStore.open(runDir, { readonly: true });
  const plan = store.plan();
  const f = (x: number) => `${x.toFixed(1)} s`;
  console.log(`run ${store.id}: ${plan.jobs.length} jobs`);
  console.log(["job", "wall", "boots", "boot", "tools", "virsh", "guest", "waits", "tiosa", "share"].join("\t"));
  const jobs: { kind: "case" | "capture"; steps: ReturnType<RunStore["steps"]> }[] = [];
  for (const job of plan.jobs) {
    if (job.kind === "readiness") continue;
    const steps = store.steps(job.id);
    jobs.push({ kind: job.kind, steps });
    const t = jobTime(steps);
    if (!t) continue;
    console.log([job.id, f(t.wallSeconds), String(t.boots), f(t.bootSeconds), f(t.toolSeconds), f(t.hypervisorSeconds), f(t.guestSeconds), f(t.waitSeconds), f(t.otherSeconds), `${(100 * t.otherShare).toFixed(1)} %`].join("\t"));
  }
  store.close();
  const c = campaignTime(jobs);
  if (!c.total) throw new Error("no step of this run recorded its time (a run made before tiosa recorded it)");
  console.log(`\ncases: ${c.cases}, median ${c.medianCaseSeconds} s, ${c.medianBootsPerCase} boots per case (median); captures: ${c.captures}, median ${c.medianCaptureSeconds} s; a boot: ${c.medianBootSeconds} s (median)`);
  console.log(`all jobs: ${describeJobTime(c.total)}`);
  console.log(`orchestration overhead (tiosa's own work): ${(100 * c.total.otherShare).toFixed(1)} % of the wall time`);
} finally {
  cleanup();
}
