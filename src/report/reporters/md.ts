import type { Reporter } from "../reporter.js";
import type { CellReport, GuestMatrix, ReportModel } from "../model.js";
import { CAUSE_LABELS } from "../../campaign/causes.js";
import { LEGEND, STEP_STATE_MARK, caseTimeLines, formatDuration, predictionCellLine, runLine, testVerdictText, timeSummary } from "../text.js";
import { predictionLine } from "../../assess/prediction.js";

/** Markdown for pull requests and wikis: the matrices as tables, then every cell's details. */

const cellText = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function matrix(m: ReportModel, g: GuestMatrix): string {
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  const rows = [`| HS \\ HUT | ${g.hut.map(cellText).join(" | ")} |`, `|---|${g.hut.map(() => "---").join("|")}|`];
  for (const hs of g.hs) {
    rows.push(`| **${cellText(hs)}** | ${g.hut.map((hut) => {
      const c = g.cells[hs]?.[hut] ? byId.get(g.cells[hs]![hut]!) : undefined;
      if (!c) return "·";
      const routes = c.routes.map((r) => `${r.id}${c.routes.length > 1 && r.id === c.bestRoute ? "★" : ""}`).join(", ");
      return cellText(`**${c.label}**${c.unstable ? " ~" : ""}${routes ? ` (${routes})` : ""}${c.cause ? `, ${CAUSE_LABELS[c.cause.class]}` : ""}`);
    }).join(" | ")} |`);
  }
  return rows.join("\n");
}

function fence(text: string): string {
  const ticks = "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((x) => x[0].length + 1)));
  return `${ticks}text\n${text}\n${ticks}`;
}

function cellMd(c: CellReport): string {
  const out = [`### ${c.guest}: ${c.hs} (${c.hsFamily}) → ${c.hut} (${c.hutFamily}): ${c.label}${c.unstable ? " (unstable)" : ""}`, ""];
  if (c.cause) out.push(`**Cause: ${CAUSE_LABELS[c.cause.class]}**: ${c.cause.reason}`, "");
  if (c.prediction) out.push(`**Prediction**: ${predictionCellLine(c)}`, "");
  for (const r of c.routes) {
    const st = r.stability;
    out.push(`#### Route ${r.id}: ${r.verdict ?? "NO RESULT"}`, "",
      `${r.name}. ${!st.shown ? `${st.cyclesFinished} cycle(s): stability not shown` : st.stable ? `Stable over ${st.cyclesFinished} cycles` : `Unstable over ${st.cyclesFinished} cycles, counted as cycle ${st.worstCycle}`}.`, "");
    for (const f of st.flipped) out.push(`- flipped ${f.test} ${f.name}: ${f.verdicts.map((v) => `cycle ${v.cycle} ${v.verdict}`).join(", ")}`);
    if (st.flipped.length) out.push("");
    const wc = r.cycles.find((x) => x.cycle === st.worstCycle);
    if (wc) {
      out.push("| # | Step | State | Duration | Detail |", "|---|---|---|---|---|",
        ...wc.steps.map((s) => `| ${s.no} | ${cellText(s.name)} | ${STEP_STATE_MARK[s.state] ?? s.state} | ${formatDuration(s.durationMs)} | ${cellText(s.detail ?? "")} |`), "");
      const time = caseTimeLines(wc);
      if (time.length) out.push(...time.map((l) => `${l}  `), "");
    }
    if (r.tests.length) {
      out.push("| ID | Test | Verdict | Source | Target | Reason |", "|---|---|---|---|---|---|",
        ...r.tests.map((x) => `| ${x.id} | ${cellText(x.name)} | ${cellText(testVerdictText(x))} | ${cellText(x.source)} | ${cellText(x.target)} | ${cellText(x.reason)}${x.waived ? cellText(` (waived: ${x.waived.justification})`) : ""} |`), "");
    }
    for (const e of r.cause?.evidence ?? []) {
      out.push(`Evidence (${e.kind}${e.stepNo ? `, step ${e.stepNo}` : ""}):`, "", e.text ? fence(e.text) : `file: \`${e.path}\``, "");
    }
  }
  return out.join("\n");
}

export function renderMarkdown(m: ReportModel): string {
  return [
    `# tiosa campaign report: ${m.run.campaign}`, "", runLine(m), "",
    `**${m.summary.text}.** Verdict: **${m.verdict}**.`, "",
    ...(timeSummary(m) ? [timeSummary(m)!, ""] : []),
    ...(m.summary.predictions.cells ? [predictionLine(m.summary.predictions), ""] : []),
    `> ${m.emulationNote}`, "",
    ...m.guests.flatMap((g) => [`## Guest ${g.guest} (${g.source})`, "", "Rows: source hypervisor (HS); columns: hypervisor under test (HUT).", "", matrix(m, g), ""]),
    "Legend: " + LEGEND.map(([k, v]) => `**${k}** ${v}`).join("; ") + "; ★ the route the cell shows.", "",
    "## Cells", "",
    ...m.cells.map(cellMd),
  ].join("\n");
}

export const mdReporter: Reporter = { name: "md", extension: "md", render: renderMarkdown };
