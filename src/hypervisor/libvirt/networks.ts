import type { Ipv4Subnet, NicSpec } from "../capabilities.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../errors.js";
import { TIOSA_PREFIX } from "../driver.js";
import { xmlEscape as e } from "./domain-xml.js";
import { parseNames } from "./parse.js";
import type { Virsh } from "./virsh.js";

/**
 * The virtual networks and firewall filters of the Table II 1.5 tests, as libvirt objects
 * named `tiosa-<runId>-<role>`. Networks are transient (net-create): destroying one removes
 * it, and a libvirtd restart cannot resurrect a leftover. nwfilters are always persistent
 * in libvirt, so they are undefined explicitly.
 */

export const DNSMASQ_XMLNS = "http://libvirt.org/schemas/network/dnsmasq/1.0";

/**
 * Bridge mode: libvirt only plugs the VM's tap into an existing bridge (Linux bridge or
 * Open vSwitch); no address, no NAT, no DHCP from libvirt: the "flat" provider network.
 */
export function buildBridgeNetworkXml(name: string, bridge: string, opts: { openvswitch?: boolean } = {}): string {
  return `<network>
  <name>${e(name)}</name>
  <forward mode='bridge'/>
  <bridge name='${e(bridge)}'/>${opts.openvswitch ? "\n  <virtualport type='openvswitch'/>" : ""}
</network>
`;
}

/**
 * Routed mode: libvirt's bridge gets the host's address on the subnet and the host forwards
 * (no NAT) between it and its other links. `routes` are pushed to guests by DHCP option 121
 * (classless static routes, as OpenStack subnets' host_routes are); the router option is
 * suppressed so a guest never sends anything but those routes' traffic through this host.
 */
export function buildRoutedNetworkXml(name: string, bridge: string, subnet: Ipv4Subnet, routes: { to: string; via: string }[] = []): string {
  const dhcp = subnet.dhcp ? `\n    <dhcp>\n      <range start='${e(subnet.dhcp.start)}' end='${e(subnet.dhcp.end)}'/>\n    </dhcp>` : "";
  const options = [
    "dhcp-option=3",
    ...(routes.length ? [`dhcp-option=option:classless-static-route,${routes.map((r) => `${r.to},${r.via}`).join(",")}`] : []),
  ];
  return `<network xmlns:dnsmasq='${DNSMASQ_XMLNS}'>
  <name>${e(name)}</name>
  <forward mode='route'/>
  <bridge name='${e(bridge)}' stp='off' delay='0'/>
  <ip address='${e(subnet.address)}' netmask='${e(subnet.netmask)}'>${dhcp}
  </ip>
  <dnsmasq:options>
${options.map((o) => `    <dnsmasq:option value='${e(o)}'/>`).join("\n")}
  </dnsmasq:options>
</network>
`;
}

/**
 * Isolated mode (no <forward>): guests and the host's address on the bridge only; nothing
 * is forwarded anywhere.
 */
export function buildIsolatedNetworkXml(name: string, bridge: string, subnet: Ipv4Subnet): string {
  const dhcp = subnet.dhcp ? `\n    <dhcp>\n      <range start='${e(subnet.dhcp.start)}' end='${e(subnet.dhcp.end)}'/>\n    </dhcp>` : "";
  return `<network>
  <name>${e(name)}</name>
  <bridge name='${e(bridge)}' stp='off' delay='0'/>
  <ip address='${e(subnet.address)}' netmask='${e(subnet.netmask)}'>${dhcp}
  </ip>
</network>
`;
}

/**
 * A hypervisor firewall filter: libvirt's `clean-traffic` (no MAC/IP/ARP spoofing, no other
 * L2 protocols) plus a drop of all ICMP both ways, at L2 (ebtables, so it holds whatever
 * br_netfilter does) and at L3 (iptables). Everything else clean-traffic allows goes through.
 */
export function buildDropIcmpFilterXml(name: string): string {
  return `<filter name='${e(name)}' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='drop' direction='inout' priority='-700'>
    <ip protocol='icmp'/>
  </rule>
  <rule action='drop' direction='inout' priority='-700'>
    <icmp/>
  </rule>
</filter>
`;
}

/** An <interface> for attach-device/update-device/detach-device (matched by MAC). */
export function buildInterfaceXml(n: NicSpec): string {
  const vlan = n.vlan !== undefined ? `\n  <vlan>\n    <tag id='${n.vlan}'/>\n  </vlan>` : "";
  const target = n.targetDev ? `\n  <target dev='${e(n.targetDev)}'/>` : "";
  const filter = n.filter
    ? `\n  <filterref filter='${e(n.filter.name)}'>${Object.entries(n.filter.params).map(([k, v]) => `\n    <parameter name='${e(k)}' value='${e(v)}'/>`).join("")}\n  </filterref>`
    : "";
  return `<interface type='network'>
  <mac address='${e(n.mac)}'/>
  <source network='${e(n.network)}'/>
  <model type='${e(n.model)}'/>${vlan}${target}${filter}
</interface>
`;
}

