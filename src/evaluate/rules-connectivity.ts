import { compareGuestValues, listSome, type Rule, type RuleInput, type RuleOutcome } from "./rule.js";
import type { GuestState } from "../snapshot/schema.js";

type Nic = NonNullable<GuestState["interfaces"]>[number];
const showNics = (l: Nic[]) => l.length === 0 ? "(none)" : l.map((n) => `${n.name} ${n.mac ?? "?"} ${n.driver ?? "?"}`).join(", ");

/**
 * Pairs each source NIC with a target NIC: by MAC first (the VM's identity survives a
 * conversion more often than its name), then by name, then by order.
 */
export function pairInterfaces(s: Nic[], t: Nic[]): { pairs: [Nic, Nic][]; missing: Nic[]; extra: Nic[] } {
  const left = [...t];
  const take = (pred: (n: Nic) => boolean) => {
    const i = left.findIndex(pred);
    return i < 0 ? undefined : left.splice(i, 1)[0];
  };
  const pairs: [Nic, Nic][] = [];
  const unpaired: Nic[] = [];
  for (const n of s) {
    const m = (n.mac ? take((x) => x.mac?.toLowerCase() === n.mac!.toLowerCase()) : undefined) ?? take((x) => x.name === n.name);
    if (m) pairs.push([n, m]); else unpaired.push(n);
  }
  const missing: Nic[] = [];
  for (const n of unpaired) {
    const m = left.shift();
    if (m) pairs.push([n, m]); else missing.push(n);
  }
  return { pairs, missing, extra: left };
}

/** 2.3.a Network interfaces: no change / changed / missing. */
export const interfacesRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.interfaces, showNics, (s, t) => {
    const { pairs, missing, extra } = pairInterfaces(s, t);
    if (missing.length) return { verdict: "FAILURE", reason: `missing on the target: ${listSome(missing.map((n) => `${n.name} (${n.mac ?? "no MAC"})`))}` };
    const changes: string[] = [];
    for (const [a, b] of pairs) {
      const d: string[] = [];
      if (a.name !== b.name) d.push(`renamed ${a.name} -> ${b.name}`);
      if ((a.mac ?? "").toLowerCase() !== (b.mac ?? "").toLowerCase()) d.push(`MAC ${a.mac} -> ${b.mac}`);
      if (a.driver !== b.driver) d.push(`driver ${a.driver} -> ${b.driver}`);
      if (d.length) changes.push(`${a.name}: ${d.join(", ")}`);
    }
    if (extra.length) changes.push(`new: ${extra.map((n) => n.name).join(", ")}`);
    return changes.length ? { verdict: "WARNING", reason: `changed: ${listSome(changes)}` } : { verdict: "SUCCESS", reason: "no change" };
  });

function isLinkLocal(cidr: string): boolean {
  const a = cidr.split("/")[0]!.toLowerCase();
  return /^fe[89ab][0-9a-f]?:/.test(a) || a.startsWith("169.254.");
}

/** 2.3.b IP Address: no change / changed / missing (compared across all interfaces: renames are 2.3.a's business). */
export const addressesRule: Rule = (input) => {
  const ignore = input.profile.thresholds.addresses.ignoreLinkLocal;
  const addrs = (l: Nic[]) => [...new Set(l.flatMap((n) => n.addresses).filter((a) => !(ignore && isLinkLocal(a))))].sort();
  return compareGuestValues(input, (s) => (s.guest?.interfaces ? addrs(s.guest.interfaces) : null),
    (l) => (l.length ? l.join(", ") : "(none)"),
    (s, t) => {
      const family = (a: string) => (a.includes(":") ? "IPv6" : "IPv4");
      const gone = s.filter((a) => !t.includes(a));
      const added = t.filter((a) => !s.includes(a));
      if (gone.length === 0 && added.length === 0) return { verdict: "SUCCESS", reason: "no change" };
      const missingFamilies = [...new Set(gone.map(family))].filter((f) => !t.some((a) => family(a) === f));
      if (missingFamilies.length) return { verdict: "FAILURE", reason: `missing: no ${missingFamilies.join("/")} address on the target (had ${listSome(gone)})` };
      return { verdict: "WARNING", reason: `changed: ${[gone.length ? `gone ${listSome(gone)}` : "", added.length ? `new ${listSome(added)}` : ""].filter(Boolean).join(", ")}` };
    });
};

