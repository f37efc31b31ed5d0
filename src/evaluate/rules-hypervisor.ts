import type { Rule, RuleOutcome } from "./rule.js";
import type { HypervisorTestResult } from "../snapshot/schema.js";

const show = (r: HypervisorTestResult | undefined) => (r ? `${r.result}${r.detail ? `: ${r.detail}` : ""}` : "(not run)");

function absent(s: HypervisorTestResult | undefined, t: HypervisorTestResult | undefined): RuleOutcome | null {
  if (t) return null;
  if (!s) return { verdict: "N/A", source: show(s), target: show(t), reason: "not run on the source nor on the target" };
  return { verdict: "FAILURE", source: show(s), target: show(t), reason: "could not be performed on the target: the test was not run there" };
}

/** Table II 1.1.a Launch and 1.1.g Terminate: "successful" / - / "otherwise" (no baseline needed). */
export const mustSucceed: Rule = ({ def, source, target }) => {
  const s = source.hypervisorTests[def.id], t = target.hypervisorTests[def.id];
  const missing = absent(s, t);
  if (missing) return missing;
  return t!.result === "ok"
    ? { verdict: "SUCCESS", source: show(s), target: show(t), reason: "successful on the target" }
    : { verdict: "FAILURE", source: show(s), target: show(t), reason: `${def.name} must succeed on the target; it ${t!.result === "failed" ? "failed" : "is unsupported there"}` };
};

/** The rest of Table II: "equivalent to source or successful" / - / "otherwise". */
export const equivalentOrOk: Rule = ({ def, source, target }) => {
  const s = source.hypervisorTests[def.id], t = target.hypervisorTests[def.id];
  const missing = absent(s, t);
  if (missing) return missing;
  if (t!.result === "ok") return { verdict: "SUCCESS", source: show(s), target: show(t), reason: "successful on the target" };
  if (s && s.result === t!.result) {
    return { verdict: "SUCCESS", source: show(s), target: show(t), reason: `equivalent to source: ${t!.result} on both` };
  }
  return {
    verdict: "FAILURE", source: show(s), target: show(t),
    reason: s ? `${t!.result} on the target but ${s.result} on the source` : `${t!.result} on the target, with no source result to be equivalent to`,
  };
};
