import type { GuestState } from "../snapshot/schema.js";
import { interfacesProbe } from "../guest/probes/interfaces.js";
import { listSome } from "../evaluate/rule.js";
import type { OsTest } from "./os-test.js";

type Nic = NonNullable<GuestState["interfaces"]>[number];

/**
 * Pairs each source NIC with a target NIC: by MAC first (the VM's identity survives a
 * conversion more often than its name), then by name, then by order.
 */
export function pairInterfaces(s: Nic[], t: Nic[]): { pairs: [Nic, Nic][]; missing: Nic[]; extra: Nic[] } {
  const left = [...t];
  const take = (pred: (n: Nic) => boolean) => {
    const i = left.findIndex(pred);
    return i < 0 ? undefined : left.splice(i, 1)[0];
  };
  const pairs: [Nic, Nic][] = [];
  const unpaired: Nic[] = [];
  for (const n of s) {
    const m = (n.mac ? take((x) => x.mac?.toLowerCase() === n.mac!.toLowerCase()) : undefined) ?? take((x) => x.name === n.name);
    if (m) pairs.push([n, m]); else unpaired.push(n);
  }
  const missing: Nic[] = [];
  for (const n of unpaired) {
    const m = left.shift();
    if (m) pairs.push([n, m]); else missing.push(n);
  }
  return { pairs, missing, extra: left };
}

/** 2.3.a Network interfaces: no change / changed / missing. */
export const networkInterfaces: OsTest<Nic[]> = {
  definition: { id: "2.3.a", name: "Network interfaces", group: "2.3 Connectivity", level: "os", rule: "interfaces", success: "no change", warning: "changed", failure: "missing" },
  probe: interfacesProbe,
  field: "interfaces",
  value: (g) => g.interfaces,
  show: (l) => l.length === 0 ? "(none)" : l.map((n) => `${n.name} ${n.mac ?? "?"} ${n.driver ?? "?"}`).join(", "),
  decide(s, t) {
    const { pairs, missing, extra } = pairInterfaces(s, t);
    if (missing.length) return { verdict: "FAILURE", reason: `missing on the target: ${listSome(missing.map((n) => `${n.name} (${n.mac ?? "no MAC"})`))}` };
    const changes: string[] = [];
    for (const [a, b] of pairs) {
      const d: string[] = [];
      if (a.name !== b.name) d.push(`renamed ${a.name} -> ${b.name}`);
      if ((a.mac ?? "").toLowerCase() !== (b.mac ?? "").toLowerCase()) d.push(`MAC ${a.mac} -> ${b.mac}`);
      if (a.driver !== b.driver) d.push(`driver ${a.driver} -> ${b.driver}`);
      if (d.length) changes.push(`${a.name}: ${d.join(", ")}`);
    }
    if (extra.length) changes.push(`new: ${extra.map((n) => n.name).join(", ")}`);
    return changes.length ? { verdict: "WARNING", reason: `changed: ${listSome(changes)}` } : { verdict: "SUCCESS", reason: "no change" };
  },
  observed: (g) => (g.interfaces ? g.interfaces.map((i) => `${i.name} ${i.mac ?? "-"} ${i.driver ?? "-"}`).join("; ") : null),
};
