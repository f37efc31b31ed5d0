/**
 * Parsers of virsh's human output (the commands that have no XML form). Pure, so the unit
 * tests feed them output captured from virsh 9.0.
 */

/** `virsh version`: "Running hypervisor: QEMU 7.2.22". */
export function parseVersion(text: string): { library: string | null; hypervisorType: string | null; hypervisorVersion: string | null } {
  const lib = /Using library: libvirt (\S+)/.exec(text)?.[1] ?? null;
  const hv = /Running hypervisor: (\S+) (\S+)/.exec(text);
  return { library: lib, hypervisorType: hv?.[1] ?? null, hypervisorVersion: hv?.[2] ?? null };
}

/** "Key:   value" lines (nodeinfo, domblkinfo, dominfo) into a map. */
export function parseKeyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}

/** `virsh domblkinfo DOM TARGET --human` is not used: raw bytes are "Capacity: 2147483648". */
export function parseBlkInfo(text: string): { capacityBytes: number | null; allocationBytes: number | null; physicalBytes: number | null } {
  const kv = parseKeyValues(text);
  const num = (k: string) => (kv.has(k) && /^\d+$/.test(kv.get(k)!) ? Number(kv.get(k)) : null);
  return { capacityBytes: num("Capacity"), allocationBytes: num("Allocation"), physicalBytes: num("Physical") };
}

/** `virsh domblkstat DOM TARGET`: "vda rd_bytes 123" lines (the target name first, quiet mode). */
export function parseStatLines(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const value = parts[parts.length - 1]!, key = parts[parts.length - 2]!;
    if (/^-?\d+$/.test(value)) m.set(key, Number(value));
  }
  return m;
}

/** `virsh domifaddr DOM [--source S]` table rows. */
export function parseDomIfAddr(text: string): { name: string; mac: string; protocol: string; address: string }[] {
  const rows = [];
  for (const line of text.split("\n")) {
    const p = line.trim().split(/\s+/);
    // vnet0      52:54:00:12:34:56    ipv4         192.168.122.5/24
    if (p.length >= 4 && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(p[1]!) && /^ipv[46]$/.test(p[2]!)) {
      rows.push({ name: p[0]!, mac: p[1]!.toLowerCase(), protocol: p[2]!, address: p[3]! });
    }
  }
  return rows;
}

/** `virsh net-dhcp-leases NET` rows: expiry date, time, MAC, protocol, address/prefix, hostname, client id. */
export function parseDhcpLeases(text: string): { mac: string; protocol: string; address: string; hostname: string | null }[] {
  const rows = [];
  for (const line of text.split("\n")) {
    const p = line.trim().split(/\s+/);
    const i = p.findIndex((x) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(x));
    if (i < 0 || p.length < i + 3) continue;
    rows.push({ mac: p[i]!.toLowerCase(), protocol: p[i + 1]!, address: p[i + 2]!, hostname: p[i + 3] && p[i + 3] !== "-" ? p[i + 3]! : null });
  }
  return rows;
}

/** `virsh domstate DOM`: first line, "running", "shut off", "paused"... */
export function parseDomState(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}

/** `virsh list --all --name` etc.: one name per line. */
export function parseNames(text: string): string[] {
  return text.split("\n").map((s) => s.trim()).filter(Boolean);
}

/**
 * `virsh domstats --vcpu --block --interface DOM`: "  vcpu.0.time=123" lines. vCPU time (ns)
 * summed over vCPUs, and disk requests plus network packets summed over devices: enough to
 * tell a busy guest that does nothing outward (a stalled kernel) from one at work.
 */
export function parseDomStatsActivity(text: string): { cpuTimeMs: number; ioOps: number } | null {
  let cpuNs = 0, io = 0, seen = false;
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z]+)\.(\d+)\.([a-z_.]+)=(\d+)\s*$/.exec(line);
    if (!m) continue;
    const [, group, , field, value] = m;
    if (group === "vcpu" && field === "time") { cpuNs += Number(value); seen = true; }
    else if (group === "block" && (field === "rd.reqs" || field === "wr.reqs")) io += Number(value);
    else if (group === "net" && (field === "rx.pkts" || field === "tx.pkts")) io += Number(value);
  }
  return seen ? { cpuTimeMs: cpuNs / 1e6, ioOps: io } : null;
}
