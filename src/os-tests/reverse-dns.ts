import type { GuestState } from "../snapshot/schema.js";
import { rdnsProbe } from "../guest/probes/rdns.js";
import type { OsTest } from "./os-test.js";

type Rdns = NonNullable<NonNullable<GuestState["reverseDns"]>["private"]>;

/** 2.3.g and 2.3.h share the probe (one lookup each) and how a lookup is written. */
const common = {
  probe: rdnsProbe,
  field: "reverseDns",
  show: (r: Rdns) => `${r.address} -> ${r.name ?? "(no name)"}`,
} as const;
const observed = (r: Rdns | null | undefined) => (r ? `${r.address} -> ${r.name ?? "(no name)"}${r.expected ? ` (expected ${r.expected})` : ""}` : null);

/** 2.3.g DNS reverse lookup private IP: successful / - / not successful. */
export const rdnsPrivateIp: OsTest<Rdns> = {
  definition: { id: "2.3.g", name: "DNS reverse lookup private IP", group: "2.3 Connectivity", level: "os", rule: "rdns-private", success: "successful", warning: "-", failure: "not successful" },
  ...common,
  value: (g) => g.reverseDns?.private,
  decide(_s, t) {
    if (!t.name) return { verdict: "FAILURE", reason: `reverse lookup of ${t.address} failed` };
    if (t.expected && t.name !== t.expected) return { verdict: "FAILURE", reason: `${t.address} resolved to ${t.name}, expected ${t.expected}` };
    return { verdict: "SUCCESS", reason: `resolved to ${t.name}` };
  },
  observed: (g) => observed(g.reverseDns?.private),
};

/** 2.3.h DNS reverse lookup public IP: the expected name (the paper: 194.25.2.129 -> dns.isp.t-ipnet.de) / - / otherwise. */
export const rdnsPublicIp: OsTest<Rdns> = {
  definition: { id: "2.3.h", name: "DNS reverse lookup public IP", group: "2.3 Connectivity", level: "os", rule: "rdns-public", success: "194.25.2.129 -> dns.isp.t-ipnet.de", warning: "-", failure: "otherwise" },
  ...common,
  value: (g) => g.reverseDns?.public,
  decide(s, t) {
    const expected = t.expected ?? s.expected ?? s.name;
    if (!t.name) return { verdict: "FAILURE", reason: `reverse lookup of ${t.address} failed` };
    if (expected && t.name !== expected) return { verdict: "FAILURE", reason: `${t.address} resolved to ${t.name}, expected ${expected}` };
    return { verdict: "SUCCESS", reason: `${t.address} -> ${t.name}${expected ? " as expected" : ""}` };
  },
  observed: (g) => observed(g.reverseDns?.public),
};
