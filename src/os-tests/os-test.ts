import type { TestDefinition } from "../method/test-definition.js";
import type { GuestState } from "../snapshot/schema.js";
import type { Probe } from "../guest/probe.js";
import type { UserOpsProbe } from "../guest/probes/user-ops.js";
import { compareGuestValues, type Rule, type RuleInput } from "../evaluate/rule.js";
import type { RowVerdict } from "../evaluate/types.js";

/**
 * One TIOSA OS-level test (a row of Table III) as one module: its catalogue row, the guest
 * probe and snapshot field it reads, its rule and how its values are written. The catalogue
 * (OS_TESTS), the evaluator's rule table, the probe list of the guest script and the rows of
 * `tiosa probe` are all derived from the registry of these (src/os-tests/index.ts).
 *
 * Every Table III rule has the same frame (compareGuestValues): no value on the source is
 * N/A, no value on the target is FAILURE ("could not be performed"), otherwise `decide`.
 */
export interface OsTest<T = unknown> {
  /** The paper's Table III row; its conditions verbatim. */
  definition: TestDefinition & { level: "os" };
  /**
   * The guest probe that captures the value: a section of the one guest script, or 2.4's
   * user operations, which run apart because they change the guest.
   */
  probe: Probe | UserOpsProbe;
  /** The snapshot/v1 field (`guest.FIELD`) the value is read from; the probe fills it. */
  field: keyof GuestState;
  /** The value the rule compares, from the guest state; null or undefined when not captured. */
  value(guest: GuestState, input: RuleInput): T | null | undefined;
  /** How a value is written in the Source and Target columns of every report. */
  show(value: T): string;
  /** The paper's condition: the verdict and its one-line reason from the two values. */
  decide(source: T, target: T, input: RuleInput): { verdict: RowVerdict; reason: string };
  /** How `tiosa probe` shows what one guest gave; null when it was not captured. */
  observed(guest: GuestState): string | null;
}

/** The rule of one OS test, for the evaluator's rule table. */
export function ruleOf<T>(test: OsTest<T>): Rule {
  return (input) => compareGuestValues(input, (s) => (s.guest ? test.value(s.guest, input) : undefined),
    (v) => test.show(v), (s, t) => test.decide(s, t, input));
}

/** Table III as the catalogue lists it: the registry's rows, in its order. */
export function catalogueOf(tests: readonly OsTest[]): (TestDefinition & { level: "os" })[] {
  return tests.map((t) => t.definition);
}

/**
 * The probes of the one guest script, each once, in the order the registry first names
 * them (that order is the script's); 2.4 runs apart (src/guest/capture.ts) and is left out.
 */
export function probesOf(tests: readonly OsTest[]): Probe[] {
  const out: Probe[] = [];
  for (const t of tests) if (!("apart" in t.probe) && !out.includes(t.probe)) out.push(t.probe);
  return out;
}
