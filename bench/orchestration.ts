/**
 * Orchestration overhead of the campaign runner: per case, its wall time (its own steps 4-11
 * plus its source capture, steps 1-3) minus the time the guests spent booting (Launch on the
 * source and the target) and the time spent copying disks (export/convert, import), as a share
 * of the wall time. Read from the step timings and snapshots in a run's store.
 *
 *   node dist/bench/orchestration.js [RUN_DIR]
 *
 * Without RUN_DIR it runs a small campaign itself (one tiny guest, kvm -> vmware hardware,
 * one cycle) with `tiosa run` and measures that run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RunStore } from "../src/campaign/store.js";
import type { CaseJob } from "../src/campaign/plan.js";
import { tinyKvmToVmwareCampaign } from "../test/support/lab-campaign.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

function smallRun(): { runDir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-bench-orch-"));
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, tinyKvmToVmwareCampaign("bench", join(dir, "runs")));
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "tiosa.js"), "run", file, "--format", "json"], { encoding: "utf8", cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
  const m = / in (\S+): \d+ jobs/.exec(r.stderr);
  if (!m) throw new Error(`tiosa run failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { runDir: m[1]!, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const arg = process.argv[2];
const { runDir, cleanup } = arg ? { runDir: arg, cleanup: () => {} } : smallRun();
try {
  const store = RunStore.open(runDir, { readonly: true });
  const plan = store.plan();
  const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
  let totalWall = 0, totalBoot = 0, totalCopy = 0, totalTests = 0;
  console.log(`run ${store.id}: ${plan.jobs.length} jobs`);
  console.log(["case", "wall", "boot", "copy", "tests", "overhead", "share"].join("\t"));
  for (const job of plan.jobs.filter((j): j is CaseJob => j.kind === "case")) {
    const steps = [...store.steps(job.captureId), ...store.steps(job.id)];
    if (!steps.length) continue;
    const dur = (nos: number[]) => steps.filter((x) => nos.includes(x.no)).reduce((n, x) => n + (x.durationMs ?? 0), 0);
    const wall = dur([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const launch = (role: "source" | "target", jobId: string) => store.snapshot(jobId, role)?.hypervisorTests["1.1.a"]?.durationMs ?? 0;
    const boot = launch("source", job.captureId) + launch("target", job.id);
    const copy = dur([5, 7]);
    // Table II and III themselves (a reboot and a restore wait for the guest too): guest time, not tiosa's.
    const tests = Math.max(0, dur([2, 3, 8, 10]) - boot);
    const overhead = wall - boot - copy;
    totalWall += wall; totalBoot += boot; totalCopy += copy; totalTests += tests;
    console.log([job.id, s(wall), s(boot), s(copy), s(tests), s(overhead), `${((100 * overhead) / wall).toFixed(1)} %`].join("\t"));
  }
  store.close();
  if (totalWall === 0) throw new Error("no case with recorded steps in this run");
  const overhead = totalWall - totalBoot - totalCopy;
  const own = overhead - totalTests;
  console.log(`\nall cases: wall ${s(totalWall)}, guest boot ${s(totalBoot)}, copy ${s(totalCopy)}`);
  console.log(`orchestration overhead (wall - boot - copy): ${s(overhead)} = ${((100 * overhead) / totalWall).toFixed(1)} % of the wall time`);
  console.log(`  of which the Table II/III test sets themselves: ${s(totalTests)}; the runner's own work (define, inventory, stop, room check, store, compare): ${s(own)} = ${((100 * own) / totalWall).toFixed(1)} %`);
} finally {
  cleanup();
}
