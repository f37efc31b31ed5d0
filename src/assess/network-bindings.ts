import { parse as parseYaml } from "yaml";
import type { GuestFacts } from "../adapt/facts.js";
import { nameBoundInterfaces } from "../adapt/plan.js";

/**
 * How a guest's network configuration finds its NIC: by the NIC's name (lost when the name
 * changes with the NIC model or slot) or by its MAC address (lost when the move gives the VM
 * a new MAC). Read from the files the facts hold: ifupdown, systemd-networkd, netplan,
 * NetworkManager keyfiles and ifcfg files.
 */
export interface NetworkBinding {
  file: string;
  by: "name" | "mac";
  /** The interface name it names (by name), or the name it gives (netplan set-name). */
  name: string | null;
  mac: string | null;
  /** The line(s) that bind it, for evidence. */
  line: string;
}

const MAC = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i;

/** `key=value` lines of an INI-style file by section ("" before the first). */
function iniSections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>([["", new Map()]]);
  let cur = out.get("")!;
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (!l || l.startsWith("#") || l.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(l);
    if (s) { cur = out.get(s[1]!) ?? new Map(); out.set(s[1]!, cur); continue; }
    const i = l.indexOf("=");
    if (i > 0) cur.set(l.slice(0, i).trim(), l.slice(i + 1).trim().replace(/^"(.*)"$/, "$1"));
  }
  return out;
}

export function networkBindings(files: GuestFacts["networkFiles"]): NetworkBinding[] {
  const out: NetworkBinding[] = [];
  for (const b of nameBoundInterfaces(files)) {
    const f = files.find((x) => x.path === b.file);
    const line = f?.content.split("\n").find((l) => new RegExp(`(^|[\\s=:])${b.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|:|$)`).test(l))?.trim() ?? b.name;
    out.push({ file: b.file, by: "name", name: b.name, mac: null, line });
  }
  for (const f of files) {
    if (f.path.endsWith(".network")) {
      const m = iniSections(f.content).get("Match");
      const mac = m?.get("MACAddress") ?? m?.get("PermanentMACAddress");
      if (mac) out.push({ file: f.path, by: "mac", name: m?.get("Name") ?? null, mac: mac.toLowerCase(), line: `${m?.has("MACAddress") ? "MACAddress" : "PermanentMACAddress"}=${mac}` });
    } else if (f.path.endsWith(".yaml")) {
      let doc: unknown;
      try { doc = parseYaml(f.content); } catch { continue; }
      const eths = (doc as { network?: { ethernets?: Record<string, { match?: { macaddress?: string; name?: string }; "set-name"?: string }> } } | null)?.network?.ethernets ?? {};
      for (const [id, v] of Object.entries(eths)) {
        const mac = v?.match?.macaddress;
        if (mac) out.push({ file: f.path, by: "mac", name: v["set-name"] ?? v.match?.name ?? id, mac: String(mac).toLowerCase(), line: `${id}: match: macaddress: ${mac}${v["set-name"] ? `, set-name: ${v["set-name"]}` : ""}` });
      }
    } else if (f.path.startsWith("/etc/NetworkManager/system-connections/")) {
      const ini = iniSections(f.content);
      const conn = ini.get("connection");
      const type = conn?.get("type");
      if (type && !/^(ethernet|802-3-ethernet)$/.test(type)) continue;
      const eth = ini.get("ethernet") ?? ini.get("802-3-ethernet");
      const mac = eth?.get("mac-address");
      const ifname = conn?.get("interface-name");
      if (mac && MAC.test(mac)) out.push({ file: f.path, by: "mac", name: ifname ?? null, mac: MAC.exec(mac)![1]!.toLowerCase(), line: `mac-address=${mac}` });
      else if (ifname) out.push({ file: f.path, by: "name", name: ifname, mac: null, line: `interface-name=${ifname}` });
    } else if (/\/ifcfg-[^/]+$/.test(f.path)) {
      const kv = iniSections(f.content).get("")!;
      if (kv.get("TYPE") && kv.get("TYPE") !== "Ethernet") continue;
      const mac = kv.get("HWADDR") ?? kv.get("MACADDR");
      const dev = kv.get("DEVICE") ?? f.path.replace(/^.*ifcfg-/, "");
      if (dev === "lo") continue;
      if (kv.get("HWADDR") && MAC.test(mac!)) out.push({ file: f.path, by: "mac", name: dev, mac: MAC.exec(mac!)![1]!.toLowerCase(), line: `HWADDR=${mac}` });
      else out.push({ file: f.path, by: "name", name: dev, mac: null, line: `DEVICE=${dev}` });
    }
  }
  return withoutRenderings(out);
}

/**
 * One binding, once: netplan renders /etc/netplan into /run/systemd/network (and
 * NetworkManager), so a live guest shows the same MAC match twice. The file the operator
 * edits (/etc) is kept, the renderings under /run named beside it.
 */
function withoutRenderings(bindings: NetworkBinding[]): NetworkBinding[] {
  const rendered = (b: NetworkBinding) => b.file.startsWith("/run/");
  const same = (a: NetworkBinding, z: NetworkBinding) => a.by === z.by && a.mac === z.mac && (a.by === "mac" || a.name === z.name);
  const out: NetworkBinding[] = [];
  for (const b of bindings) {
    if (rendered(b) && bindings.some((o) => !rendered(o) && same(o, b))) continue;
    const renderings = rendered(b) ? [] : bindings.filter((o) => rendered(o) && same(b, o)).map((o) => o.file);
    out.push(renderings.length ? { ...b, line: `${b.line} (rendered as ${renderings.join(", ")})` } : b);
  }
  return out;
}
