import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/util/exec.js";
import { RunStore } from "../../src/campaign/store.js";
import type { ReportModel } from "../../src/report/model.js";
import { jobMarker } from "../../src/campaign/steps/common.js";
import { networkHolder } from "../../src/campaign/runner.js";

/** Helpers of the campaign runner's real tests: the CLI as a child process, and leftover checks. */

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
export const CLI = join(ROOT, "bin", "tiosa.js");

export async function haveVirtualization(): Promise<string | null> {
  const q = await run("qemu-system-x86_64", ["--version"], { timeoutMs: 10_000 }).catch(() => null);
  if (!q || q.code !== 0) return "no qemu-system-x86_64 on this machine: no virtualization at all";
  return null;
}

export function campaignFile(yaml: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "tiosa-campaign-test-"));
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, yaml.replace(/@OUT@/g, join(dir, "runs")));
  return { file, dir };
}

export interface CliRun { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>; stderr: () => string }

const live = new Set<ChildProcess>();

/** Ends (SIGTERM: the CLI cleans up) every CLI process a test started and has not seen end. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null || c.signalCode !== null) return res();
    c.once("close", () => res());
    c.kill("SIGTERM");
  })));
}

export function startCli(args: string[], o: { env?: Record<string, string> } = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], ...(o.env ? { env: { ...process.env, ...o.env } } : {}) });
  live.add(child);
  child.on("close", () => live.delete(child));
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => { stdout += d; });
  child.stderr!.on("data", (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) => {
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

/** The run directory a `tiosa run` announces on stderr. */
export async function runDirOf(r: CliRun, timeoutMs = 120_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const m = / in (\S+): \d+ jobs/.exec(r.stderr());
    if (m && existsSync(join(m[1]!, "run.sqlite"))) return m[1]!;
    if (r.child.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`tiosa run did not start a run:\n${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * `tiosa run FILE --format json` to its end: the exit status must be one of `verdicts` (the
 * campaign's verdict), the run complete. Returns the report model and the run directory.
 */
export async function runCampaignToEnd(file: string, verdicts: number[]): Promise<{ model: ReportModel; runDir: string }> {
  const r = startCli(["run", file, "--format", "json"]);
  const runDir = await runDirOf(r, 40 * 60_000);
  const out = await r.done;
  assert.ok(out.code !== null && verdicts.includes(out.code), `exit status is the campaign's verdict (${verdicts.join(" or ")}), got ${out.code}\n${out.stderr.slice(-3000)}`);
  const model = JSON.parse(out.stdout) as ReportModel;
  assert.equal(model.run.complete, true);
  return { model, runDir };
}

/** What two runs of one campaign must agree on: every job's state, its steps' states, its snapshots, its verdicts test by test. */
export function runResults(runDir: string): { id: string; state: string; steps: string[]; snapshots: string[]; verdict: string | null; tests: Record<string, string> }[] {
  const s = RunStore.open(runDir, { readonly: true });
  try {
    return s.jobs().map((j) => ({
      id: j.id, state: j.state,
      steps: s.steps(j.id).map((x) => `${x.no}:${x.state}`),
      snapshots: [s.snapshot(j.id, "source") ? "source" : "", s.snapshot(j.id, "target") ? "target" : ""].filter(Boolean),
      verdict: s.evaluation(j.id)?.verdict ?? null,
      tests: Object.fromEntries((s.evaluation(j.id)?.tests ?? []).map((t) => [t.id, t.verdict])),
    }));
  } finally {
    s.close();
  }
}

/** Everything of a run that could be left on libvirt (at `uri`): domains, pools (with volumes), networks named with its jobs' markers. */
export async function leftoversOnLibvirt(runDir: string, uri = "qemu:///system"): Promise<string[]> {
  const store = RunStore.open(runDir, { readonly: true });
  const plan = store.plan();
  // The jobs' markers, and those of the networks a static-address guest shares between jobs.
  const markers = [
    ...plan.jobs.map((j) => `tiosa-${jobMarker(store.id, j.id)}`),
    ...plan.guests.flatMap((g) => plan.hypervisors.map((h) => `tiosa-${jobMarker(store.id, `${networkHolder(g.name)}@${h.uri}`)}`)),
  ];
  store.close();
  const names = async (args: string[]) => (await run("virsh", ["-c", uri, ...args], { timeoutMs: 30_000 })).stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  const left: string[] = [];
  const mine = (n: string) => markers.some((m) => n === m || n.startsWith(`${m}-`));
  for (const d of await names(["list", "--all", "--name"])) if (mine(d)) left.push(`domain ${d}`);
  for (const p of await names(["pool-list", "--all", "--name"])) {
    if (!mine(p)) continue;
    left.push(`pool ${p}`);
    for (const v of await names(["vol-list", "--pool", p, "--name"])) left.push(`volume ${p}/${v}`);
  }
  // Volumes of the run in any pool (e.g. the default pool).
  for (const p of await names(["pool-list", "--name"])) {
    for (const v of await names(["vol-list", "--pool", p, "--name"])) if (mine(v)) left.push(`volume ${p}/${v}`);
  }
  for (const n of await names(["net-list", "--all", "--name"])) if (mine(n)) left.push(`network ${n}`);
  return left;
}
