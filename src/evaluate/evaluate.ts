import type { Snapshot } from "../snapshot/schema.js";
import { HYPERVISOR_TESTS, type HypervisorRuleKind, type TestDefinition } from "../method/catalogue.js";
import { rank, type Verdict } from "../method/verdict.js";
import { DEFAULT_PROFILE, selectorMatches, type RulesProfile } from "./profile.js";
import type { Evaluation, TestRow } from "./types.js";
import type { Rule } from "./rule.js";
import { mustSucceed, equivalentOrOk } from "./rules-hypervisor.js";
import { appRows } from "./rules-app.js";
import { aggregateHypervisor, aggregateOs, aggregateOverall } from "./aggregate.js";
import { OS_TEST_REGISTRY, ruleOf, type OsTest } from "../os-tests/index.js";

/** Each Table II rule kind is decided by one function; Table III tests bring their own rule. */
const HYPERVISOR_RULES: Record<HypervisorRuleKind, Rule> = {
  "must-succeed": mustSucceed,
  "equivalent-or-ok": equivalentOrOk,
};

/**
 * The rule table: Table II rows by their rule kind, then every Table III test of the
 * registry with the rule its module declares, in catalogue order.
 */
export function ruleTable(osTests: readonly OsTest[] = OS_TEST_REGISTRY): { def: TestDefinition; rule: Rule }[] {
  return [
    ...HYPERVISOR_TESTS.map((def) => ({ def, rule: HYPERVISOR_RULES[def.rule] })),
    ...osTests.map((t) => ({ def: t.definition, rule: ruleOf(t) })),
  ];
}

const RULE_TABLE = ruleTable();

export interface EvaluateOptions {
  profile?: RulesProfile;
  /** "Today" for waiver expiry; defaults to the current date. */
  now?: Date;
  /** Table III tests to evaluate; the registry (src/os-tests/index.ts) unless a test gives its own. */
  osTests?: readonly OsTest[];
}

function row(def: TestDefinition, rule: Rule, source: Snapshot, target: Snapshot, profile: RulesProfile): TestRow {
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
  const table = opts.osTests ? ruleTable(opts.osTests) : RULE_TABLE;
  for (const { def, rule } of table) tests.push(row(def, rule, source, target, profile));
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
