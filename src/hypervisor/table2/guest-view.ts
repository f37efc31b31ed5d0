import { timedAs } from "../../util/time-ledger.js";
import { errorMessage } from "../../errors.js";
import { checkIpv4 } from "../../netns/netns.js";
import type { QgaTransport } from "../../guest/transports/qga.js";
import type { GuestTransport } from "../../guest/transport.js";
import type { HypervisorDriver } from "../driver.js";

/**
 * What the guest itself sees, for the 1.3 and 1.5 tests: scripts run inside the guest over
 * the test's guest transport (SSH on the VM's first NIC, or the guest agent), so the test
 * networks themselves need no route from the host. Every address put into a guest script
 * is checked to be a dotted IPv4 address first.
 */

export interface GuestNic {
  name: string;
  mac: string;
  ipv4: { address: string; prefix: number }[];
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined>, signal?: AbortSignal, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
    try {
      const v = await probe();
      if (v !== null && v !== undefined) return v;
    } catch (e) {
      last = errorMessage(e);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${last ? ` (last error: ${last})` : ""}`);
    // Polling for the guest or hypervisor to change: their time, not tiosa's.
    await timedAs("wait", what, () => new Promise((r) => setTimeout(r, intervalMs)));
  }
}

/** The guest agent of a running VM, through the hypervisor (so remote URIs work too). */
export async function openAgent(driver: HypervisorDriver, vm: string, timeoutMs = 60_000, signal?: AbortSignal): Promise<QgaTransport> {
  const channel = driver.capabilities.guestAgent;
  if (!channel) throw new Error(`the ${driver.uri} driver has no guest agent channel`);
  await waitFor(`guest agent of ${vm}`, timeoutMs, async () => ((await driver.agentPing(vm, signal)) ? true : null), signal, 2000);
  return channel.open(vm, 20_000);
}

/** `ip -j addr` output reduced to names, MACs and IPv4 addresses. */
export function parseIpJsonAddr(json: string): GuestNic[] {
  const data = JSON.parse(json) as { ifname: string; address?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return data.map((i) => ({
    name: i.ifname,
    mac: (i.address ?? "").toLowerCase(),
    ipv4: (i.addr_info ?? []).filter((a) => a.family === "inet").map((a) => ({ address: a.local, prefix: a.prefixlen })),
  }));
}

/** The guest's NICs as the guest sees them (`ip -j addr`, iproute2 in the guest). */
export async function guestNics(guest: GuestTransport, signal?: AbortSignal): Promise<GuestNic[]> {
  const r = await guest.exec("ip -j addr show", { timeoutMs: 15_000, signal });
  if (r.code !== 0) throw new Error(`ip -j addr in the guest: exit ${r.code}: ${r.stderr.trim()}`);
  return parseIpJsonAddr(r.stdout);
}

/** Waits until the guest NIC with `mac` has an IPv4 address starting with `prefix` ("10.251.1."). */
export async function waitForNicAddress(guest: GuestTransport, mac: string, prefix: string, timeoutMs: number, signal?: AbortSignal): Promise<{ nic: GuestNic; address: string; waitedMs: number }> {
  const t0 = Date.now();
  return waitFor(`guest NIC ${mac} address in ${prefix}0/24`, timeoutMs, async () => {
    const nic = (await guestNics(guest, signal)).find((n) => n.mac === mac.toLowerCase());
    const a = nic?.ipv4.find((x) => x.address.startsWith(prefix));
    return nic && a ? { nic, address: `${a.address}/${a.prefix}`, waitedMs: Date.now() - t0 } : null;
  }, signal, 2000);
}

export interface PingResult {
  sent: number;
  received: number;
  /** The summary lines ping printed (statistics, rtt, or the error). */
  summary: string;
  output: string;
}

export function parsePing(output: string): { sent: number; received: number; summary: string } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  const stats = lines.filter((l) => /packets transmitted|rtt |Time to live exceeded|Unreachable|unreachable/.test(l));
  return { sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, summary: [...new Set(stats)].slice(0, 4).join("; ") || lines.slice(-2).join("; ") };
}

/** Pings from inside the guest. `ttl` limits hops (1 = only the first router answers). */
export async function guestPing(guest: GuestTransport, address: string, opts: { count?: number; ttl?: number; signal?: AbortSignal } = {}): Promise<PingResult> {
  checkIpv4(address);
  const count = opts.count ?? 3;
  const ttl = opts.ttl ? ` -t ${Math.trunc(opts.ttl)}` : "";
  const r = await guest.exec(`ping -n -c ${count} -i 0.5 -W 2${ttl} ${address} 2>&1; true`, { timeoutMs: 30_000, signal: opts.signal });
  return { ...parsePing(r.stdout), output: r.stdout };
}

/**
 * Opens a TCP connection from inside the guest (bash's /dev/tcp: no netcat needed) and
 * returns the line the peer wrote, or null with the guest's error.
 */
export async function guestTcpLine(guest: GuestTransport, address: string, port: number, signal?: AbortSignal): Promise<{ line: string | null; error: string }> {
  checkIpv4(address);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  const script = `timeout 8 bash -c 'exec 3<>/dev/tcp/${address}/${port} && head -n 1 <&3' 2>&1`;
  const r = await guest.exec(script, { timeoutMs: 20_000, signal });
  const line = r.stdout.split("\n").find((l) => l.startsWith("tiosa-peer ")) ?? null;
  return { line, error: line ? "" : (r.stdout.trim() || r.stderr.trim() || `exit ${r.code}`).split("\n").slice(-2).join(" ") };
}

/** The guest's routing decision for `address` (`ip route get`), one line. */
export async function guestRouteGet(guest: GuestTransport, address: string, signal?: AbortSignal): Promise<string> {
  checkIpv4(address);
  const r = await guest.exec(`ip route get ${address} 2>&1 | head -n 1`, { timeoutMs: 15_000, signal });
  return r.stdout.trim().replace(/\s+/g, " ");
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)} s` : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}
