import type { Snapshot } from "../snapshot/schema.js";
import type { TestDefinition } from "../method/catalogue.js";
import type { RulesProfile } from "./profile.js";
import type { RowVerdict } from "./types.js";

/** What a rule decides for one test: the verdict, printable values and a one-line reason. */
export interface RuleOutcome {
  verdict: RowVerdict;
  source: string;
  target: string;
  reason: string;
}

export interface RuleInput {
  def: TestDefinition;
  source: Snapshot;
  target: Snapshot;
  profile: RulesProfile;
}

export type Rule = (input: RuleInput) => RuleOutcome;

export const NOT_CAPTURED = "(not captured)";

/**
 * The shared shape of Table III rules: no baseline on the source -> N/A; could not be
 * performed on the target -> FAILURE (the paper: "at least one test could not be
 * performed" fails the OS aggregation); otherwise `decide` compares the two values.
 */
export function compareGuestValues<T>(
  input: RuleInput,
  pick: (s: Snapshot) => T | null | undefined,
  show: (v: T) => string,
  decide: (source: T, target: T) => { verdict: RowVerdict; reason: string },
): RuleOutcome {
  const { def, source, target } = input;
  const requested = source.notRequested?.[def.id];
  const s = pick(source);
  const t = pick(target);
  const sShow = s == null ? (requested ? "(not requested)" : NOT_CAPTURED) : show(s);
  const tShow = t == null ? (target.notRequested?.[def.id] ? "(not requested)" : NOT_CAPTURED) : show(t);
  if (s == null) {
    return {
      verdict: "N/A", source: sShow, target: tShow,
      reason: requested ? `not requested on the source: ${requested}` : "no baseline: the source snapshot does not have this value",
    };
  }
  if (t == null) {
    const why = target.notRequested?.[def.id]
      ? `not requested in the target capture (${target.notRequested[def.id]})`
      : target.guest == null ? "the guest could not be reached on the target" : "the probe could not obtain it on the target";
    return { verdict: "FAILURE", source: sShow, target: tShow, reason: `could not be performed on the target: ${why}` };
  }
  return { source: sShow, target: tShow, ...decide(s, t) };
}

export function percentDeviation(source: number, target: number): number {
  if (source === 0) return target === 0 ? 0 : Infinity;
  return (Math.abs(target - source) / source) * 100;
}

/** A reason line lists at most a few differences, then counts the rest. */
export function listSome(items: string[], max = 3): string {
  return items.length <= max ? items.join("; ") : `${items.slice(0, max).join("; ")}; and ${items.length - max} more`;
}
