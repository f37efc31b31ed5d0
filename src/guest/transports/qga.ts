import { createConnection, type Socket } from "node:net";
import { timedAs } from "../../util/time-ledger.js";
import { UserError, errorMessage } from "../../errors.js";
import { run } from "../../util/exec.js";
import { TransportLostError, type GuestExecOptions, type GuestExecResult, type GuestTransport } from "../transport.js";

/**
 * The QEMU guest agent: answers even when the guest's network is gone, which is when a
 * migrated VM most needs diagnosing. Two ways in:
 *  - `qga:PATH`: the agent's unix socket on this host (QEMU `-chardev socket,path=PATH`);
 *  - `qga+libvirt://DOMAIN[?uri=qemu:///system]`: `virsh qemu-agent-command` (one spawn per call).
 * Scripts run through guest-exec (`/bin/sh -c SCRIPT`, output base64) polled with
 * guest-exec-status; files through guest-file-open/read/close.
 */
export type QgaTarget = { via: "socket"; path: string } | { via: "libvirt"; domain: string; uri: string | null };

export function parseQgaTarget(target: string): QgaTarget {
  if (target.startsWith("qga:") ) {
    const path = target.slice(4);
    if (!path) throw new UserError(`target '${target}': give the agent socket path, e.g. qga:/run/vm1-qga.sock`);
    return { via: "socket", path };
  }
  if (target.startsWith("qga+libvirt://")) {
    const rest = target.slice("qga+libvirt://".length);
    const [dom, query] = rest.split("?", 2) as [string, string | undefined];
    const domain = decodeURIComponent(dom.replace(/\/$/, ""));
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$/.test(domain)) throw new UserError(`target '${target}': '${domain}' is not a libvirt domain name`);
    const uri = query ? new URLSearchParams(query).get("uri") : null;
    if (uri !== null && !/^[a-z0-9+]+:\/\/[^\s]*$/i.test(uri)) throw new UserError(`target '${target}': '${uri}' is not a libvirt URI`);
    return { via: "libvirt", domain, uri };
  }
  throw new UserError(`target '${target}' is neither qga:PATH nor qga+libvirt://DOMAIN`);
}

type Reply = { return?: unknown; error?: { class: string; desc: string } };