/** A normalised rule is "table chain: expression"; rules are compared within their chain. */
function chainOf(rule: string): string {
  const i = rule.indexOf(":");
  return i > 0 ? rule.slice(0, i) : "";
}

/**
 * Compares two multisets of normalised strings grouped by a key: within a group, a
 * source item without an equal target item pairs with a leftover target item
 * ("changed"); what is left unpaired on the source side is "missing".
 */
export function diffGrouped(s: string[], t: string[], key: (x: string) => string) {
  const remaining = new Map<string, number>();
  for (const x of t) remaining.set(x, (remaining.get(x) ?? 0) + 1);
  const gone: string[] = [];
  for (const x of s) {
    const n = remaining.get(x) ?? 0;
    if (n > 0) remaining.set(x, n - 1); else gone.push(x);
  }
  const added = [...remaining].flatMap(([x, n]) => Array<string>(n).fill(x));
  const changed: [string, string][] = [], missing: string[] = [];
  const pool = [...added];
  for (const g of gone) {
    const i = pool.findIndex((a) => key(a) === key(g));
    if (i >= 0) changed.push([g, pool.splice(i, 1)[0]!]); else missing.push(g);
  }
  return { changed, missing, extra: pool };
}

/** 2.3.c Firewall Rules: no change / rule is changed / rule is missing. */
export const firewallRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.firewall, (f) => `${f.rules.length} rule${f.rules.length === 1 ? "" : "s"}${f.backend ? ` (${f.backend})` : ""}`, (s, t) => {
    const { changed, missing, extra } = diffGrouped(s.rules, t.rules, chainOf);
    if (missing.length) return { verdict: "FAILURE", reason: `rule missing: ${listSome(missing, 2)}` };
    if (changed.length || extra.length) {
      return { verdict: "WARNING", reason: `rule changed: ${listSome([...changed.map(([a, b]) => `${a} -> ${b}`), ...extra.map((x) => `new ${x}`)], 2)}` };
    }
    return { verdict: "SUCCESS", reason: "no change" };
  });

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
export const routesRule: Rule = (input) => {
  const roles = new Map([...routeRoles(input.source), ...routeRoles(input.target)]);
  const key = (x: string) => roles.get(x) ?? x.split(" ")[0]!;
  return compareGuestValues(input, (s) => s.guest?.routes, (l) => (l.length ? l.map(showRoute).join(", ") : "(none)"), (s, t) => {
    const { changed, missing, extra } = diffGrouped(s.map(showRoute), t.map(showRoute), key);
    if (missing.length) return { verdict: "FAILURE", reason: `route missing: ${listSome(missing)}` };
    if (changed.length || extra.length) {
      const follows = (a: string) => (roles.has(a) ? ` (${roles.get(a)}, follows the address)` : "");
      return { verdict: "WARNING", reason: `route changed: ${listSome([...changed.map(([a, b]) => `${a} -> ${b}${follows(a)}`), ...extra.map((x) => `new ${x}`)])}` };
    }
    return { verdict: "SUCCESS", reason: "no change" };
  });
};

type IcmpT = NonNullable<NonNullable<GuestState["icmp"]>["private"]>;

