import type { AssessRule } from "../concern.js";

export const snapshots: AssessRule = {
  id: "snapshots",
  severity: "warning",
  title: "The VM has snapshots",
  origin: "Forklift (VM with snapshots); a disk export carries the current state only",
  needs: "inventory",
  predicts: [],
  remedy: "delete or consolidate the snapshots before the move (the current state is what moves; the snapshots stay behind)",
  check({ subject }) {
    const s = subject.inventory?.features.snapshots ?? [];
    if (!s.length) return [];
    return [{ detail: `${s.length} snapshot(s): only the current state moves; a route that copies a delta disk alone copies a disk that needs its parent`, evidence: s.map((x) => `${subject.source}: ${x}`) }];
  },
};
