import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";

/**
 * 2.3.c: firewall rules, normalised so two captures of the same ruleset compare equal:
 * handles, counters, quotas' usage and save dates are dropped; each rule becomes one
 * line prefixed by family, table and chain ("inet filter input: tcp dport 22 accept").
 *
 * Sources: `nft -j list ruleset`; iptables-save when the tables are legacy ones (which
 * nft does not see) or when nft shows iptables-nft rules only as opaque `xt` matches.
 */
export const firewallProbe: Probe = {
  name: "firewall",
  fields: ["firewall"],
  script: () => [
    "if command -v nft >/dev/null 2>&1; then echo '### nft'; nft -j list ruleset; fi",
    "for t in iptables ip6tables; do",
    "  if command -v $t-save >/dev/null 2>&1; then",
    "    echo \"### $t-version\"; $t-save -V 2>&1",
    "    echo \"### $t-save\"; $t-save",
    "  fi",
    "  if command -v $t-legacy-save >/dev/null 2>&1 && ! $t-save -V 2>&1 | grep -q legacy; then",
    "    echo \"### $t-legacy-save\"; $t-legacy-save",
    "  fi",
    "done",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    const rules: string[] = [];
    const backends: string[] = [];
    let nftOk = false, nftLossy = false;
    const nftText = s.get("nft");
    if (nftText !== undefined && nftText.trim().startsWith("{")) {
      const r = normaliseNftJson(nftText);
      nftOk = true;
      nftLossy = r.lossy;
      rules.push(...r.rules);
      backends.push("nftables");
    }
    for (const [fam, t] of [["ip", "iptables"], ["ip6", "ip6tables"]] as const) {
      const save = s.get(`${t}-save`);
      const legacyDefault = /legacy/.test(s.get(`${t}-version`) ?? "");
      if (save !== undefined && (legacyDefault || !nftOk || nftLossy)) {
        const lines = normaliseIptablesSave(save, fam);
        rules.push(...lines);
        if (lines.length || !nftOk) backends.push(legacyDefault ? "iptables-legacy" : "iptables-nft");
      }
      const legacy = s.get(`${t}-legacy-save`);
      if (legacy !== undefined) {
        const lines = normaliseIptablesSave(legacy, fam);
        if (lines.length) { rules.push(...lines); backends.push("iptables-legacy"); }
      }
    }
    if (!backends.length) {
      throw new Error(`no firewall tool answered (nft, iptables-save): ${out.stderr.trim().slice(0, 300) || "none installed"}`);
    }
    return { firewall: { backend: [...new Set(backends)].join("+"), rules } };
  },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Keys sorted, so an unknown expression renders the same whatever order nft printed. */
function stable(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k]!)}`).join(",")}}`;
  return JSON.stringify(v);
}

function value(v: Json): string {
  if (v === null) return "";
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return v.map(value).join(",");
  const [k, x] = Object.entries(v)[0] ?? ["", null];
  const o = (x ?? {}) as Record<string, Json>;
  switch (k) {
    case "set": return `{ ${(Array.isArray(x) ? x : [x]).map(value).join(", ")} }`;
    case "range": return Array.isArray(x) ? `${value(x[0]!)}-${value(x[1]!)}` : stable(v);
    case "prefix": return `${value(o.addr!)}/${value(o.len!)}`;
    case "payload": return o.protocol !== undefined ? `${o.protocol} ${o.field}` : `@${o.base},${o.offset},${o.len}`;
    case "meta": return `meta ${o.key}`;
    case "ct": return `ct ${o.dir ? `${o.dir} ` : ""}${o.key}`;
    case "exthdr": return `${o.name}${o.field ? ` ${o.field}` : ""}`;
    case "tcp option": return `tcp option ${o.name}${o.field ? ` ${o.field}` : ""}`;
    case "concat": return Array.isArray(x) ? x.map(value).join(" . ") : stable(v);
    case "elem": return value(o.val!);
    case "&": case "|": case "^": case "<<": case ">>":
      return Array.isArray(x) ? `${value(x[0]!)} ${k} ${value(x[1]!)}` : stable(v);
    default: return stable(v);
  }
}

