import { run, runOk, type ExecResult } from "../util/exec.js";
import { UserError } from "../errors.js";

/**
 * Peers of the hypervisor network tests: network namespaces on this machine joined to the
 * test's bridges by veth pairs. Nothing they do leaves the machine: their only links are
 * veths into bridges that have no uplink.
 */

/** Every namespace and link the network tests create starts with this. */
const NETNS_PREFIX = "tiosa-";
/** Linux limits interface names to 15 bytes (IFNAMSIZ - 1). */
const IFNAME_MAX = 15;

const IP_TIMEOUT_MS = 15_000;

export function checkIfName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.length > IFNAME_MAX) {
    throw new Error(`interface name '${name}' must be at most ${IFNAME_MAX} characters of letters, digits, '-', '_' or '.'`);
  }
  return name;
}

export function checkNsName(name: string): string {
  if (!name.startsWith(NETNS_PREFIX) || !/^[a-z0-9-]{1,64}$/.test(name)) throw new Error(`namespace name '${name}' must start with '${NETNS_PREFIX}' (lower-case letters, digits, '-')`);
  return name;
}

async function ip(args: readonly string[], signal?: AbortSignal): Promise<ExecResult> {
  return runOk("ip", args, { timeoutMs: IP_TIMEOUT_MS, signal });
}

/** `ip netns list`: "name (id: 3)" or just "name" per line. */
export function parseNetnsList(text: string): string[] {
  return text.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter(Boolean);
}

/** `ip -o link show`: "7: name@peer: <FLAGS> ..." per line; the part before '@' is the name. */
export function parseLinkNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+([^:@\s]+)(@[^:\s]*)?:/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

export async function listNamespaces(): Promise<string[]> {
  const r = await run("ip", ["netns", "list"], { timeoutMs: IP_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`ip netns list: ${r.stderr.trim()}`);
  return parseNetnsList(r.stdout);
}

export async function listLinks(): Promise<string[]> {
  const r = await run("ip", ["-o", "link", "show"], { timeoutMs: IP_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`ip link show: ${r.stderr.trim()}`);
  return parseLinkNames(r.stdout);
}

async function linkExists(name: string): Promise<boolean> {
  return (await run("ip", ["link", "show", "dev", name], { timeoutMs: IP_TIMEOUT_MS })).code === 0;
}

/** Whether this kernel lets us make namespaces and veths at all (containers may not). */
export async function netnsSupport(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if ((await run("sh", ["-c", "command -v ip"], { timeoutMs: 5000 })).code !== 0) return { ok: false, reason: "the 'ip' tool (iproute2) is not installed" };
  const probe = `${NETNS_PREFIX}probe-${process.pid}`;
  const r = await run("ip", ["netns", "add", probe], { timeoutMs: IP_TIMEOUT_MS });
  if (r.code !== 0) return { ok: false, reason: `cannot create a network namespace: ${r.stderr.trim()}` };
  await run("ip", ["netns", "del", probe], { timeoutMs: IP_TIMEOUT_MS });
  return { ok: true };
}

/** A Linux bridge with no uplink: only the test's taps and veths join it. */
export async function createBridge(name: string, signal?: AbortSignal): Promise<void> {
  checkIfName(name);
  await ip(["link", "add", "name", name, "type", "bridge", "stp_state", "0", "forward_delay", "0"], signal);
  await ip(["link", "set", "dev", name, "up"], signal);
}

interface PeerSpec {
  /** Namespace to create (must start with tiosa-). */
  ns: string;
  /** Host end of the veth pair. */
  hostIf: string;
  /** End inside the namespace (renamed there, so names may repeat across namespaces). */
  nsIf: string;
  /** Address with prefix inside the namespace, e.g. 10.251.1.2/24. */
  address: string;
  /** Routes inside the namespace: destination CIDR via gateway. */
  routes?: { to: string; via: string }[];
  /** Bridge the host end joins; without it the host end stays a plain routed link. */
  bridge?: string;
  /** Address with prefix on the host end (routed peers). */
  hostAddress?: string;
}

/** Creates a namespace with one veth into it. On failure, removes what it made. */
export async function createPeer(p: PeerSpec, signal?: AbortSignal): Promise<void> {
  checkNsName(p.ns);
  checkIfName(p.hostIf);
  checkIfName(p.nsIf);
  await ip(["netns", "add", p.ns], signal);
  try {
    // Created with a temporary name already inside the namespace, so the peer name never
    // collides with a host interface.
    await ip(["link", "add", "name", p.hostIf, "type", "veth", "peer", "name", p.nsIf, "netns", p.ns], signal);
    const inNs = (args: string[]) => ip(["-n", p.ns, ...args], signal);
    await inNs(["link", "set", "dev", "lo", "up"]);
    await inNs(["addr", "add", p.address, "dev", p.nsIf]);
    await inNs(["link", "set", "dev", p.nsIf, "up"]);
    for (const r of p.routes ?? []) await inNs(["route", "add", r.to, "via", r.via, "dev", p.nsIf]);
    if (p.bridge) await ip(["link", "set", "dev", p.hostIf, "master", p.bridge], signal);
    if (p.hostAddress) await ip(["addr", "add", p.hostAddress, "dev", p.hostIf], signal);
    await ip(["link", "set", "dev", p.hostIf, "up"], signal);
  } catch (e) {
    await deletePeer(p.ns, p.hostIf);
    throw e;
  }
}

/** Removes a namespace (its veth end goes with it, taking the host end along). Never throws. */
export async function deletePeer(ns: string, hostIf?: string): Promise<void> {
  // The host end first: after `ip netns del` the kernel removes the pair only later, so a
  // check right after would still see it.
  if (hostIf) await deleteLink(hostIf);
  await run("ip", ["netns", "del", ns], { timeoutMs: IP_TIMEOUT_MS }).catch(() => undefined);
}

export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name).catch(() => false)) await run("ip", ["link", "del", "dev", name], { timeoutMs: IP_TIMEOUT_MS }).catch(() => undefined);
}

/** Validates a dotted IPv4 address (the tests only ever use their own private ranges). */
export function checkIpv4(addr: string, what = "address"): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new UserError(`${what} '${addr}' is not an IPv4 address`);
  return addr;
}
