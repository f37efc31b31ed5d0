import type { Snapshot } from "../snapshot/schema.js";
import { HYPERVISOR_TESTS, OS_TESTS, type RuleKind, type TestDefinition } from "../method/catalogue.js";
import { rank, type Verdict } from "../method/verdict.js";
import { DEFAULT_PROFILE, selectorMatches, type RulesProfile } from "./profile.js";
import type { Evaluation, TestRow } from "./types.js";
import type { Rule } from "./rule.js";
import { mustSucceed, equivalentOrOk } from "./rules-hypervisor.js";
import { kernelRule, cpuRule, memoryRule, disksRule } from "./rules-resources.js";
import { interfacesRule, addressesRule, firewallRule, routesRule, icmpRule, rdnsPrivateRule, rdnsPublicRule, remoteShellRule } from "./rules-connectivity.js";
import { userOpRule, appRows } from "./rules-userops.js";
import { aggregateHypervisor, aggregateOs, aggregateOverall } from "./aggregate.js";

/** Each rule kind of the catalogue is decided by one function. */
const RULES: Record<Exclude<RuleKind, "app" | "aggregate">, Rule> = {
  "must-succeed": mustSucceed,
  "equivalent-or-ok": equivalentOrOk,
  kernel: kernelRule,
  "resource-count": cpuRule,
  "resource-bytes": memoryRule,
  disks: disksRule,
  interfaces: interfacesRule,
  addresses: addressesRule,
  firewall: firewallRule,
  routes: routesRule,
  icmp: icmpRule,
  "rdns-private": rdnsPrivateRule,
  "rdns-public": rdnsPublicRule,
  unchanged: remoteShellRule,
  "op-succeeds": userOpRule,
};

export interface EvaluateOptions {
  profile?: RulesProfile;
  /** "Today" for waiver expiry; defaults to the current date. */
  now?: Date;
}

function row(def: TestDefinition, source: Snapshot, target: Snapshot, profile: RulesProfile): TestRow {
  const rule = RULES[def.rule as keyof typeof RULES];
  const o = rule({ def, source, target, profile });
  return { id: def.id, name: def.name, level: def.level as TestRow["level"], ...o };
}

/**
 * Evaluates a target snapshot against its source (Table II and III rules, then Table IV
 * aggregation), applying the profile's caps and waivers. Pure: no I/O, no clock unless
 * `now` is left out.
 */
export function evaluate(source: Snapshot, target: Snapshot, opts: EvaluateOptions = {}): Evaluation {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const today = (opts.now ?? new Date()).toISOString().slice(0, 10);
  const tests: TestRow[] = [];
  for (const def of HYPERVISOR_TESTS) tests.push(row(def, source, target, profile));
  for (const def of OS_TESTS) tests.push(row(def, source, target, profile));
  tests.push(...appRows(source, target, profile));

  const expiredWaivers = new Set<string>();
  for (const r of tests) {
    const cap = profile.caps.find((c) => selectorMatches(c.test, r.id));
    if (cap && r.verdict !== "N/A" && rank(r.verdict) > rank(cap.max)) {
      r.ruleVerdict = r.verdict;
      r.verdict = cap.max;
      r.capped = { max: cap.max, justification: cap.justification };
      r.reason += ` [capped at ${cap.max}: ${cap.justification}]`;
    }
    const waiver = profile.waivers.find((w) => selectorMatches(w.test, r.id));
    if (waiver) {
      if (waiver.expires && waiver.expires < today) {
        expiredWaivers.add(`${waiver.test} (expired ${waiver.expires})`);
        r.reason += ` [waiver expired ${waiver.expires}]`;
      } else {
        r.waived = { justification: waiver.justification, ...(waiver.expires ? { expires: waiver.expires } : {}) };
      }
    }
  }

  const hypervisor = aggregateHypervisor(tests);
  const os = aggregateOs(tests);
  const overall = aggregateOverall(hypervisor, os);
  // Nothing compared at all cannot be called a success.
  const verdict: Verdict = overall.verdict === "N/A" ? "FAILURE" : overall.verdict;
  return { verdict, hypervisor, os, overall, tests, expiredWaivers: [...expiredWaivers] };
}
