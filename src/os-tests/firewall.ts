import type { GuestState } from "../snapshot/schema.js";
import { firewallProbe } from "../guest/probes/firewall.js";
import { diffGrouped, listSome } from "../evaluate/rule.js";
import type { OsTest } from "./os-test.js";

type Firewall = NonNullable<GuestState["firewall"]>;

/** A normalised rule is "table chain: expression"; rules are compared within their chain. */
function chainOf(rule: string): string {
  const i = rule.indexOf(":");
  return i > 0 ? rule.slice(0, i) : "";
}

/** 2.3.c Firewall Rules: no change / rule is changed / rule is missing. */
export const firewallRules: OsTest<Firewall> = {
  definition: { id: "2.3.c", name: "Firewall Rules", group: "2.3 Connectivity", level: "os", rule: "firewall", success: "no change", warning: "rule is changed", failure: "rule is missing" },
  probe: firewallProbe,
  field: "firewall",
  value: (g) => g.firewall,
  show: (f) => `${f.rules.length} rule${f.rules.length === 1 ? "" : "s"}${f.backend ? ` (${f.backend})` : ""}`,
  decide(s, t) {
    const { changed, missing, extra } = diffGrouped(s.rules, t.rules, chainOf);
    if (missing.length) return { verdict: "FAILURE", reason: `rule missing: ${listSome(missing, 2)}` };
    if (changed.length || extra.length) {
      return { verdict: "WARNING", reason: `rule changed: ${listSome([...changed.map(([a, b]) => `${a} -> ${b}`), ...extra.map((x) => `new ${x}`)], 2)}` };
    }
    return { verdict: "SUCCESS", reason: "no change" };
  },
  observed: (g) => (g.firewall ? `${g.firewall.rules.length} rules (${g.firewall.backend ?? "?"})` : null),
};
