import type { RuleOutcome } from "./rule.js";
import type { Snapshot } from "../snapshot/schema.js";
import { APP_TEST } from "../method/catalogue.js";
import type { TestRow } from "./types.js";
import type { RulesProfile } from "./profile-schema.js";

/** User-declared application checks: one row per check declared on the source. */
export function appRows(source: Snapshot, target: Snapshot, _profile: RulesProfile): TestRow[] {
  const rows: TestRow[] = [];
  const tApps = new Map((target.guest?.apps ?? []).map((a) => [a.name, a]));
  for (const s of source.guest?.apps ?? []) {
    const t = tApps.get(s.name);
    const src = `${s.ok ? "ok" : "failed"}: ${s.detail}`;
    let o: RuleOutcome;
    if (!t) o = { verdict: "FAILURE", source: src, target: "(not run)", reason: "could not be performed on the target" };
    else if (t.ok) o = { verdict: "SUCCESS", source: src, target: `ok: ${t.detail}`, reason: "check passes on the target" };
    else if (!s.ok) o = { verdict: "WARNING", source: src, target: `failed: ${t.detail}`, reason: "fails on the target, and failed on the source too: fix the baseline" };
    else o = { verdict: "FAILURE", source: src, target: `failed: ${t.detail}`, reason: "passed on the source, fails on the target" };
    rows.push({ id: `app:${s.name}`, name: s.name, level: APP_TEST.level as "application", ...o });
  }
  return rows;
}