/** A locally administered unicast MAC under QEMU's 52:54:00 prefix, from the run id and a NIC index. */
export function testMac(runId: string, index: number): string {
  const h = runId.padEnd(4, "0");
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${(0xa0 + index).toString(16).padStart(2, "0")}`;
}

/** Creates and tears down the libvirt objects of one test run; every name it makes is kept. */
export class TestNetworks {
  private readonly networks: string[] = [];
  private readonly filters: string[] = [];
  private dir: string | undefined;

  constructor(readonly virsh: Virsh, readonly runId: string) {}

  name(role: string): string {
    return `${TIOSA_PREFIX}${this.runId}-${role}`;
  }

  private async file(base: string, text: string): Promise<string> {
    this.dir ??= await mkdtemp(join(tmpdir(), "tiosa-netxml-"));
    const p = join(this.dir, base);
    await writeFile(p, text);
    return p;
  }

  /** net-create of a transient network from XML; the name is remembered for teardown. */
  async createNetwork(name: string, xml: string, signal?: AbortSignal): Promise<void> {
    const f = await this.file(`${name}.xml`, xml);
    this.networks.push(name);
    await this.virsh.ok(["net-create", f], { signal });
  }

  async defineFilter(name: string, xml: string, signal?: AbortSignal): Promise<void> {
    const f = await this.file(`${name}.filter.xml`, xml);
    this.filters.push(name);
    await this.virsh.ok(["nwfilter-define", f], { signal });
  }

  /** Writes an XML snippet to a temp file for attach/update/detach-device. */
  async xmlFile(base: string, xml: string): Promise<string> {
    return this.file(base, xml);
  }

  /** Removes what this instance created. Never throws; returns what could not be removed. */
  async teardown(): Promise<{ object: string; error: string }[]> {
    const failed: { object: string; error: string }[] = [];
    for (const n of this.networks.splice(0).reverse()) {
      const r = await this.virsh.raw(["net-destroy", n]).catch((x: unknown) => ({ code: 1, stderr: errorMessage(x) }));
      if (r.code !== 0 && !/not found|no network/i.test(r.stderr)) failed.push({ object: `network ${n}`, error: r.stderr.trim() });
      await this.virsh.raw(["net-undefine", n]).catch(() => undefined);
    }
    for (const f of this.filters.splice(0).reverse()) {
      const r = await this.virsh.raw(["nwfilter-undefine", f]).catch((x: unknown) => ({ code: 1, stderr: errorMessage(x) }));
      if (r.code !== 0 && !/not found|no nwfilter/i.test(r.stderr)) failed.push({ object: `nwfilter ${f}`, error: r.stderr.trim() });
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    return failed;
  }
}

/** Names of libvirt networks and nwfilters starting with tiosa- (optionally of one run). */
export async function listTiosaNetworkObjects(virsh: Virsh, runId?: string): Promise<{ networks: string[]; filters: string[] }> {
  const mine = (n: string) => n.startsWith(TIOSA_PREFIX) && (!runId || n.startsWith(`${TIOSA_PREFIX}${runId}-`) || n === `${TIOSA_PREFIX}${runId}`);
  const networks = parseNames(await virsh.ok(["net-list", "--all", "--name"])).filter(mine);
  const filters = parseNwfilterList(await virsh.ok(["nwfilter-list"])).filter(mine);
  return { networks, filters };
}

/** `virsh -q nwfilter-list`: "UUID  name" rows. */
export function parseNwfilterList(text: string): string[] {
  return text.split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 2 && /^[0-9a-f-]{36}$/i.test(p[0]!)).map((p) => p[1]!);
}

/**
 * Removes leftover tiosa networks and filters (of one run, or of all runs): for runs that
 * died before their finally blocks ran. Filters still referenced by a running domain cannot
 * be undefined; those are reported.
 */
export async function cleanupNetworkObjects(virsh: Virsh, runId?: string): Promise<{ removed: string[]; failed: { object: string; error: string }[] }> {
  const removed: string[] = [], failed: { object: string; error: string }[] = [];
  let found: { networks: string[]; filters: string[] };
  try {
    found = await listTiosaNetworkObjects(virsh, runId);
  } catch (x) {
    return { removed, failed: [{ object: `networks of ${virsh.uri}`, error: errorMessage(x) }] };
  }
  for (const n of found.networks) {
    await virsh.raw(["net-destroy", n]);
    await virsh.raw(["net-undefine", n]);
    removed.push(`network ${n}`);
  }
  for (const f of found.filters) {
    const r = await virsh.raw(["nwfilter-undefine", f]);
    if (r.code === 0) removed.push(`nwfilter ${f}`);
    else failed.push({ object: `nwfilter ${f}`, error: r.stderr.trim() });
  }
  return { removed, failed };
}
