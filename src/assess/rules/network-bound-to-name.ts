import type { AssessRule, Finding } from "../concern.js";
import { nicNameOn } from "../hardware-names.js";
import { networkBindings } from "../network-bindings.js";

/** A configuration for `enp1s0` does nothing for a NIC the target names `ens3`. */
export const networkBoundToName: AssessRule = {
  id: "network-bound-to-name",
  severity: "critical",
  title: "The network configuration names a NIC the target calls otherwise",
  origin: "measured: debian-13-static (ifupdown static address on enp1s0) boots without network off kvm; Forklift maps the old NIC name to the new NIC for the same reason",
  needs: "facts",
  predicts: [{ test: "2.3.b", verdict: "FAILURE" }],
  remedy: "the adapt route pins the old name with a udev .link file matched by MAC or driver; or configure by MAC or by type (networkd Type=ether, netplan match: driver)",
  check({ subject, target }) {
    const f = subject.facts;
    if (!f) return [];
    const there = nicNameOn(target);
    const out: Finding[] = [];
    for (const b of networkBindings(f.networkFiles)) {
      if (b.name === null || b.name === there) continue;
      // netplan's set-name renames the NIC it matched by MAC: the MAC rule judges that one.
      if (b.by === "mac" && b.file.endsWith(".yaml")) continue;
      out.push({ detail: `${b.file} configures '${b.name}'${b.by === "mac" ? ` (and MAC ${b.mac})` : ""}; on '${target.name}' the first NIC is '${there}', so it stays unconfigured`, evidence: [`${b.file}: ${b.line}`] });
    }
    return out;
  },
};