/** Line-delimited JSON over the agent socket, with guest-sync-delimited to skip stale replies. */
class QgaSocket {
  private buf = "";
  private waiting: ((line: string) => void) | null = null;
  private lines: string[] = [];
  private closed: Error | null = null;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, i).replace(/^[\xff\ufffd]+/, "").trim(); // 0xFF delimiter, decoded as U+FFFD
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        if (this.waiting) { const w = this.waiting; this.waiting = null; w(line); } else this.lines.push(line);
      }
    });
    const onEnd = () => { this.closed ??= new TransportLostError("guest agent socket closed"); this.waiting?.(""); };
    sock.on("close", onEnd);
    sock.on("error", (e) => { this.closed = new TransportLostError(`guest agent socket: ${errorMessage(e)}`); this.waiting?.(""); });
  }

  static open(path: string, timeoutMs: number): Promise<QgaSocket> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      const t = setTimeout(() => { sock.destroy(); reject(new UserError(`guest agent socket '${path}': no connection within ${timeoutMs} ms`)); }, timeoutMs);
      sock.once("connect", () => { clearTimeout(t); resolve(new QgaSocket(sock)); });
      sock.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(t);
        reject(new UserError(`guest agent socket '${path}': ${e.code === "ENOENT" ? "no such socket" : e.code === "ECONNREFUSED" ? "nobody listening (is the VM running with a guest-agent channel?)" : errorMessage(e)}`));
      });
    });
  }

  private nextLine(timeoutMs: number): Promise<string> {
    if (this.lines.length) return Promise.resolve(this.lines.shift()!);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.waiting = null; reject(new TransportLostError(`guest agent did not answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting = (line) => { clearTimeout(t); if (!line && this.closed) reject(this.closed); else resolve(line); };
    });
  }

  async sync(timeoutMs: number): Promise<void> {
    const id = Math.floor(Math.random() * 2 ** 31);
    this.lines = [];
    this.sock.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(JSON.stringify({ execute: "guest-sync-delimited", arguments: { id } }) + "\n")]));
    for (;;) {
      const line = await this.nextLine(timeoutMs);
      try { if ((JSON.parse(line) as Reply).return === id) return; } catch { /* partial garbage before the delimiter */ }
    }
  }

  async call(cmd: string, args: unknown, timeoutMs: number): Promise<Reply> {
    this.sock.write(JSON.stringify(args === undefined ? { execute: cmd } : { execute: cmd, arguments: args }) + "\n");
    const line = await this.nextLine(timeoutMs);
    try { return JSON.parse(line) as Reply; } catch { throw new TransportLostError(`guest agent sent unreadable JSON: ${line.slice(0, 200)}`); }
  }

  close(): void { this.sock.destroy(); }
}

export class QgaTransport implements GuestTransport {
  readonly kind = "qga" as const;
  readonly label: string;

  private constructor(private readonly target: QgaTarget, private readonly sock: QgaSocket | null) {
    this.label = target.via === "socket" ? `qga:${target.path}` : `qga+libvirt://${target.domain}${target.uri ? `?uri=${target.uri}` : ""}`;
  }

  static async connect(target: QgaTarget, timeoutMs = 10_000): Promise<QgaTransport> {
    const sock = target.via === "socket" ? await QgaSocket.open(target.path, timeoutMs) : null;
    const t = new QgaTransport(target, sock);
    try {
      if (sock) await sock.sync(timeoutMs);
      await t.call("guest-ping", undefined, timeoutMs);
    } catch (e) {
      sock?.close();
      if (e instanceof UserError) throw e;
      throw new UserError(`guest agent at ${t.label} does not answer: ${errorMessage(e)}`);
    }
    return t;
  }

  reconnect(): Promise<QgaTransport> {
    return QgaTransport.connect(this.target);
  }

  /** One agent command; agent errors become exceptions naming the command. */
  async call(cmd: string, args: unknown, timeoutMs = 10_000, signal?: AbortSignal): Promise<unknown> {
    let reply: Reply;
    if (this.sock) {
      reply = await this.sock.call(cmd, args, timeoutMs);
    } else {
      const t = this.target as Extract<QgaTarget, { via: "libvirt" }>;
      const json = JSON.stringify(args === undefined ? { execute: cmd } : { execute: cmd, arguments: args });
      const r = await run("virsh", [...(t.uri ? ["-c", t.uri] : []), "qemu-agent-command", t.domain, json], { timeoutMs: timeoutMs + 5000, signal });
      if (r.code !== 0) {
        const msg = r.stderr.trim().split("\n").pop() ?? "";
        if (/not responding|not connected|not configured|Guest agent is not/i.test(msg)) throw new TransportLostError(`guest agent of ${t.domain}: ${msg}`);
        if (/failed to get domain|Domain not found/i.test(msg)) throw new UserError(`libvirt domain '${t.domain}' not found${t.uri ? ` on ${t.uri}` : ""}`);
        throw new Error(`virsh qemu-agent-command ${t.domain} ${cmd}: ${msg}`);
      }
      reply = JSON.parse(r.stdout) as Reply;
    }
    if (reply.error) throw new Error(`guest agent ${cmd}: ${reply.error.class}: ${reply.error.desc}`);
    return reply.return;
  }

  exec(script: string, opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    return timedAs("guest", "guest agent", () => this.run(script, opts));
  }

  private async run(script: string, opts: GuestExecOptions): Promise<GuestExecResult> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const started = await this.call("guest-exec", { path: "/bin/sh", arg: ["-c", script], "capture-output": true }, 10_000, opts.signal) as { pid: number };
    let delay = 20;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error("aborted");
      if (Date.now() > deadline) throw new Error(`guest script through ${this.label} timed out after ${opts.timeoutMs} ms (guest pid ${started.pid} may still run)`);
      const st = await this.call("guest-exec-status", { pid: started.pid }, 10_000, opts.signal) as {
        exited: boolean; exitcode?: number; signal?: number; "out-data"?: string; "err-data"?: string; "out-truncated"?: boolean;
      };
      if (st.exited) {
        const dec = (b?: string) => (b ? Buffer.from(b, "base64").toString("utf8") : "");
        return { code: typeof st.exitcode === "number" ? st.exitcode : null, stdout: dec(st["out-data"]), stderr: dec(st["err-data"]) + (st["out-truncated"] ? "\n[output truncated by the guest agent]" : "") };
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }

  /** Reads a guest file through guest-file-open/read/close (works where guest-exec is disabled). */
  async readFile(path: string, maxBytes = 1 << 20): Promise<string> {
    const h = await this.call("guest-file-open", { path, mode: "r" }) as number;
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for (;;) {
        const r = await this.call("guest-file-read", { handle: h, count: 65536 }) as { count: number; "buf-b64": string; eof: boolean };
        const b = Buffer.from(r["buf-b64"], "base64");
        chunks.push(b);
        total += b.length;
        if (r.eof || r.count === 0 || total >= maxBytes) break;
      }
    } finally {
      await this.call("guest-file-close", { handle: h }).catch(() => undefined);
    }
    return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
  }

  async close(): Promise<void> {
    this.sock?.close();
  }
}
