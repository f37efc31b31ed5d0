import type { Reporter } from "../reporter.js";
import type { CellReport, GuestMatrix, ReportModel } from "../model.js";
import { CAUSE_LABELS } from "../../campaign/causes.js";
import { LEGEND, cellShort, predictionCellLine, runLine, testVerdictText, timeSummary } from "../text.js";
import { predictionLine } from "../../assess/prediction.js";

/**
 * What the terminal prints: per guest the HS x HUT matrix (Figures 3-5), the summary
 * (Figure 6), then what went wrong in each cell that is not a plain SUCCESS.
 */

/** A guest that never booted fails every test: the first lines and the cause say enough on a terminal. */
const MAX_TEST_LINES = 6;

function cellLines(c: CellReport | undefined): string[] {
  if (!c) return ["·"];
  const lines = [cellShort(c)];
  if (c.routes.length) lines.push(c.routes.map((r) => `${r.id}${c.routes.length > 1 && r.id === c.bestRoute ? "*" : ""}`).join(" "));
  if (c.cause) lines.push(`(${CAUSE_LABELS[c.cause.class]})`);
  return lines;
}

function matrix(m: ReportModel, g: GuestMatrix): string {
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  const header = ["HS \\ HUT", ...g.hut];
  const rows = g.hs.map((hs) => [[hs], ...g.hut.map((hut) => cellLines(g.cells[hs]?.[hut] ? byId.get(g.cells[hs]![hut]!) : undefined))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.max(...r[i]!.map((l) => l.length)))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("-+-")];
  for (const r of rows) {
    const height = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(r.map((c) => c[k] ?? "")));
    out.push(widths.map((w) => "-".repeat(w)).join("-+-"));
  }
  return out.join("\n");
}

function cellDetails(c: CellReport): string[] {
  const out: string[] = [];
  const head = `${c.guest}: ${c.hs} (${c.hsFamily}) -> ${c.hut} (${c.hutFamily}): ${c.label}`;
  out.push(head);
  if (c.cause) out.push(`  cause: ${CAUSE_LABELS[c.cause.class]}: ${c.cause.reason}`);
  if (c.prediction) out.push(`  ${predictionCellLine(c)}`);
  for (const r of c.routes) {
    const st = r.stability;
    const stab = !st.shown ? `${st.cyclesFinished} cycle${st.cyclesFinished === 1 ? "" : "s"}, stability not shown` : st.stable ? `stable over ${st.cyclesFinished} cycles` : `UNSTABLE over ${st.cyclesFinished} cycles, counted as cycle ${st.worstCycle}`;
    out.push(`  route ${r.id}${r.id === c.bestRoute ? " (best)" : ""}: ${r.verdict ?? "no result"}, ${stab}`);
    for (const f of st.flipped) out.push(`    flipped ${f.test} ${f.name}: ${f.verdicts.map((v) => `c${v.cycle} ${v.verdict}`).join(", ")}`);
    const worstCycle = r.cycles.find((x) => x.cycle === st.worstCycle);
    if (worstCycle?.failedStep) out.push(`    step ${worstCycle.failedStep.no} failed: ${worstCycle.failedStep.name}${worstCycle.failedStep.detail ? `: ${worstCycle.failedStep.detail}` : ""}`);
    const notable = r.tests.filter((t) => t.verdict === "WARNING" || t.verdict === "FAILURE" || t.waived || t.capped);
    for (const t of notable.slice(0, MAX_TEST_LINES)) {
      out.push(`    ${t.id.padEnd(7)} ${t.name.padEnd(30)} ${testVerdictText(t).padEnd(9)} ${t.source} -> ${t.target}: ${t.reason}`);
    }
    if (notable.length > MAX_TEST_LINES) out.push(`    ... and ${notable.length - MAX_TEST_LINES} more (--format html or md lists every test)`);
    if (r.cause) {
      for (const e of r.cause.evidence) {
        if (e.text) {
          const tail = e.text.split("\n").filter((l) => l.trim()).slice(-3);
          out.push(`    evidence (${e.kind}${e.stepNo ? `, step ${e.stepNo}` : ""}):`, ...tail.map((l) => `      | ${l}`));
        } else if (e.path) out.push(`    evidence (${e.kind}): ${e.path}`);
      }
    }
  }
  return out;
}

export function renderTableReport(m: ReportModel): string {
  const parts: string[] = [runLine(m), ""];
  for (const g of m.guests) {
    parts.push(`Guest ${g.guest} (${g.source}): rows = source hypervisor (HS), columns = hypervisor under test (HUT)`, matrix(m, g), "");
  }
  parts.push(`Summary: ${m.summary.text}`, `Verdict: ${m.verdict}`, ...(timeSummary(m) ? [timeSummary(m)!] : []),
    ...(m.summary.predictions.cells ? [predictionLine(m.summary.predictions)] : []), "");
  const notable = m.cells.filter((c) => c.label !== "SUCCESS" || c.unstable || c.prediction?.hit === false);
  if (notable.length) {
    parts.push("Cells that are not a plain SUCCESS:");
    for (const c of notable) parts.push(...cellDetails(c));
    parts.push("");
  }
  const w = Math.max(...LEGEND.map(([k]) => k.length));
  parts.push("Legend:", ...LEGEND.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`), `  ${"*".padEnd(w)}  the route the cell shows (best of several)`, "");
  parts.push(`Hypervisors: ${m.hypervisors.map((h) => `${h.name} = family ${h.family} (${h.uri})`).join("; ")}`);
  parts.push(m.emulationNote);
  return parts.join("\n");
}

export const tableReporter: Reporter = { name: "table", extension: "txt", render: renderTableReport };
