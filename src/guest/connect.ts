import { UserError } from "../errors.js";
import type { GuestTransport } from "./transport.js";
import { SshTransport, SshUnreachableError, parseSshTarget, type SshAuth } from "./transports/ssh.js";
import { QgaTransport, parseQgaTarget } from "./transports/qga.js";
import { LocalTransport } from "./transports/local.js";

/**
 * Opens the transport a TARGET names: `ssh://user@host[:port]`, `qga:PATH`,
 * `qga+libvirt://DOMAIN[?uri=...]` or `local`. With a fallback agent target, an SSH
 * target that cannot be reached (refused, timeout; not an auth or host-key problem) is
 * captured through the guest agent instead; `fellBack` says so.
 */
export async function openTransport(
  target: string,
  auth: SshAuth = {},
  opts: { fallbackQga?: string; signal?: AbortSignal } = {},
): Promise<{ transport: GuestTransport; fellBack: string | null }> {
  if (target === "local") return { transport: new LocalTransport(), fellBack: null };
  if (target.startsWith("qga:") || target.startsWith("qga+libvirt://")) {
    return { transport: await QgaTransport.connect(parseQgaTarget(target), auth.connectTimeoutMs), fellBack: null };
  }
  if (target.startsWith("ssh://")) {
    const ssh = parseSshTarget(target);
    const fallback = opts.fallbackQga ? parseQgaTarget(opts.fallbackQga) : null;
    try {
      return { transport: await SshTransport.connect(ssh, auth, opts.signal), fellBack: null };
    } catch (e) {
      if (!(e instanceof SshUnreachableError) || !fallback) throw e;
      const transport = await QgaTransport.connect(fallback, auth.connectTimeoutMs);
      return { transport, fellBack: e.message };
    }
  }
  throw new UserError(`target '${target}' must be ssh://user@host[:port], qga:SOCKET-PATH, qga+libvirt://DOMAIN or local`);
}