function statement(e: Record<string, Json>): string | null {
  const [k, x] = Object.entries(e)[0] ?? ["", null];
  const o = (x && typeof x === "object" && !Array.isArray(x) ? x : {}) as Record<string, Json>;
  switch (k) {
    case "counter": case "quota": return null; // traffic figures, not policy
    case "match": {
      const op = o.op === "==" || o.op === "in" ? "" : `${o.op} `;
      return `${value(o.left!)} ${op}${value(o.right!)}`;
    }
    case "accept": case "drop": case "continue": case "return": case "masquerade": case "notrack":
      return x && typeof x === "object" && Object.keys(x).length ? `${k} ${stable(x)}` : k;
    case "jump": case "goto": return `${k} ${o.target}`;
    case "reject": return o.type ? `reject with ${o.type}${o.expr !== undefined ? ` type ${value(o.expr)}` : ""}` : "reject";
    case "log": return `log${o.prefix !== undefined ? ` prefix "${o.prefix}"` : ""}${o.level !== undefined ? ` level ${o.level}` : ""}${o.group !== undefined ? ` group ${o.group}` : ""}`;
    case "limit": return `limit rate ${o.inv ? "over " : ""}${o.rate}/${o.per ?? "second"}${o.burst ? ` burst ${o.burst} ${o.burst_unit ?? "packets"}` : ""}`;
    case "snat": case "dnat": case "redirect":
      return `${k}${o.family ? ` ${o.family}` : ""}${o.addr !== undefined ? ` to ${value(o.addr)}` : ""}${o.port !== undefined ? `${o.addr !== undefined ? ":" : " to :"}${value(o.port)}` : ""}`;
    case "xt": return `xt ${o.type} ${o.name}`;
    case "mangle": return `${value(o.key!)} set ${value(o.value!)}`;
    default: return stable(e);
  }
}

export function normaliseNftJson(text: string): { rules: string[]; lossy: boolean } {
  const doc = JSON.parse(text) as { nftables?: Array<Record<string, Record<string, Json>>> };
  if (!Array.isArray(doc.nftables)) throw new Error("nft -j printed no 'nftables' array");
  // nft versions list sets, chains and rules in different orders (1.0.6 sets first, 1.1
  // chains first): group by table, then sets, then each chain followed by its rules in
  // their own order, which is the only order that matters to packets
  const lines: { key: string; seq: number; text: string }[] = [];
  let lossy = false;
  doc.nftables.forEach((item, seq) => {
    const [kind, o] = Object.entries(item)[0] ?? ["", {}];
    if (!o) return;
    const where = `${o.family} ${o.table}`;
    const key = (...k: unknown[]) => [o.family, o.table, ...k].join("\u0000");
    if (kind === "chain") {
      lines.push({ key: key(1, o.name, 0), seq, text: o.hook !== undefined
        ? `${where} ${o.name}: type ${o.type} hook ${o.hook} priority ${o.prio}${o.dev ? ` device ${o.dev}` : ""} policy ${o.policy ?? "accept"}`
        : `${where} ${o.name}: chain` });
    } else if (kind === "set" || kind === "map") {
      const flags = Array.isArray(o.flags) ? o.flags.map(String) : [];
      // elements of dynamic or timed sets are filled by traffic, not by the administrator
      const dynamic = flags.includes("dynamic") || flags.includes("timeout") || o.timeout !== undefined;
      const elems = dynamic || !Array.isArray(o.elem) ? "" : ` elements { ${o.elem.map(value).sort().join(", ")} }`;
      lines.push({ key: key(0, o.name), seq, text: `${where} ${kind} ${o.name}: type ${value(o.type ?? null)}${o.map !== undefined ? ` : ${value(o.map)}` : ""}${flags.length ? ` flags ${flags.join(",")}` : ""}${elems}` });
    } else if (kind === "rule") {
      const exprs = Array.isArray(o.expr) ? (o.expr as Record<string, Json>[]) : [];
      if (exprs.some((e) => "xt" in e)) lossy = true;
      const text = exprs.map(statement).filter((s): s is string => s !== null && s !== "").join(" ");
      lines.push({ key: key(1, o.chain, 1), seq, text: `${where} ${o.chain}: ${text}` });
    }
  });
  return { rules: ordered(lines), lossy };
}

function ordered(lines: { key: string; seq: number; text: string }[]): string[] {
  return lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq)).map((l) => l.text);
}

/** iptables-save: drop comments (they carry dates), COMMIT and packet/byte counters. */
export function normaliseIptablesSave(text: string, family: "ip" | "ip6"): string[] {
  const lines: { key: string; seq: number; text: string }[] = [];
  let table = "?";
  text.split("\n").forEach((raw, seq) => {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line === "COMMIT") return;
    if (line.startsWith("*")) { table = line.slice(1); return; }
    // tables come in different orders from iptables-legacy-save and iptables-nft-save
    const chain = /^:(\S+)\s+(\S+)/.exec(line);
    if (chain) lines.push({ key: table, seq, text: `${family} ${table}: :${chain[1]} ${chain[2]}` });
    else lines.push({ key: table, seq, text: `${family} ${table}: ${line.replace(/^\[\d+:\d+\]\s+/, "")}` });
  });
  return ordered(lines);
}
