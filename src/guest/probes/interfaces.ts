import type { Probe } from "../probe.js";
import { subsections } from "../probe.js";

type NetInterface = { name: string; mac: string | null; driver: string | null; addresses: string[]; state: string | null };

/** 2.3.a and 2.3.b: NICs (name, MAC, kernel driver) and their addresses. */
export const interfacesProbe: Probe = {
  name: "interfaces",
  fields: ["interfaces"],
  script: () => [
    "if ip -j addr show >/dev/null 2>&1; then echo '### ip-json'; ip -j addr show; else echo '### ip-text'; ip addr show; fi",
    "echo '### drivers'",
    "for d in /sys/class/net/*; do",
    "  n=${d##*/}; drv=",
    '  [ -e "$d/device/driver" ] && drv=$(readlink "$d/device/driver") && drv=${drv##*/}',
    "  printf '%s %s\\n' \"$n\" \"$drv\"",
    "done",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    const drivers = parseDrivers(s.get("drivers") ?? "");
    const json = s.get("ip-json");
    const ifs = json !== undefined ? parseIpJson(json) : parseIpText(s.get("ip-text") ?? "");
    if (ifs.length === 0) throw new Error(`no interfaces found: ${out.stderr.trim().slice(0, 300)}`);
    for (const i of ifs) i.driver = drivers.get(i.name) ?? null;
    return { interfaces: ifs };
  },
};

export function parseDrivers(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [name, drv] = line.trim().split(/\s+/);
    if (name && drv) m.set(name, drv);
  }
  return m;
}

/** Privacy addresses rotate on their own: comparing them would report a change every time. */
const isRotating = (flags: Record<string, unknown>) => flags.temporary === true;

export function parseIpJson(json: string): NetInterface[] {
  const links = JSON.parse(json) as Array<Record<string, any>>;
  if (!Array.isArray(links)) throw new Error("ip -j addr printed no array");
  return links.map((l) => ({
    name: String(l.ifname),
    mac: l.link_type === "ether" || (typeof l.address === "string" && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(l.address)) ? String(l.address).toLowerCase() : null,
    driver: null,
    addresses: (Array.isArray(l.addr_info) ? l.addr_info : [])
      .filter((a: Record<string, unknown>) => a.local !== undefined && !isRotating(a))
      .map((a: Record<string, unknown>) => `${a.local}/${a.prefixlen}`),
    state: typeof l.operstate === "string" ? l.operstate : null,
  }));
}

/** Classic `ip addr show` (iproute2 without -j, busybox ip). */
export function parseIpText(text: string): NetInterface[] {
  const r: NetInterface[] = [];
  let cur: NetInterface | null = null;
  for (const line of text.split("\n")) {
    const head = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<[^>]*>(.*)$/.exec(line);
    if (head) {
      cur = { name: head[1]!, mac: null, driver: null, addresses: [], state: /\bstate (\S+)/.exec(head[2]!)?.[1] ?? null };
      r.push(cur);
      continue;
    }
    if (!cur) continue;
    const link = /^\s+link\/(\S+)\s+(\S+)/.exec(line);
    if (link && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(link[2]!)) cur.mac = link[2]!.toLowerCase();
    const addr = /^\s+inet6?\s+(\S+)(.*)$/.exec(line);
    if (addr && !/\btemporary\b/.test(addr[2]!)) cur.addresses.push(addr[1]!.includes("/") ? addr[1]! : `${addr[1]}/${addr[1]!.includes(":") ? 128 : 32}`);
  }
  return r;
}
