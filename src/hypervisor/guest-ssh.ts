import { UserError, errorMessage } from "../errors.js";
import { SshTransport } from "../guest/transports/ssh.js";
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
 * The Table II observations' way into the guest: the one SSH client (src/guest/transports/
 * ssh.ts) with a key, one connection per script (nothing held open across a reboot or a
 * migration), the script on stdin (`sh -s` as the given user), never a command line built
 * from data. Host keys of test guests change with every boot of a fresh image, so they are
 * not pinned here. Never throws: a connection that fails or dies is a null status with the
 * reason in stderr, as an `ssh` process exiting 255 was.
 */
export class OpenSshTransport implements GuestTransport {
  readonly kind = "ssh" as const;
  constructor(readonly endpoint: SshEndpoint) {}
  get label(): string { return `${this.endpoint.user}@${this.endpoint.host}:${this.endpoint.port}`; }

  async exec(script: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    const e = this.endpoint;
    // One budget for connecting and running, as the ssh process had.
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let t: SshTransport | undefined;
    try {
      t = await SshTransport.connect({ user: e.user, host: e.host, port: e.port },
        { identityFile: e.identityFile, ignoreHostKey: true, asLoginUser: true, connectTimeoutMs: Math.min(30_000, Math.max(1, deadline - Date.now())) }, opts.signal);
      return await t.exec(script, { timeoutMs: Math.max(1, deadline - Date.now()), ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      return { code: null, stdout: "", stderr: `ssh ${this.label}: ${errorMessage(err)}` };
    } finally {
      await t?.close();
    }
  }

  async close(): Promise<void> { /* one connection per exec: nothing held open */ }
}
