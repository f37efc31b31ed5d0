import { run } from "../util/exec.js";
import { UserError } from "../errors.js";
import type { GuestExecOptions, GuestExecResult, GuestTransport } from "../guest/transport.js";

export interface SshEndpoint {
  user: string;
  host: string;
  port: number;
  identityFile: string;
}

/** `user@host:port` (port optional, IPv6 in brackets) as `tiosa capture --ssh` takes it. */
export function parseSshEndpoint(s: string, identityFile: string): SshEndpoint {
  const m = /^([A-Za-z0-9._-]+)@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m) throw new UserError(`--ssh '${s}' must be user@host[:port]`);
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) throw new UserError(`--ssh '${s}': port ${port} is out of range`);
  return { user: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ""), port, identityFile };
}

/**
 * The Table II observations' way into the guest: the OpenSSH client with a key, the script
 * on stdin (`sh -s`), never a command line built from data. Host keys of test guests change
 * with every boot of a fresh image, so they are not pinned here.
 */
export class OpenSshTransport implements GuestTransport {
  readonly kind = "ssh" as const;
  constructor(readonly endpoint: SshEndpoint) {}
  get label(): string { return `${this.endpoint.user}@${this.endpoint.host}:${this.endpoint.port}`; }

  async exec(script: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    const e = this.endpoint;
    const r = await run("ssh", [
      "-i", e.identityFile, "-p", String(e.port),
      "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
      "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30",
      "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2",
      `${e.user}@${e.host}`, "--", "sh", "-s",
    ], { input: script, timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
    // 255 is ssh's own failure (connection refused/lost), not the script's status.
    return { code: r.timedOut || r.code === 255 ? null : r.code, stdout: r.stdout, stderr: r.stderr };
  }

  async close(): Promise<void> { /* one process per exec: nothing held open */ }
}
