import type { AssessRule, Finding } from "../concern.js";
import { nicNameOn } from "../hardware-names.js";
import { networkBindings } from "../network-bindings.js";

/**
 * The guest sees its NIC under another name (the model and slot differ) or with another MAC
 * (the route defines a new NIC): Table III's interface test reports the change, and a guest
 * on DHCP gets another address from the target's network.
 */
export const nicIdentityChanges: AssessRule = {
  id: "nic-identity-changes",
  severity: "warning",
  title: "The NIC's name, MAC or address changes",
  origin: "measured: every debian-12 cell of the personalities campaign warns on 2.3.a (enp1s0 -> ens3, new MAC) and 2.3.b (a new DHCP lease)",
  needs: "both",
  predicts: [{ test: "2.3.a", verdict: "WARNING" }],
  remedy: "expected after a move; waive 2.3.a/2.3.b in the rules file if the application does not care, or keep the MAC and give the guest a DHCP reservation",
  check({ subject, target, route }) {
    const here = subject.facts?.nics.find((n) => n.name !== "lo")?.name ?? (subject.sourceFamily ? nicNameOn(subject.sourceFamily) : null);
    const there = nicNameOn(target);
    const out: Finding[] = [];
    const changes: string[] = [];
    if (here && here !== there) changes.push(`its name ${here} -> ${there}`);
    if (!route.keepsMac) changes.push("its MAC (the route defines a new NIC)");
    if (changes.length) out.push({ detail: `on '${target.name}' the guest's NIC changes ${changes.join(" and ")}`, evidence: [here ? `NIC now: ${here}${subject.sourceFamily ? ` on '${subject.sourceFamily.name}'` : ""}` : "NIC name now: unknown", `NIC on '${target.name}': ${there} (${target.nic.model})`] });
    const f = subject.facts;
    const dhcp = f?.networkFiles.some((x) => /inet6?\s+dhcp|DHCP\s*=\s*(yes|ipv4|true)|dhcp4:\s*(true|yes)|method=auto|BOOTPROTO=["']?dhcp/i.test(x.content)) ?? false;
    const bound = f ? networkBindings(f.networkFiles) : [];
    const keepsConfig = bound.every((b) => (b.by === "mac" ? route.keepsMac : b.name === there));
    if (dhcp && keepsConfig && !route.keepsMac) {
      out.push({ detail: `the guest takes its address by DHCP and has a new MAC on '${target.name}': it gets another address`, evidence: f!.networkFiles.filter((x) => /dhcp|method=auto/i.test(x.content)).map((x) => `${x.path}: ${x.content.split("\n").find((l) => /dhcp|method=auto/i.test(l))!.trim()}`), predicts: [{ test: "2.3.b", verdict: "WARNING" }] });
    }
    return out;
  },
};
