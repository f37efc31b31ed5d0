/**
 * Concurrency 2 against 1 on the same campaign, in one run: one guest (`debian-12`) moved over
 * six ordered pairs of the kvm, vmware, hyperv and xen families (no `-> kvm` pair: its route is
 * virt-v2v, a quarter of an hour under TCG), one route per pair, one cycle: 3 source captures
 * and 6 cases. It runs the campaign with `concurrency: 1`, then with `concurrency: 2` (slots 2
 * on the one local host), and prints both wall times, their ratio, the median case and capture
 * of each, and whether every case reached the same verdict test by test.
 *
 *   node dist/bench/concurrency.js [GUEST]     (default debian-12)
 *
 * On a 2-core TCG machine a guest keeps one core busy; two run side by side on two cores.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../src/campaign/store.js";
import { campaignTime } from "../src/report/time.js";
import { REPO_ROOT, runCampaign } from "./support/run-campaign.js";

const guest = process.argv[2] ?? "debian-12";

function campaign(concurrency: number, output: string): string {
  return `name: bench-concurrency-${concurrency}
hypervisors:
  - { name: kvm, uri: "qemu:///system", family: kvm, slots: 2 }
  - { name: vmware, uri: "qemu:///system", family: vmware, slots: 2 }
  - { name: hyperv, uri: "qemu:///system", family: hyperv, slots: 2 }
  - { name: xen, uri: "qemu:///system", family: xen, slots: 2 }
guests:
  - { name: ${guest}, image: ${guest} }
pairs:
  - { from: kvm, to: vmware }
  - { from: kvm, to: hyperv }
  - { from: kvm, to: xen }
  - { from: vmware, to: hyperv }
  - { from: vmware, to: xen }
  - { from: hyperv, to: vmware }
routes: { use: all, onePerPair: true }
rules: ${join(REPO_ROOT, "campaigns", "emulated-families.rules.yaml")}
cycles: 1
concurrency: ${concurrency}
timeouts: { boot: 600, hypervisorTests: 3600, capture: 600 }
output: ${output}
`;
}

interface Measured { wallSeconds: number; verdicts: Map<string, string>; medianCase: number | null; medianCapture: number | null; exit: number | null }

function runAt(concurrency: number, dir: string): Measured {
  const { runDir, exit, wallSeconds } = runCampaign(join(dir, `c${concurrency}.yaml`), campaign(concurrency, join(dir, `runs-c${concurrency}`)));
  const store = RunStore.open(runDir, { readonly: true });
  try {
    const verdicts = new Map<string, string>();
    const jobs: { kind: "case" | "capture"; steps: ReturnType<RunStore["steps"]> }[] = [];
    for (const job of store.plan().jobs) {
      if (job.kind === "readiness") continue;
      jobs.push({ kind: job.kind, steps: store.steps(job.id) });
      if (job.kind !== "case") continue;
      const ev = store.evaluation(job.id);
      verdicts.set(job.id, ev ? `${ev.verdict}: ${ev.tests.map((t) => `${t.id}=${t.verdict}`).join(" ")}` : `no evaluation (${store.job(job.id)?.detail ?? "?"})`);
    }
    const c = campaignTime(jobs);
    return { wallSeconds, verdicts, medianCase: c.medianCaseSeconds, medianCapture: c.medianCaptureSeconds, exit };
  } finally {
    store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "tiosa-bench-conc-"));
try {
  const one = runAt(1, dir);
  const two = runAt(2, dir);
  const f = (x: number | null) => (x === null ? "-" : `${x.toFixed(0)} s`);
  console.log(`${guest}, 6 cases + 3 source captures, one cycle, one local libvirt host (${cpus().length} cores):`);
  console.log(`  concurrency 1: ${f(one.wallSeconds)} wall; median case ${f(one.medianCase)}, capture ${f(one.medianCapture)}; exit ${one.exit}`);
  console.log(`  concurrency 2: ${f(two.wallSeconds)} wall; median case ${f(two.medianCase)}, capture ${f(two.medianCapture)}; exit ${two.exit}`);
  console.log(`  speed-up: ${(one.wallSeconds / two.wallSeconds).toFixed(2)}x (target >= 1.5x: ${one.wallSeconds / two.wallSeconds >= 1.5 ? "met" : "NOT met"})`);
  const differ = [...one.verdicts].filter(([id, v]) => two.verdicts.get(id) !== v);
  console.log(`  verdicts test by test: ${differ.length ? `${differ.length} of ${one.verdicts.size} case(s) differ` : `identical in all ${one.verdicts.size} cases`}`);
  for (const [id, v] of differ) console.log(`    ${id}\n      c1: ${v}\n      c2: ${two.verdicts.get(id) ?? "missing"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
