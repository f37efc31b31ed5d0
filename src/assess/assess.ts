import { targetHardwareOf } from "../adapt/devices.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import { RULESET_VERSION, SEVERITIES, type AssessRule, type AssessSubject, type Concern, type MoveAssumptions, type Severity } from "./concern.js";
import { ASSESS_RULES } from "./rules/index.js";

export interface Assessment {
  ruleset: string;
  source: string;
  sourceFamily: string | null;
  targets: string[];
  assumptions: MoveAssumptions;
  /** How the guest was read: online, offline (its disk), or not at all. */
  guest: { read: "online" | "offline" | "no"; kernel: string | null; initramfsTool: string | null };
  /** One entry per (rule, finding), with the target families it applies to; worst first. */
  concerns: Concern[];
  /** The worst severity per target family (null: nothing found). */
  worst: Record<string, Severity | null>;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/**
 * Runs every rule for every target family. Pure: the same subject, families and assumptions
 * always give the same assessment. A rule that throws is a bug in the rule, reported as such
 * instead of hiding the other rules' concerns.
 */
export function assess(subject: AssessSubject, targets: readonly HardwareFamily[], assumptions: MoveAssumptions = { keepsMac: false }, rules: readonly AssessRule[] = ASSESS_RULES): Assessment {
  const merged = new Map<string, Concern>();
  const worst: Record<string, Severity | null> = {};
  for (const target of targets) {
    worst[target.name] = null;
    const ctx = { subject, target, hardware: targetHardwareOf(target), route: assumptions };
    for (const rule of rules) {
      let findings;
      try { findings = rule.check(ctx); } catch (e) {
        throw new Error(`assess rule '${rule.id}' failed on ${subject.source} for '${target.name}': ${(e as Error).message}`);
      }
      for (const f of findings) {
        const c: Concern = {
          id: rule.id, severity: f.severity ?? rule.severity, title: rule.title,
          detail: f.detail, evidence: f.evidence, families: [target.name],
          predicts: f.predicts ?? rule.predicts, remedy: f.remedy ?? rule.remedy,
        };
        const w = worst[target.name];
        if (w === null || w === undefined || rank(c.severity) < rank(w)) worst[target.name] = c.severity;
        // The same finding for several families is one concern listing them (details name the
        // family, so they are merged on the evidence, not the wording).
        const key = `${c.id}\n${c.severity}\n${c.evidence.join("\n")}\n${JSON.stringify(c.predicts)}\n${c.detail.replace(new RegExp(`'${target.name}'`, "g"), "'*'")}`;
        const prev = merged.get(key);
        if (prev) { if (!prev.families.includes(target.name)) prev.families.push(target.name); }
        else merged.set(key, c);
      }
    }
  }
  const concerns = [...merged.values()].sort((a, b) => rank(a.severity) - rank(b.severity) || a.id.localeCompare(b.id));
  const f = subject.facts;
  return {
    ruleset: RULESET_VERSION, source: subject.source, sourceFamily: subject.sourceFamily?.name ?? null,
    targets: targets.map((t) => t.name), assumptions,
    guest: { read: f ? f.via : "no", kernel: f?.kernelRelease ?? null, initramfsTool: f?.initramfsTool ?? null },
    concerns, worst,
  };
}

/** Exit status of `tiosa assess`, as for verdicts: 20 when a concern is critical, 10 for a warning, else 0. */
export function assessmentExitCode(a: Assessment): 0 | 10 | 20 {
  const all = a.concerns.map((c) => c.severity);
  return all.includes("critical") ? 20 : all.includes("warning") ? 10 : 0;
}
