import { run, type ExecResult } from "../../util/exec.js";
import { UserError } from "../../errors.js";

/** How long one virsh call may take before we give up (connect included). */
export const VIRSH_TIMEOUT_MS = 60_000;
/** A first contact must be quick: an unreachable host should fail fast, not hang. */
export const CONNECT_TIMEOUT_MS = 20_000;

export class VirshError extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
    this.name = "VirshError";
  }
}

export interface VirshOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
}

/**
 * Runs `virsh -c URI ...` without a shell. Failures that are the user's (unreachable URI,
 * unknown domain) become UserErrors naming the URI/VM; the rest VirshErrors with stderr.
 */
export class Virsh {
  constructor(readonly uri: string) {}

  async raw(args: readonly string[], opts: VirshOptions = {}): Promise<ExecResult> {
    return run("virsh", ["-q", "-c", this.uri, ...args], {
      timeoutMs: opts.timeoutMs ?? VIRSH_TIMEOUT_MS,
      signal: opts.signal,
      input: opts.input,
      // virsh over ssh must never wait for a password prompt.
      env: { ...process.env, LIBVIRT_AUTH_FILE: "/dev/null", SSH_ASKPASS: "", DISPLAY: "" },
    });
  }

  async ok(args: readonly string[], opts: VirshOptions = {}): Promise<string> {
    const r = await this.raw(args, opts);
    if (r.timedOut) {
      throw new UserError(`hypervisor '${this.uri}': 'virsh ${args[0]}' did not answer within ${Math.round((opts.timeoutMs ?? VIRSH_TIMEOUT_MS) / 1000)} s`);
    }
    if (r.code !== 0) throw classify(this.uri, args, r);
    return r.stdout;
  }
}

export function classify(uri: string, args: readonly string[], r: ExecResult): Error {
  const msg = (r.stderr.trim() || r.stdout.trim()).replace(/^error: /gm, "").split("\n").filter(Boolean).join(" | ");
  if (/failed to connect to the hypervisor|Cannot recv data|Connection refused|No route to host|Could not resolve hostname|Connection timed out|Permission denied \(publickey|no connection driver available|unable to connect to server/i.test(msg)) {
    return new UserError(`hypervisor '${uri}' is unreachable: ${msg}`, "check the URI, that libvirtd runs there (scripts/setup.d/50-libvirt.sh) and the SSH key for qemu+ssh");
  }
  const nf = /failed to get domain '([^']*)'|Domain not found: [^|]*'([^']*)'/i.exec(msg);
  if (nf) return new UserError(`VM '${nf[1] ?? nf[2]}' does not exist on '${uri}'`, `list them with: tiosa inspect ${uri}`);
  return new VirshError(`virsh ${args.slice(0, 4).join(" ")}${args.length > 4 ? " ..." : ""} on '${uri}': ${msg || `exit ${r.code ?? r.signal}`}`, r);
}
