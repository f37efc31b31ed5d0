import type { GuestFacts } from "../adapt/facts.js";
import type { TargetHardware } from "../adapt/devices.js";
import type { HardwareFamily } from "../hypervisor/families/family.js";
import type { VmInventory } from "../inventory/model.js";

/**
 * The readiness assessment's vocabulary (paper, Sequence 1: what is known before the move).
 * Shaped after Forklift's validation rules: every concern has a stable id and one of three
 * categories, and the rule set carries a version so that a stored assessment says which
 * rules made it.
 */
export const RULESET_VERSION = "tiosa-assess/1";

/** critical: it will not boot or will lose its network there; warning: something changes; info: worth knowing. */
export type Severity = "critical" | "warning" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];

/** A Table II/III test the concern says will not pass, and how it will end. */
export interface Prediction { test: string; verdict: "FAILURE" | "WARNING" }

/** What was assessed: the VM's descriptor or hypervisor view, and what its disk holds. */
export interface AssessSubject {
  /** How the user named it (file, URI and VM). */
  source: string;
  inventory: VmInventory | null;
  /** Read from the guest's disk (offline) or the running guest; null when no disk could be read. */
  facts: GuestFacts | null;
  /** The hardware family the VM runs on now, when known (a campaign's HS, or matched from its inventory). */
  sourceFamily: HardwareFamily | null;
  /** Why `facts` is null, when it is (shown as an info concern). */
  factsMissing?: string;
}

/** What the move itself does to the VM, as far as the rules care. */
export interface MoveAssumptions {
  /**
   * The target VM keeps the source's MAC addresses. virt-v2v and Forklift keep them; tiosa's
   * disk routes define a new VM, which libvirt gives new MACs (the default).
   */
  keepsMac: boolean;
}

export interface RuleContext {
  subject: AssessSubject;
  target: HardwareFamily;
  hardware: TargetHardware;
  route: MoveAssumptions;
}

/** One thing a rule found, for one target. */
export interface Finding {
  /** Where the rule's category is not fixed (a root mount is critical, /srv a warning). */
  severity?: Severity;
  detail: string;
  /** The lines that show it: a guest file and its line, a descriptor key. */
  evidence: string[];
  predicts?: Prediction[];
  remedy?: string;
}

export interface AssessRule {
  /** Stable id (kebab-case): users waive by it, stored assessments refer to it. */
  id: string;
  severity: Severity;
  title: string;
  /** Where the rule came from: a measured campaign failure, a Forklift rule, a virt-v2v step. */
  origin: string;
  /** What it reads: the guest's disk, the VM's description, or both. */
  needs: "facts" | "inventory" | "both";
  predicts: Prediction[];
  remedy: string;
  check(ctx: RuleContext): Finding[];
}

/** A finding with its rule's defaults filled in, for the families it applies to. */
export interface Concern {
  id: string;
  severity: Severity;
  title: string;
  detail: string;
  evidence: string[];
  /** Target families this concern applies to. */
  families: string[];
  predicts: Prediction[];
  remedy: string;
}
