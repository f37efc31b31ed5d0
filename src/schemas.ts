import type { z } from "zod";
import { Snapshot } from "./snapshot/schema.js";
import { HypervisorInventory } from "./inventory/model.js";
import { RulesProfile } from "./evaluate/profile.js";
import { CampaignFile } from "./campaign/spec.js";

/**
 * Documents tiosa reads or writes, by name, for `tiosa schema NAME`.
 * Add an entry here when a new document kind appears (campaign, results...).
 */
export const SCHEMAS: Record<string, { id: string; title: string; schema: z.ZodTypeAny }> = {
  snapshot: { id: "snapshot-v1", title: "tiosa snapshot/v1: one VM's state on one hypervisor", schema: Snapshot },
  rules: { id: "rules-v1", title: "tiosa rules/v1: thresholds, waivers and severity caps for the evaluation", schema: RulesProfile },
  campaign: { id: "campaign-v1", title: "tiosa campaign/v1: hypervisors, guests, pairs, routes and cycles of a campaign (YAML)", schema: CampaignFile },
  inventory: { id: "inventory-v1", title: "tiosa inventory: a hypervisor's or descriptor's VMs (Sequence 1)", schema: HypervisorInventory },
};
