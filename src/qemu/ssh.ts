import { errorMessage } from "../errors.js";
import { SshAuthenticationError, SshTransport } from "../guest/transports/ssh.js";
import { TransportLostError } from "../guest/transport.js";

interface SshResult { code: number | null; stdout: string; stderr: string; durationMs: number }

/**
 * Runs one command in a booted guest (port forwarded to 127.0.0.1) with the one SSH client
 * (src/guest/transports/ssh.ts) and the image's key. Host keys of test guests are not checked
 * (they change with every image build). The command's words are joined with spaces into the
 * script the guest's `sh -s` runs, as ssh joins them for the remote shell. Like the ssh client
 * it replaces, status 255 is SSH's own failure (connection, handshake) and an authentication
 * failure says "Permission denied".
 */
export async function sshRun(o: {
  port: number; privateKeyPath: string; user?: string; command: string[]; timeoutMs?: number; signal?: AbortSignal;
  /** Tries when SSH itself fails (status 255: connection or handshake, e.g. a guest slowed down by TCG); default 3. */
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
  const start = Date.now();
  const deadline = start + (o.timeoutMs ?? 60_000);
  const done = (code: number | null, stdout: string, stderr: string): SshResult => ({ code, stdout, stderr, durationMs: Date.now() - start });
  let t: SshTransport;
  try {
    t = await SshTransport.connect({ user: o.user ?? "root", host: "127.0.0.1", port: o.port },
      { identityFile: o.privateKeyPath, ignoreHostKey: true, asLoginUser: true, connectTimeoutMs: Math.min(20_000, o.timeoutMs ?? 60_000) }, o.signal);
  } catch (e) {
    return done(255, "", e instanceof SshAuthenticationError ? `Permission denied: ${e.message}` : errorMessage(e));
  }
  try {
    const r = await t.exec(`${o.command.join(" ")}\n`, { timeoutMs: Math.max(1, deadline - Date.now()), ...(o.signal ? { signal: o.signal } : {}) });
    return done(r.code, r.stdout, r.stderr);
  } catch (e) {
    // The connection died under the command: SSH's failure (255, tried again). Timed out or
    // aborted: no status of its own.
    return done(e instanceof TransportLostError ? 255 : null, "", errorMessage(e));
  } finally {
    await t.close();
  }
}
