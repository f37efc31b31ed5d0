import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

/**
 * Writes `yaml` to `file` and runs it with `tiosa run` as a user would (a child process, the
 * built CLI), returning the run's directory, the exit status and the wall time.
 */
export function runCampaign(file: string, yaml: string): { runDir: string; exit: number | null; wallSeconds: number } {
  writeFileSync(file, yaml);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "tiosa.js"), "run", file, "--format", "json"], { encoding: "utf8", cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
  const wallSeconds = (Date.now() - t0) / 1000;
  const m = / in (\S+): \d+ jobs/.exec(r.stderr);
  if (!m) throw new Error(`tiosa run ${file} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { runDir: m[1]!, exit: r.status, wallSeconds };
}

/** The repository's root (for campaign files that name its rules). */
export const REPO_ROOT = ROOT;
