import { Client, type ConnectConfig, type ClientChannel } from "ssh2";
import { timedAs } from "../../util/time-ledger.js";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError, errorMessage } from "../../errors.js";
import { TransportLostError, type GuestExecOptions, type GuestExecResult, type GuestTransport } from "../transport.js";
import { readKnownHosts, pinHostKey, fingerprint, blobKeyType, hostKeyAlgorithmsFor, hostPattern } from "./known-hosts.js";

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export interface SshAuth {
  /** Private key file (passphrase, if any, from TIOSA_SSH_PASSPHRASE). */
  identityFile?: string;
  /** File holding the password (first line). */
  passwordFile?: string;
  /** Password from the environment (TIOSA_SSH_PASSWORD); never from the command line. */
  password?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Pin the host key on first contact (like ssh -o StrictHostKeyChecking=accept-new). */
  acceptNew?: boolean;
  /**
   * Test guests whose host key changes with every image build: no known-hosts file is read
   * and nothing is pinned (ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null).
   */
  ignoreHostKey?: boolean;
  /** Run the script as the SSH user itself, without sudo for a non-root user. Default false. */
  asLoginUser?: boolean;
  connectTimeoutMs?: number;
}

/** `ssh://user@host[:port]`, IPv6 in brackets. */
export function parseSshTarget(target: string): SshTarget {
  let u: URL;
  try { u = new URL(target); } catch { throw new UserError(`target '${target}' is not a valid ssh:// URL`); }
  if (u.protocol !== "ssh:") throw new UserError(`target '${target}' must start with ssh://`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new UserError(`target '${target}' has no host`);
  if (u.pathname && u.pathname !== "/" && u.pathname !== "") throw new UserError(`target '${target}' must not have a path`);
  if (u.password) throw new UserError(`target '${target}' holds a password: give it with --password-file or TIOSA_SSH_PASSWORD, never on the command line`);
  const port = u.port ? Number(u.port) : 22;
  return { user: decodeURIComponent(u.username) || "root", host, port };
}

/**
 * The command the guest's sshd runs: our script comes on stdin, so it never appears in
 * a process list or a log; a non-root user gets root through sudo -n (no prompt).
 */
const REMOTE_COMMAND = 'if [ "$(id -u)" -eq 0 ]; then exec sh -s; else exec sudo -n sh -s; fi';
const LOGIN_USER_COMMAND = "exec sh -s";

/** One SSH connection, opened once and reused by every probe of a capture. */
export class SshTransport implements GuestTransport {
  readonly kind = "ssh" as const;
  readonly label: string;
  private lost: Error | null = null;

  private constructor(private readonly client: Client, readonly target: SshTarget, private readonly auth: SshAuth) {
    this.label = `${target.user}@${hostPattern(target.host, target.port)}`;
    client.on("close", () => { this.lost ??= new TransportLostError(`SSH connection to ${this.label} closed`); });
    client.on("error", (e) => { this.lost = new TransportLostError(`SSH connection to ${this.label}: ${errorMessage(e)}`); });
  }

  /** Connects and authenticates (its time counts as time in the guest for a step's breakdown). */
  static connect(target: SshTarget, auth: SshAuth = {}, signal?: AbortSignal): Promise<SshTransport> {
    return timedAs("guest", "ssh", () => SshTransport.open(target, auth, signal));
  }

  private static async open(target: SshTarget, auth: SshAuth, signal?: AbortSignal): Promise<SshTransport> {
    const where = `${target.user}@${target.host} port ${target.port}`;
    const knownHostsFile = auth.knownHostsFile ?? join(homedir(), ".ssh", "known_hosts");
    const known = auth.ignoreHostKey ? [] : await readKnownHosts(knownHostsFile, target.host, target.port);
    const cfg: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: auth.connectTimeoutMs ?? 15_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
    };
    if (known.length) cfg.algorithms = { serverHostKey: hostKeyAlgorithmsFor(known.filter((k) => !k.revoked).map((k) => k.keyType)) as any };
    await fillCredentials(cfg, auth, where);

    let hostKeyProblem: UserError | null = null;
    let toPin: Buffer | null = null;
    cfg.hostVerifier = (key: Buffer) => {
      if (auth.ignoreHostKey) return true;
      if (known.some((k) => k.revoked && k.blob.equals(key))) {
        hostKeyProblem = new UserError(`host key of ${where} (${fingerprint(key)}) is marked @revoked in ${knownHostsFile}`);
        return false;
      }
      if (known.some((k) => !k.revoked && k.blob.equals(key))) return true;
      if (known.length) {
        hostKeyProblem = new UserError(
          `HOST KEY CHANGED for ${where}: it presents ${blobKeyType(key)} ${fingerprint(key)}, which does not match ${knownHostsFile}`,
          "if the host was legitimately re-keyed, remove its line from the known-hosts file and use --accept-new",
        );
        return false;
      }
      if (!auth.acceptNew) {
        hostKeyProblem = new UserError(
          `host key of ${where} (${blobKeyType(key)} ${fingerprint(key)}) is not in ${knownHostsFile}`,
          "check the fingerprint, then run again with --accept-new to pin it",
        );
        return false;
      }
      toPin = key;
      return true;
    };

    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => { client.end(); reject(signal?.reason ?? new Error("aborted")); };
      signal?.addEventListener("abort", onAbort, { once: true });
      client.once("ready", () => { signal?.removeEventListener("abort", onAbort); resolve(); });
      // `on`, not `once`: a server that refuses a key may also reset the connection, and a
      // second 'error' with no listener would be thrown out of the process; only the first counts.
      let failed = false;
      client.on("error", (e: Error & { level?: string; code?: string }) => {
        if (failed) return;
        failed = true;
        signal?.removeEventListener("abort", onAbort);
        client.end();
        if (hostKeyProblem) return reject(hostKeyProblem);
        if (e.level === "client-authentication") {
          return reject(new SshAuthenticationError(`authentication failed for ${where} (tried ${describeAuth(cfg)})`));
        }
        if (e.level === "client-timeout") return reject(new SshUnreachableError(`cannot reach ${where}: no SSH handshake within ${cfg.readyTimeout} ms`));
        if (e.level === "client-socket" || e.code) return reject(new SshUnreachableError(`cannot reach ${where}: ${e.code ?? errorMessage(e)}`));
        reject(new UserError(`SSH to ${where} failed: ${errorMessage(e)}`));
      });
      client.connect(cfg);
    });
    if (toPin) await pinHostKey(knownHostsFile, target.host, target.port, toPin);
    return new SshTransport(client, target, auth);
  }

  /** A fresh connection with the same target and credentials (the 2.4 leftover check). */
  reconnect(): Promise<SshTransport> {
    return SshTransport.connect(this.target, { ...this.auth, acceptNew: false });
  }

  exec(script: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    return timedAs("guest", "ssh", () => this.run(script, opts));
  }

  private run(script: string, opts: GuestExecOptions): Promise<GuestExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      let stream: ClientChannel | null = null;
      let done = false;
      const out: Buffer[] = [], err: Buffer[] = [];
      let code: number | null = null;
      const finish = (e: Error | null) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.client.off("close", onClientClose);
        if (e) reject(e);
        else resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
      };
      const stop = (why: Error) => {
        try { stream?.signal("TERM"); } catch { /* not supported by every server */ }
        stream?.close();
        finish(why);
      };
      const timer = opts.timeoutMs ? setTimeout(() => stop(new Error(`guest script on ${this.label} timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs) : undefined;
      const onAbort = () => stop(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
      const onClientClose = () => finish(this.lost ?? new TransportLostError(`SSH connection to ${this.label} closed during a script`));
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.client.on("close", onClientClose);
      this.client.exec(this.auth.asLoginUser ? LOGIN_USER_COMMAND : REMOTE_COMMAND, (e, s) => {
        if (e) return finish(new TransportLostError(`cannot open an SSH session on ${this.label}: ${e.message}`));
        stream = s;
        s.on("data", (b: Buffer) => out.push(b));
        s.stderr.on("data", (b: Buffer) => err.push(b));
        s.on("exit", (c: number | null) => { code = typeof c === "number" ? c : null; });
        s.on("close", () => finish(null));
        s.end(script);
      });
    });
  }

  async close(): Promise<void> {
    this.client.end();
  }
}

/** Connection-level failure (refused, timeout, no route): the guest agent may still answer. */
export class SshUnreachableError extends UserError {
  constructor(message: string) {
    super(message, "check the address and port, or give --fallback-qga to reach the guest through its agent");
    this.name = "SshUnreachableError";
  }
}

/** The server refused every credential offered. */
export class SshAuthenticationError extends UserError {
  constructor(message: string) {
    super(message, "give a key with --identity or a password with --password-file / TIOSA_SSH_PASSWORD");
    this.name = "SshAuthenticationError";
  }
}

function describeAuth(cfg: ConnectConfig): string {
  const m: string[] = [];
  if (cfg.privateKey) m.push("publickey");
  if (cfg.agent) m.push("agent");
  if (cfg.password !== undefined) m.push("password");
  return m.join(", ") || "none";
}

async function fillCredentials(cfg: ConnectConfig, auth: SshAuth, where: string): Promise<void> {
  if (auth.identityFile) {
    try {
      cfg.privateKey = await readFile(auth.identityFile);
    } catch (e) {
      throw new UserError(`identity file '${auth.identityFile}': ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : errorMessage(e)}`);
    }
    if (process.env.TIOSA_SSH_PASSPHRASE) cfg.passphrase = process.env.TIOSA_SSH_PASSPHRASE;
  }
  if (auth.passwordFile) {
    try {
      cfg.password = (await readFile(auth.passwordFile, "utf8")).split("\n")[0]!;
    } catch (e) {
      throw new UserError(`password file '${auth.passwordFile}': ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : errorMessage(e)}`);
    }
  } else if (auth.password !== undefined) {
    cfg.password = auth.password;
  }
  if (!cfg.privateKey && cfg.password === undefined) {
    // like ssh: the agent, then the usual key files
    if (process.env.SSH_AUTH_SOCK) cfg.agent = process.env.SSH_AUTH_SOCK;
    for (const f of ["id_ed25519", "id_ecdsa", "id_rsa"]) {
      try { cfg.privateKey = await readFile(join(homedir(), ".ssh", f)); break; } catch { /* next */ }
    }
    if (!cfg.privateKey && !cfg.agent) {
      throw new UserError(`no credentials for ${where}: give --identity FILE, --password-file FILE or TIOSA_SSH_PASSWORD`);
    }
  }
}
