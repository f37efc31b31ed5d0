import type { Command } from "../command.js";
import { UserError } from "../../errors.js";
import { loadSnapshot } from "../../snapshot/load.js";
import { evaluate } from "../../evaluate/evaluate.js";
import { DEFAULT_PROFILE, loadRulesProfile } from "../../evaluate/profile.js";
import { exitCodeFor } from "../../method/verdict.js";
import { renderEvaluationTable } from "../../evaluate/render.js";

export const compareCommand: Command = {
  name: "compare",
  summary: "Evaluate a target snapshot against its source (Tables II-IV) and print per-test verdicts",
  usage: "SOURCE.json TARGET.json [--rules FILE]",
  options: { rules: { type: "string" } },
  async run(ctx) {
    const [src, tgt, ...extra] = ctx.positionals;
    if (!src || !tgt || extra.length) throw new UserError("expected exactly two snapshot files: SOURCE.json TARGET.json");
    const profile = typeof ctx.options.rules === "string" ? await loadRulesProfile(ctx.options.rules) : DEFAULT_PROFILE;
    const [source, target] = await Promise.all([loadSnapshot(src), loadSnapshot(tgt)]);
    const result = evaluate(source, target, { profile });
    for (const w of result.expiredWaivers) ctx.err(`tiosa compare: waiver for ${w} no longer applies`);
    if (ctx.format === "json") ctx.out(JSON.stringify(result, null, 2));
    else ctx.out(renderEvaluationTable(result));
    return exitCodeFor(result.verdict);
  },
};
