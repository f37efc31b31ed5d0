import type { GuestState } from "../snapshot/schema.js";
import { routesProbe } from "../guest/probes/routes.js";
import { diffGrouped, listSome } from "../evaluate/rule.js";
import type { OsTest } from "./os-test.js";

type RouteT = NonNullable<GuestState["routes"]>[number];
const showRoute = (r: RouteT) => `${r.destination}${r.gateway ? ` via ${r.gateway}` : ""}${r.device ? ` dev ${r.device}` : ""}`;

function ipv4ToInt(a: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  return o.some((x) => x > 255) ? null : ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

/** The IPv4 network "a.b.c.d/len" of an address with prefix, as a string; null for anything else. */
export function ipv4Network(cidr: string): string | null {
  const [addr, len] = cidr.split("/");
  const ip = ipv4ToInt(addr ?? ""), bits = Number(len);
  if (ip === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const n = (ip & mask) >>> 0;
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/${bits}`;
}

/**
 * What a route is for, where that does not depend on the addresses the guest was given: the
 * on-link route of the guest's own subnet (the kernel makes it from the address) and the host
 * route to the default gateway (DHCP clients add it) are keyed by that role, so a move that
 * only changed the guest's subnet shows them *changed* (the paper: route changes are
 * warnings), not *missing*. Every other route is keyed by its destination.
 */
export function routeRoles(snapshot: { guest?: GuestState | null }): Map<string, string> {
  const routes = snapshot.guest?.routes ?? [];
  const own = (snapshot.guest?.interfaces ?? []).flatMap((i) => i.addresses).map(ipv4Network).filter((x): x is string => x !== null);
  const gateways = new Set(routes.filter((r) => r.destination === "default" && r.gateway).map((r) => r.gateway!));
  const roles = new Map<string, string>();
  for (const r of routes) {
    const i = r.gateway ? -1 : own.indexOf(r.destination);
    if (i >= 0) roles.set(showRoute(r), `on-link route of the guest's address #${i + 1}`);
    else if (!r.gateway && gateways.has(r.destination.replace(/\/32$/, ""))) roles.set(showRoute(r), "host route to the default gateway");
  }
  return roles;
}

/** 2.3.d Routing: no change / route is changed / route is missing (a route is identified by its destination, or its role: routeRoles). */
export const routing: OsTest<RouteT[]> = {
  definition: { id: "2.3.d", name: "Routing", group: "2.3 Connectivity", level: "os", rule: "routes", success: "no change", warning: "route is changed", failure: "route is missing" },
  probe: routesProbe,
  field: "routes",
  value: (g) => g.routes,
  show: (l) => (l.length ? l.map(showRoute).join(", ") : "(none)"),
  decide(s, t, input) {
    const roles = new Map([...routeRoles(input.source), ...routeRoles(input.target)]);
    const key = (x: string) => roles.get(x) ?? x.split(" ")[0]!;
    const { changed, missing, extra } = diffGrouped(s.map(showRoute), t.map(showRoute), key);
    if (missing.length) return { verdict: "FAILURE", reason: `route missing: ${listSome(missing)}` };
    if (changed.length || extra.length) {
      const follows = (a: string) => (roles.has(a) ? ` (${roles.get(a)}, follows the address)` : "");
      return { verdict: "WARNING", reason: `route changed: ${listSome([...changed.map(([a, b]) => `${a} -> ${b}${follows(a)}`), ...extra.map((x) => `new ${x}`)])}` };
    }
    return { verdict: "SUCCESS", reason: "no change" };
  },
  observed: (g) => (g.routes ? g.routes.map((r) => `${r.destination}${r.gateway ? ` via ${r.gateway}` : ""}${r.device ? ` dev ${r.device}` : ""}`).join("; ") : null),
};
