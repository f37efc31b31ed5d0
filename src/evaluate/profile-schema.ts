import { z } from "zod";

/**
 * A rules profile: the paper's evaluation rules (the default, strict) plus an operator's
 * thresholds, waivers and severity caps. Loaded from YAML; see docs/evaluation.md.
 */

const TestSelector = z.string().min(1).describe('A test id ("2.3.b"), a group prefix ("2.3.*", "1.*"), an application check ("app:web") or "app:*"');
const VerdictName = z.enum(["SUCCESS", "WARNING", "FAILURE"]);

export const RulesProfile = z.object({
  schemaVersion: z.literal("rules/v1").default("rules/v1"),
  description: z.string().optional(),
  thresholds: z.object({
    kernel: z.object({
      /** How many leading dotted numbers of `uname -r` make the "version"; the rest is the "revision". */
      versionComponents: z.number().int().min(1).max(4).default(2),
    }).strict().prefault({}),
    cpu: z.object({
      /** A CPU count deviation up to this share of the source's count is a WARNING ("+10%"); above is a FAILURE. */
      warnDeviationPercent: z.number().min(0).default(10),
    }).strict().prefault({}),
    memory: z.object({
      warnDeviationPercent: z.number().min(0).default(10),
      /**
       * The guest kernel's MemTotal moves by a few hundred KiB with the firmware and device
       * set (reserved regions), without any change of the VM's memory. A deviation up to
       * this share counts as "no change". 0 is the most literal reading of the paper.
       */
      sameWithinPercent: z.number().min(0).default(0.5),
    }).strict().prefault({}),
    disks: z.object({
      /** Size difference tolerated as "size not changed" (file system sizes are exact on ext4/xfs). */
      sizeTolerancePercent: z.number().min(0).default(0),
    }).strict().prefault({}),
    icmp: z.object({
      packets: z.number().int().min(1).default(3),
      /** Which round-trip time is held against the limits: the slowest reply (default) or the mean. */
      rtt: z.enum(["max", "avg"]).default("max"),
      success: z.object({ maxLossPercent: z.number().min(0).max(100).default(0), rttBelowMs: z.number().positive().default(3000) }).strict().prefault({}),
      warning: z.object({ lossBelowPercent: z.number().min(0).max(100).default(33), rttBelowMs: z.number().positive().default(6000) }).strict().prefault({}),
    }).strict().prefault({}),
    addresses: z.object({
      /** IPv6 link-local addresses (fe80::/10) follow the MAC and say nothing of the configuration. */
      ignoreLinkLocal: z.boolean().default(true),
    }).strict().prefault({}),
  }).strict().prefault({}),
  waivers: z.array(z.object({
    test: TestSelector,
    justification: z.string().min(1, "a waiver needs a justification"),
    /** YYYY-MM-DD; the waiver stops applying after this day. */
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expires must be a date YYYY-MM-DD").optional(),
  }).strict()).default([]),
  caps: z.array(z.object({
    test: TestSelector,
    /** The most severe verdict this test may get, e.g. WARNING or SUCCESS. */
    max: VerdictName,
    justification: z.string().min(1, "a cap needs a justification"),
  }).strict()).default([]),
}).strict();

export type RulesProfile = z.infer<typeof RulesProfile>;

/** The paper's rules with the documented readings of its ambiguous thresholds. */
export const DEFAULT_PROFILE: RulesProfile = RulesProfile.parse({});

export function selectorMatches(selector: string, id: string): boolean {
  if (selector === id) return true;
  if (selector.endsWith("*")) return id.startsWith(selector.slice(0, -1));
  return false;
}