/** 2.3.e / 2.3.f ICMP: judged on the target's measurement; the source's is shown for reference. */
export const icmpRule: Rule = (input) => {
  const which = input.def.id === "2.3.e" ? "private" : "public";
  const th = input.profile.thresholds.icmp;
  const show = (p: IcmpT) => `${p.target}: ${p.received}/${p.sent} replies${p.maxRttMs != null ? `, max ${p.maxRttMs} ms` : ""}`;
  return compareGuestValues(input, (s) => s.guest?.icmp?.[which], show, (_s, t) => {
    const loss = t.sent === 0 ? 100 : ((t.sent - t.received) / t.sent) * 100;
    const rtt = th.rtt === "avg" ? t.avgRttMs ?? t.maxRttMs : t.maxRttMs;
    const lossText = `${Number.isInteger(loss) ? loss : loss.toFixed(1)}% loss`;
    if (t.sent !== th.packets) return { verdict: "FAILURE", reason: `${t.sent} packets sent, the rule needs ${th.packets}` };
    if (rtt == null || t.received === 0) return { verdict: "FAILURE", reason: `no reply from ${t.target} (${lossText})` };
    if (loss <= th.success.maxLossPercent && rtt < th.success.rttBelowMs) return { verdict: "SUCCESS", reason: `${lossText}, ${th.rtt} ${rtt} ms < ${th.success.rttBelowMs} ms` };
    if (loss < th.warning.lossBelowPercent && rtt < th.warning.rttBelowMs) return { verdict: "WARNING", reason: `${lossText}, ${th.rtt} ${rtt} ms (< ${th.warning.lossBelowPercent}% loss, < ${th.warning.rttBelowMs} ms)` };
    return { verdict: "FAILURE", reason: `${lossText}, ${th.rtt} ${rtt} ms: higher loss or latency than ${th.warning.lossBelowPercent}% / ${th.warning.rttBelowMs} ms` };
  });
};

type RdnsT = NonNullable<NonNullable<GuestState["reverseDns"]>["private"]>;
const showRdns = (r: RdnsT) => `${r.address} -> ${r.name ?? "(no name)"}`;

/** 2.3.g DNS reverse lookup private IP: successful / - / not successful. */
export const rdnsPrivateRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.reverseDns?.private, showRdns, (_s, t) => {
    if (!t.name) return { verdict: "FAILURE", reason: `reverse lookup of ${t.address} failed` };
    if (t.expected && t.name !== t.expected) return { verdict: "FAILURE", reason: `${t.address} resolved to ${t.name}, expected ${t.expected}` };
    return { verdict: "SUCCESS", reason: `resolved to ${t.name}` };
  });

/** 2.3.h DNS reverse lookup public IP: the expected name (the paper: 194.25.2.129 -> dns.isp.t-ipnet.de) / - / otherwise. */
export const rdnsPublicRule: Rule = (input) =>
  compareGuestValues(input, (s) => s.guest?.reverseDns?.public, showRdns, (s, t) => {
    const expected = t.expected ?? s.expected ?? s.name;
    if (!t.name) return { verdict: "FAILURE", reason: `reverse lookup of ${t.address} failed` };
    if (expected && t.name !== expected) return { verdict: "FAILURE", reason: `${t.address} resolved to ${t.name}, expected ${expected}` };
    return { verdict: "SUCCESS", reason: `${t.address} -> ${t.name}${expected ? " as expected" : ""}` };
  });

type Shell = NonNullable<GuestState["remoteShell"]>;

function unchanged(input: RuleInput, show: (r: Shell) => string, same: (a: Shell, b: Shell) => boolean): RuleOutcome {
  return compareGuestValues(input, (s) => s.guest?.remoteShell, show, (s, t) =>
    same(s, t) ? { verdict: "SUCCESS", reason: "no change" } : { verdict: "FAILURE", reason: `changed: ${show(s)} -> ${show(t)}` });
}

/** 2.3.i Remote Shell Process running and 2.3.j Remote Shell Port available: no change / - / changed. */
export const remoteShellRule: Rule = (input) =>
  input.def.id === "2.3.i"
    ? unchanged(input, (r) => `${r.process} ${r.running ? "running" : "not running"}`, (a, b) => a.process === b.process && a.running === b.running)
    : unchanged(input, (r) => `port ${r.port} ${r.listening ? "listening" : "closed"}`, (a, b) => a.port === b.port && a.listening === b.listening);
