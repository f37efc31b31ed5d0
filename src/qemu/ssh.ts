import { run } from "../util/exec.js";

interface SshResult { code: number | null; stdout: string; stderr: string; durationMs: number }

/**
 * Runs one command in a booted guest with the OpenSSH client and the image's key. Host keys
 * of test guests are thrown away (they change with every image build).
 */
export async function sshRun(o: {
  port: number; privateKeyPath: string; user?: string; command: string[]; timeoutMs?: number; signal?: AbortSignal;
  /** Tries when ssh itself fails (status 255: connection or handshake, e.g. a guest slowed down by TCG); default 3. */
  attempts?: number;
}): Promise<SshResult> {
  const attempts = o.attempts ?? 3;
  for (let i = 1; ; i++) {
    const r = await sshOnce(o);
    if (r.code !== 255 || i >= attempts || /Permission denied/.test(r.stderr) || o.signal?.aborted) return r;
    await new Promise((res) => setTimeout(res, 2000));
  }
}

async function sshOnce(o: { port: number; privateKeyPath: string; user?: string; command: string[]; timeoutMs?: number; signal?: AbortSignal }): Promise<SshResult> {
  const r = await run("ssh", [
    "-i", o.privateKeyPath, "-p", String(o.port),
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=20",
    `${o.user ?? "root"}@127.0.0.1`, "--", ...o.command,
  ], { timeoutMs: o.timeoutMs ?? 60_000, ...(o.signal ? { signal: o.signal } : {}) });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
}
