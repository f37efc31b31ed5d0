import { interfacesProbe } from "../guest/probes/interfaces.js";
import { listSome } from "../evaluate/rule.js";
import type { OsTest } from "./os-test.js";

function isLinkLocal(cidr: string): boolean {
  const a = cidr.split("/")[0]!.toLowerCase();
  return /^fe[89ab][0-9a-f]?:/.test(a) || a.startsWith("169.254.");
}

/**
 * 2.3.b IP Address: no change / changed / missing, compared across all interfaces (renames
 * are 2.3.a's business), so its value is the sorted set of the guest's addresses.
 */
export const ipAddress: OsTest<string[]> = {
  definition: { id: "2.3.b", name: "IP Address", group: "2.3 Connectivity", level: "os", rule: "addresses", success: "no change", warning: "changed", failure: "missing" },
  probe: interfacesProbe,
  field: "interfaces",
  value(g, input) {
    const ignore = input.profile.thresholds.addresses.ignoreLinkLocal;
    return g.interfaces ? [...new Set(g.interfaces.flatMap((n) => n.addresses).filter((a) => !(ignore && isLinkLocal(a))))].sort() : null;
  },
  show: (l) => (l.length ? l.join(", ") : "(none)"),
  decide(s, t) {
    const family = (a: string) => (a.includes(":") ? "IPv6" : "IPv4");
    const gone = s.filter((a) => !t.includes(a));
    const added = t.filter((a) => !s.includes(a));
    if (gone.length === 0 && added.length === 0) return { verdict: "SUCCESS", reason: "no change" };
    const missingFamilies = [...new Set(gone.map(family))].filter((f) => !t.some((a) => family(a) === f));
    if (missingFamilies.length) return { verdict: "FAILURE", reason: `missing: no ${missingFamilies.join("/")} address on the target (had ${listSome(gone)})` };
    return { verdict: "WARNING", reason: `changed: ${[gone.length ? `gone ${listSome(gone)}` : "", added.length ? `new ${listSome(added)}` : ""].filter(Boolean).join(", ")}` };
  },
  observed: (g) => (g.interfaces ? g.interfaces.flatMap((i) => i.addresses.map((a) => `${i.name} ${a}`)).join("; ") : null),
};
