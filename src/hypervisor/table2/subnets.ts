import { run } from "../../util/exec.js";

/**
 * The /24s the 1.3/1.5 tests put on the host itself (a libvirt bridge address, a host veth).
 * Flat and VLAN subnets live only inside their own bridges and namespaces and can repeat;
 * these cannot, so each run takes a free slot: two runs (or two families) at once on one
 * host do not collide, and a host network already using a range is never touched.
 *   injection slot k: 10.253.k.0/24          routed slot k: 10.254.(2k).0/24 + 10.254.(2k+1).0/24
 * (flat and VLAN segments, which the host does not see, use 10.251.1.0/24 and 10.251.2.0/24)
 */
export const SLOTS = 32;

export function injectSubnet(k: number): string { return `10.253.${k}.`; }
export function routedSubnets(k: number): { vm: string; remote: string } { return { vm: `10.254.${2 * k}.`, remote: `10.254.${2 * k + 1}.` }; }

/** Prefixes ("10.254.3.") the host routes already (`ip -4 route`: connected and other routes). */
export function routedPrefixes(routeText: string): string[] {
  const out: string[] = [];
  for (const line of routeText.split("\n")) {
    const m = /^(\d+\.\d+\.\d+)\.\d+(\/\d+)?\s/.exec(line.trim());
    if (m) out.push(`${m[1]}.`);
  }
  return out;
}

/** Whether any route of the host covers a 10.x range wider than /24 that includes `prefix`. */
function coveredByWide(routeText: string, prefix: string): boolean {
  const [a, b] = prefix.split(".").map(Number);
  return routeText.split("\n").some((l) => {
    const m = /^(\d+)\.(\d+)\.\d+\.\d+\/(\d+)\s/.exec(l.trim());
    if (!m) return false;
    const len = Number(m[3]);
    if (len >= 24) return false;
    if (len <= 8) return Number(m[1]) === a;
    return Number(m[1]) === a && (len < 16 || Number(m[2]) === b);
  });
}

/** First free slot, starting at one derived from the run id (so concurrent runs spread out). */
export function pickSlot(runId: string, routeText: string, subnetsOf: (k: number) => string[]): number | null {
  const used = new Set(routedPrefixes(routeText));
  const start = parseInt(runId.slice(0, 2), 16) % SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const k = (start + i) % SLOTS;
    if (subnetsOf(k).every((p) => !used.has(p) && !coveredByWide(routeText, p))) return k;
  }
  return null;
}

export async function hostRoutes(): Promise<string> {
  return (await run("ip", ["-4", "route", "show"], { timeoutMs: 10_000 })).stdout;
}
