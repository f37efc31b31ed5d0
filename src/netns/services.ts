import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { BackgroundProcess } from "./background.js";
import { checkIfName, checkIpv4, checkNsName } from "./netns.js";
import { RESPONDER_READY } from "./tcp-responder.js";

const RESPONDER_SCRIPT = fileURLToPath(new URL("./tcp-responder.js", import.meta.url));

/** A TCP responder bound to `address:port` inside namespace `ns`, answering with its name. */
export function startTcpResponder(ns: string, address: string, port: number, name: string): Promise<BackgroundProcess> {
  checkNsName(ns);
  checkIpv4(address);
  if (!/^[a-z0-9-]{1,40}$/.test(name)) throw new Error(`responder name '${name}' must be lower-case letters, digits, '-'`);
  return BackgroundProcess.start(`TCP responder ${name} in ${ns}`, "ip", ["netns", "exec", ns, process.execPath, RESPONDER_SCRIPT, address, String(port), name], new RegExp(RESPONDER_READY));
}

interface DhcpServerSpec {
  ns: string;
  iface: string;
  /** First and last address handed out, and the netmask. */
  rangeStart: string;
  rangeEnd: string;
  netmask: string;
  /** Where dnsmasq keeps its leases and pid (a tiosa- temp dir of the test). */
  stateDir: string;
}

/**
 * dnsmasq as the segment's DHCP server inside the peer namespace (as Neutron runs one per
 * network in a qdhcp- namespace). It hands out addresses only: no DNS (port 0), no router
 * and no DNS server options, so the guest's default route stays on its first NIC.
 */
export function startDhcpServer(s: DhcpServerSpec): Promise<BackgroundProcess> {
  checkNsName(s.ns);
  checkIfName(s.iface);
  for (const a of [s.rangeStart, s.rangeEnd, s.netmask]) checkIpv4(a);
  return BackgroundProcess.start(`DHCP server in ${s.ns}`, "ip", [
    "netns", "exec", s.ns, "dnsmasq",
    "--keep-in-foreground", "--log-facility=-", "--log-dhcp", "--conf-file=/dev/null",
    "--user=root", "--group=root", "--port=0", "--no-resolv", "--no-hosts",
    "--bind-interfaces", `--interface=${s.iface}`, "--except-interface=lo",
    `--dhcp-range=${s.rangeStart},${s.rangeEnd},${s.netmask},1h`,
    "--dhcp-option=3", "--dhcp-option=6", "--dhcp-authoritative",
    `--dhcp-leasefile=${join(s.stateDir, `${s.ns}.leases`)}`,
    `--pid-file=${join(s.stateDir, `${s.ns}.pid`)}`,
  ], /DHCP, IP range/);
}
