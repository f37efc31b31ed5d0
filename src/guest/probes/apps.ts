import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";
import { shQuote } from "../shell.js";
import type { AppCheckSpec } from "../options.js";

/** Captured output kept per command check: enough for a regex, bounded for a chatty tool. */
const MAX_OUTPUT = 65536;

/**
 * The user's application checks (Table IV): a command with an expected exit status and
 * output, a TCP port that must accept, an HTTP URL with an expected status. All run in the
 * guest, concurrently. The command is the user's own shell text, passed as ONE quoted
 * argument to `sh -c`, so it cannot break out of the capture script around it.
 */
export const appsProbe: Probe = {
  name: "apps",
  fields: ["apps"],
  slow: true,
  script(o) {
    if (!o.apps.length) return null;
    const lines = ['tiosa_to() { if command -v timeout >/dev/null 2>&1; then timeout "$@"; else shift; "$@"; fi; }'];
    o.apps.forEach((a, i) => lines.push(`( ${appSnippet(a, i)} ) >"$T/app.${i}" 2>&1 </dev/null &`));
    lines.push("wait");
    o.apps.forEach((_, i) => lines.push(`echo '### app-${i}'; cat "$T/app.${i}"`));
    return lines.join("\n");
  },
  parse(out, o) {
    const s = subsections(out.stdout);
    return { apps: o.apps.map((a, i) => judgeApp(a, s.get(`app-${i}`))) };
  },
};

function appSnippet(a: AppCheckSpec, i: number): string {
  if (a.kind === "command") {
    return `tiosa_to 60 sh -c ${shQuote(a.command)} >"$T/app.${i}.out" 2>&1; echo "rc=$?"; head -c ${MAX_OUTPUT} "$T/app.${i}.out"`;
  }
  if (a.kind === "tcp") {
    const h = shQuote(a.host), p = shQuote(String(a.port));
    return [
      // busybox nc has no -z: it connects and, stdin being empty, leaves at once
      `if command -v nc >/dev/null 2>&1; then echo tool=nc; out=$(tiosa_to 10 nc -z -w 5 ${h} ${p} 2>&1 </dev/null); rc=$?`,
      `  case "$out" in *"invalid option"*|*"unrecognized option"*|*Usage:*) tiosa_to 10 nc -w 5 ${h} ${p} </dev/null >/dev/null 2>&1; rc=$? ;; esac; echo "rc=$rc"`,
      `elif command -v bash >/dev/null 2>&1; then echo tool=bash; tiosa_to 10 bash -c ': <>"/dev/tcp/$0/$1"' ${h} ${p}; echo "rc=$?"`,
      "else echo tool=none; fi",
    ].join("\n");
  }
  const u = shQuote(a.url);
  return [
    `if command -v curl >/dev/null 2>&1; then echo tool=curl; printf 'status='; curl -s -k -o /dev/null -w '%{http_code}' --max-time 15 ${u}; echo`,
    // no -T: busybox 1.35's wget crashes with it (SIGSEGV, seen on Debian 12)
    `elif command -v wget >/dev/null 2>&1; then echo tool=wget; printf 'status='; tiosa_to 20 wget -S -O /dev/null ${u} 2>&1 | awk '/^ *HTTP\\//{c=$2} END{print c}'`,
    "else echo tool=none; fi",
  ].join("\n");
}

export function judgeApp(a: AppCheckSpec, text: string | undefined): { name: string; ok: boolean; detail: string } {
  if (text === undefined) return { name: a.name, ok: false, detail: "the check did not report (script cut short)" };
  if (/^tool=none/m.test(text)) {
    return { name: a.name, ok: false, detail: a.kind === "tcp" ? "neither nc nor bash in the guest to open a TCP connection" : "neither curl nor wget in the guest" };
  }
  if (a.kind === "command") {
    const m = /^rc=(\d+)\n?([\s\S]*)$/.exec(text);
    if (!m) return { name: a.name, ok: false, detail: `unreadable result: ${text.slice(0, 200)}` };
    const rc = Number(m[1]), output = m[2]!.replace(/\n$/, "");
    if (rc !== a.expectExit) return { name: a.name, ok: false, detail: `exit ${rc}${rc === 124 ? " (timed out after 60 s)" : ""}, expected ${a.expectExit}; output: ${output.slice(0, 200)}` };
    if (a.expectOutput !== undefined && !new RegExp(a.expectOutput, "m").test(output)) {
      return { name: a.name, ok: false, detail: `exit ${rc} as expected, but output does not match /${a.expectOutput}/: ${output.slice(0, 200)}` };
    }
    return { name: a.name, ok: true, detail: `exit ${rc}${a.expectOutput !== undefined ? `, output matches /${a.expectOutput}/` : ""}` };
  }
  if (a.kind === "tcp") {
    const rc = Number(/^rc=(\d+)/m.exec(text)?.[1] ?? NaN);
    return rc === 0
      ? { name: a.name, ok: true, detail: `${a.host}:${a.port} accepts connections` }
      : { name: a.name, ok: false, detail: `${a.host}:${a.port} refused or timed out (exit ${Number.isNaN(rc) ? "?" : rc})` };
  }
  const status = Number(/^status=(\d{3})/m.exec(text)?.[1] ?? 0);
  if (status === a.expectStatus) return { name: a.name, ok: true, detail: `HTTP ${status} from ${a.url}` };
  return { name: a.name, ok: false, detail: status ? `HTTP ${status} from ${a.url}, expected ${a.expectStatus}` : `no HTTP answer from ${a.url}` };
}
