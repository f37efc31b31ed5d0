import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";

type Route = { destination: string; gateway: string | null; device: string | null };

/** 2.3.d: the main routing table, IPv4 and IPv6. */
export const routesProbe: Probe = {
  name: "routes",
  fields: ["routes"],
  script: () => [
    "if ip -j route show >/dev/null 2>&1; then",
    "  echo '### ip4-json'; ip -j -4 route show",
    "  echo '### ip6-json'; ip -j -6 route show",
    "elif command -v ip >/dev/null 2>&1; then",
    "  echo '### ip4-text'; ip -4 route show",
    "  echo '### ip6-text'; ip -6 route show 2>/dev/null",
    "else",
    "  echo '### proc'; cat /proc/net/route",
    "fi",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    let routes: Route[];
    if (s.has("ip4-json")) routes = [...parseRouteJson(s.get("ip4-json")!), ...parseRouteJson(s.get("ip6-json") ?? "")];
    else if (s.has("ip4-text")) routes = [...parseRouteText(s.get("ip4-text")!), ...parseRouteText(s.get("ip6-text") ?? "")];
    else if (s.has("proc")) routes = parseProcNetRoute(s.get("proc")!);
    else throw new Error(`no routing table could be read: ${out.stderr.trim().slice(0, 300)}`);
    return { routes };
  },
};

export function parseRouteJson(json: string): Route[] {
  if (!json.trim()) return [];
  const rs = JSON.parse(json) as Array<Record<string, unknown>>;
  return rs.filter((r) => r.type === undefined || r.type === "unicast").map((r) => ({
    destination: String(r.dst),
    gateway: typeof r.gateway === "string" ? r.gateway : null,
    device: typeof r.dev === "string" ? r.dev : null,
  }));
}

export function parseRouteText(text: string): Route[] {
  const r: Route[] = [];
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    if (!w[0]) continue;
    // route types other than unicast come first on the line: "unreachable 10.0.0.0/8"
    if (["unreachable", "blackhole", "prohibit", "throw", "broadcast", "local", "multicast", "anycast"].includes(w[0])) continue;
    const after = (k: string) => { const i = w.indexOf(k); return i >= 0 && i + 1 < w.length ? w[i + 1]! : null; };
    r.push({ destination: w[0], gateway: after("via"), device: after("dev") });
  }
  return r;
}

/** /proc/net/route: little-endian hex addresses (busybox guests without `ip`). */
export function parseProcNetRoute(text: string): Route[] {
  const hex = (h: string) => { const n = parseInt(h, 16); return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join("."); };
  const bits = (h: string) => { let n = parseInt(h, 16) >>> 0, c = 0; while (n) { c += n & 1; n >>>= 1; } return c; };
  return text.split("\n").slice(1).map((l) => l.trim().split(/\s+/)).filter((w) => w.length >= 8).map((w) => {
    const dst = hex(w[1]!), len = bits(w[7]!);
    return { destination: dst === "0.0.0.0" && len === 0 ? "default" : `${dst}/${len}`, gateway: w[2] === "00000000" ? null : hex(w[2]!), device: w[0]! };
  });
}
