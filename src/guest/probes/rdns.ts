import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";
import { shQuote } from "../shell.js";

/**
 * 2.3.g and 2.3.h: reverse lookups of a private and a public address, both at once.
 * A DNS client (host, dig, nslookup) is preferred to getent, which would answer from
 * /etc/hosts and hide a resolver that no longer works.
 */
export const rdnsProbe: Probe = {
  name: "rdns",
  fields: ["reverseDns"],
  slow: true,
  script(o) {
    if (!o.rdnsPrivate && !o.rdnsPublic) return null;
    const lines = [
      "tiosa_rdns() {",
      '  if command -v host >/dev/null 2>&1; then echo tool=host; host -W 3 "$1" 2>&1',
      '  elif command -v dig >/dev/null 2>&1; then echo tool=dig; dig +short +time=3 +tries=1 -x "$1" 2>&1',
      '  elif command -v nslookup >/dev/null 2>&1; then echo tool=nslookup; nslookup "$1" 2>&1',
      '  elif command -v getent >/dev/null 2>&1; then echo tool=getent; getent hosts "$1"',
      "  else echo tool=none; fi",
      "}",
    ];
    const emit: string[] = [];
    for (const [key, t] of [["private", o.rdnsPrivate], ["public", o.rdnsPublic]] as const) {
      if (!t) continue;
      lines.push(`tiosa_rdns ${shQuote(t.address)} >"$T/rdns.${key}" 2>&1 &`);
      emit.push(`echo '### ${key}'; cat "$T/rdns.${key}"`);
    }
    return [...lines, "wait", ...emit].join("\n");
  },
  parse(out, o) {
    const s = subsections(out.stdout);
    const errors: { probe: string; message: string }[] = [];
    const one = (key: "private" | "public") => {
      const t = key === "private" ? o.rdnsPrivate : o.rdnsPublic;
      const text = s.get(key);
      if (!t || text === undefined) return null;
      const names = parseReverseLookup(text);
      if (/^tool=none/m.test(text)) errors.push({ probe: `rdns.${key}`, message: "no DNS client in the guest (host, dig, nslookup, getent)" });
      const expected = t.expected ? t.expected.replace(/\.$/, "").toLowerCase() : null;
      const name = (expected && names.find((n) => n.toLowerCase() === expected)) || names[0] || null;
      return { address: t.address, name, expected };
    };
    return { reverseDns: { private: one("private"), public: one("public") }, ...(errors.length ? { errors } : {}) };
  },
};

/** Names a reverse lookup returned, without trailing dots, whatever client printed them. */
export function parseReverseLookup(text: string): string[] {
  const tool = /^tool=(\S+)/m.exec(text)?.[1];
  const body = text.split("\n").filter((l) => !l.startsWith("tool="));
  const names: string[] = [];
  const add = (n: string | undefined) => { if (n && /^[A-Za-z0-9_.-]+$/.test(n)) names.push(n.replace(/\.$/, "")); };
  for (const line of body) {
    if (tool === "host") add(/domain name pointer (\S+)/.exec(line)?.[1]);
    else if (tool === "dig") { if (!line.startsWith(";") && line.trim()) add(line.trim()); }
    else if (tool === "nslookup") add(/name = (\S+)/.exec(line)?.[1] ?? /^Address \d+: \S+ (\S+)/.exec(line)?.[1]);
    else if (tool === "getent") add(line.trim().split(/\s+/)[1]);
  }
  return names;
}
