import type { Command, CommandContext } from "../command.js";
import { UserError } from "../../errors.js";
import { BUILTIN_FAMILIES, getFamily, loadFamilyFile } from "../../hypervisor/families/index.js";
import { assess, assessmentExitCode, type Assessment } from "../../assess/assess.js";
import { readSubject } from "../../assess/subject.js";
import { ASSESS_RULES } from "../../assess/rules/index.js";
import { renderTable } from "../../util/table.js";

export const assessCommand: Command = {
  name: "assess",
  summary: "Readiness before a move: what will break on each target family (initramfs drivers, fstab, NIC bindings, firmware, snapshots, passthrough...), with evidence and remedy",
  usage: "SOURCE [--vm NAME] [--to FAMILY[,FAMILY]] [--from FAMILY] [--keep-mac] [--waive ID[,ID]] [--family-file FILE] [--format table|json]   (SOURCE: libvirt URI, OVF, OVA, VMX, libvirt XML or disk image)",
  options: {
    vm: { type: "string" },
    to: { type: "string" },
    from: { type: "string" },
    "keep-mac": { type: "boolean" },
    "family-file": { type: "string" },
    waive: { type: "string" },
  },
  formats: ["table", "json"],
  async run(ctx) {
    const [source, ...extra] = ctx.positionals;
    if (!source) throw new UserError("assess: give what to assess: a libvirt URI with --vm NAME, a descriptor (OVF, OVA, VMX, libvirt XML) or a disk image");
    if (extra.length) throw new UserError(`assess: unexpected argument '${extra[0]}' (one SOURCE)`);
    const ff = opt(ctx, "family-file");
    if (ff) await loadFamilyFile(ff);
    // Families first: a typo should not cost a libguestfs appliance boot.
    const targets = opt(ctx, "to") ? opt(ctx, "to")!.split(",").map((s) => s.trim()).filter(Boolean).map(getFamily) : [...BUILTIN_FAMILIES];
    if (!targets.length) throw new UserError("assess: --to names no family");
    const from = opt(ctx, "from") ? getFamily(opt(ctx, "from")!) : undefined;
    const waive = (opt(ctx, "waive") ?? "").split(",").map((x) => x.trim()).filter(Boolean);
    const unknown = waive.filter((id) => !ASSESS_RULES.some((r) => r.id === id));
    if (unknown.length) throw new UserError(`assess: --waive names no rule: ${unknown.join(", ")} (rules: ${ASSESS_RULES.map((r) => r.id).join(", ")})`);
    const subject = await readSubject(source, { ...(opt(ctx, "vm") ? { vm: opt(ctx, "vm")! } : {}), ...(from ? { from } : {}), progress: ctx.err, signal: ctx.signal });
    // A waived rule is not run: its concerns neither print nor count toward the exit status.
    const a = assess(subject, targets, { keepsMac: ctx.options["keep-mac"] === true }, ASSESS_RULES.filter((r) => !waive.includes(r.id)));
    ctx.out(ctx.format === "json" ? JSON.stringify(a, null, 2) : renderAssessment(a));
    return assessmentExitCode(a);
  },
};

function opt(ctx: CommandContext, k: string): string | undefined {
  const v = ctx.options[k];
  return typeof v === "string" ? v : undefined;
}

export function renderAssessment(a: Assessment): string {
  const head = [
    `assessment of ${a.source} (${a.ruleset})`,
    `guest: ${a.guest.read === "no" ? "not read" : `read ${a.guest.read}, kernel ${a.guest.kernel ?? "?"}, initramfs by ${a.guest.initramfsTool ?? "?"}`}; runs on: ${a.sourceFamily ?? "unknown family"}; MACs ${a.assumptions.keepsMac ? "kept" : "new on the target"}`,
    `worst per target: ${a.targets.map((t) => `${t} ${a.worst[t] ?? "none"}`).join(", ")}`,
  ];
  if (!a.concerns.length) return [...head, "no concern"].join("\n");
  const table = renderTable(["severity", "concern", "targets", "predicts"], a.concerns.map((c) => [
    c.severity, c.id, c.families.join(","), c.predicts.map((p) => `${p.test} ${p.verdict}`).join(", ") || "-",
  ]));
  const details = a.concerns.map((c, i) => [
    `${i + 1}. [${c.severity}] ${c.id} (${c.families.join(", ")}): ${c.detail}`,
    ...c.evidence.map((e) => `   evidence: ${e}`),
    `   remedy: ${c.remedy}`,
  ].join("\n"));
  return [...head, "", table, "", ...details].join("\n");
}
