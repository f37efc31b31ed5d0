import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";
import { shQuote } from "../shell.js";

/**
 * 2.3.i and 2.3.j: the remote shell's process is running and its port listens. Read from
 * /proc (comm names, /proc/net/tcp{,6}) so it needs no pgrep, ss or netstat in the guest.
 */
export const remoteShellProbe: Probe = {
  name: "remote-shell",
  fields: ["remoteShell"],
  script: (o) => [
    `want=${shQuote(o.shellProcess)}`,
    "echo '### process'",
    'for f in /proc/[0-9]*/comm; do { read -r c <"$f"; } 2>/dev/null && [ "$c" = "$want" ] && { echo "${f%/comm}"; break; }; done',
    "echo '### tcp'; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null",
  ].join("\n"),
  parse(out, o) {
    const s = subsections(out.stdout);
    if (!s.has("tcp")) throw new Error(`could not read /proc: ${out.stderr.trim().slice(0, 300)}`);
    const running = /^\/proc\/\d+$/m.test(s.get("process") ?? "");
    return {
      remoteShell: { process: o.shellProcess, running, port: o.shellPort, listening: listeningTcpPorts(s.get("tcp")!).has(o.shellPort) },
    };
  },
};

/** Ports in state LISTEN (0A) in /proc/net/tcp and tcp6. */
export function listeningTcpPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    if (w.length < 4 || !/^\d+:$/.test(w[0]!) || w[3] !== "0A") continue;
    const port = parseInt(w[1]!.split(":")[1] ?? "", 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}
