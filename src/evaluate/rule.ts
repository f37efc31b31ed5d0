import type { Snapshot } from "../snapshot/schema.js";
import type { TestDefinition } from "../method/test-definition.js";
import type { RulesProfile } from "./profile-schema.js";
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

/**
 * The shared shape of 2.2.a CPU and 2.2.b MEM ("no change / +10% / higher deviation"):
 * the deviation either way, as a share of the source's value.
 */
export function deviationVerdict(source: number, target: number, warnPercent: number, samePercent: number, what: string) {
  if (source === target) return { verdict: "SUCCESS" as const, reason: "no change" };
  const dev = percentDeviation(source, target);
  const shown = Number.isFinite(dev) ? `${dev.toFixed(dev < 1 ? 2 : 1)}%` : "from nothing";
  const dir = target > source ? "more" : "less";
  if (dev <= samePercent) return { verdict: "SUCCESS" as const, reason: `${shown} ${dir} ${what}, within the ${samePercent}% counted as no change` };
  if (dev <= warnPercent) return { verdict: "WARNING" as const, reason: `${shown} ${dir} ${what} (within ${warnPercent}%)` };
  return { verdict: "FAILURE" as const, reason: `${shown} ${dir} ${what}, beyond ${warnPercent}%` };
}

/**
 * The shared shape of 2.3.c Firewall Rules and 2.3.d Routing ("no change / is changed / is
 * missing"): compares two multisets of normalised strings grouped by a key; within a group,
 * a source item without an equal target item pairs with a leftover target item ("changed");
 * what is left unpaired on the source side is "missing".
 */
export function diffGrouped(s: string[], t: string[], key: (x: string) => string) {
  const remaining = new Map<string, number>();
  for (const x of t) remaining.set(x, (remaining.get(x) ?? 0) + 1);
  const gone: string[] = [];
  for (const x of s) {
    const n = remaining.get(x) ?? 0;
    if (n > 0) remaining.set(x, n - 1); else gone.push(x);
  }
  const added = [...remaining].flatMap(([x, n]) => Array<string>(n).fill(x));
  const changed: [string, string][] = [], missing: string[] = [];
  const pool = [...added];
  for (const g of gone) {
    const i = pool.findIndex((a) => key(a) === key(g));
    if (i >= 0) changed.push([g, pool.splice(i, 1)[0]!]); else missing.push(g);
  }
  return { changed, missing, extra: pool };
}
