import { run } from "../util/exec.js";

export interface SshResult { code: number | null; stdout: string; stderr: string; durationMs: number }

/**
 * Runs one command in a booted guest with the OpenSSH client and the image's key. Host keys
 * of test guests are thrown away (they change with every image build).
 */
export async function sshRun(o: {
  port: number; privateKeyPath: string; user?: string; command: string[]; timeoutMs?: number; signal?: AbortSignal;
}): Promise<SshResult> {
  const r = await run("ssh", [
    "-i", o.privateKeyPath, "-p", String(o.port),
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=20",
    `${o.user ?? "root"}@127.0.0.1`, "--", ...o.command,
  ], { timeoutMs: o.timeoutMs ?? 60_000, ...(o.signal ? { signal: o.signal } : {}) });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
}
