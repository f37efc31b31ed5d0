import type { Reporter } from "../reporter.js";
import type { CellReport, EvidenceView, GuestMatrix, ReportModel, RouteReport } from "../model.js";
import { CAUSE_LABELS } from "../../campaign/causes.js";
import { htmlAttr as a, htmlText as t } from "../xml.js";
import { LEGEND, STEP_STATE_MARK, formatDuration, predictionCellLine, runLine, testVerdictText, caseTimeLines, timeSummary } from "../text.js";
import { predictionLine } from "../../assess/prediction.js";
import { formatBytes } from "../../util/bytes.js";

/**
 * One self-contained HTML file: inline CSS, screenshots as data: URIs, no script, and a
 * Content-Security-Policy that forbids any fetch, so it reads the same offline, from a mail
 * attachment or a CI artifact.
 */

const CSS = `
:root { --ok:#d5efd6; --ok-fg:#1b5e20; --warn:#ffefb8; --warn-fg:#6d4c00; --fail:#f9d0cc; --fail-fg:#9b1c1c; --none:#e6e6e6; --none-fg:#444; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:#1d1d1f; margin: 0; padding: 24px 32px 64px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; } h4 { font-size: 14px; margin: 14px 0 4px; }
.meta, .note { color:#555; font-size: 13px; } .note { background:#f4f6fa; border-left: 3px solid #7a8bb0; padding: 8px 12px; margin: 12px 0; }
.summary { font-size: 16px; font-weight: 600; margin: 12px 0; padding: 10px 14px; border-radius: 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #c9c9c9; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
table.matrix td.cell { width: 190px; height: 74px; }
table.matrix td.diag { background: repeating-linear-gradient(45deg, #fafafa, #fafafa 6px, #efefef 6px, #efefef 12px); }
table.matrix th.corner { font-size: 12px; color: #555; font-weight: normal; }
.cell a { color: inherit; text-decoration: none; display: block; }
.label { font-weight: 700; font-size: 15px; letter-spacing: .02em; }
.routes { font-size: 12px; margin-top: 2px; } .cause { font-size: 12px; font-style: italic; }
.unstable { font-size: 12px; font-weight: 700; }
.v-success { background: var(--ok); color: var(--ok-fg); }
.v-warning { background: var(--warn); color: var(--warn-fg); }
.v-failure { background: var(--fail); color: var(--fail-fg); }
.v-noroute { background: var(--fail); color: var(--fail-fg); outline: 2px dashed var(--fail-fg); outline-offset: -4px; }
.v-none { background: var(--none); color: var(--none-fg); }
td.t-success { color: var(--ok-fg); font-weight: 600; } td.t-warning { background: var(--warn); color: var(--warn-fg); font-weight: 600; }
td.t-failure { background: var(--fail); color: var(--fail-fg); font-weight: 600; } td.t-na { color: #777; }
table.tests td.val { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; max-width: 300px; overflow-wrap: anywhere; }
pre.console { background: #111; color: #e8e8e8; padding: 10px 12px; font-size: 12px; overflow-x: auto; white-space: pre-wrap; border-radius: 4px; max-width: 100%; }
img.screenshot { max-width: 640px; border: 1px solid #999; display: block; margin: 6px 0; }
.legend span.sw { display: inline-block; min-width: 86px; padding: 2px 6px; margin-right: 6px; font-weight: 700; font-size: 12px; }
.legend div { margin: 3px 0; }
section.cell-detail { border: 1px solid #ddd; border-radius: 6px; padding: 4px 16px 12px; margin: 14px 0; }
.tag { display: inline-block; padding: 1px 6px; border-radius: 3px; font-size: 12px; font-weight: 700; }
@media print { body { padding: 0; } section.cell-detail { break-inside: avoid; } }
`;

const vClass = (label: string) => ({ SUCCESS: "v-success", WARNING: "v-warning", FAILURE: "v-failure", "NO ROUTE": "v-noroute" } as Record<string, string>)[label] ?? "v-none";
const tClass = (v: string) => ({ SUCCESS: "t-success", WARNING: "t-warning", FAILURE: "t-failure" } as Record<string, string>)[v] ?? "t-na";
const anchor = (id: string) => `cell-${id.replace(/->/g, "-to-").replace(/[^A-Za-z0-9_-]+/g, "-")}`;
const tag = (label: string) => `<span class="tag ${vClass(label)}">${t(label)}</span>`;

function matrix(m: ReportModel, g: GuestMatrix): string {
  const byId = new Map(m.cells.map((c) => [c.id, c]));
  const head = `<tr><th class="corner">source (HS) \\ target (HUT)</th>${g.hut.map((h) => `<th>${t(h)}</th>`).join("")}</tr>`;
  const rows = g.hs.map((hs) => {
    const tds = g.hut.map((hut) => {
      const id = g.cells[hs]?.[hut];
      const c = id ? byId.get(id) : undefined;
      if (!c) return `<td class="diag" title="${hs === hut ? "same hypervisor" : "not in the campaign"}"></td>`;
      const routes = c.routes.map((r) => `${t(r.id)}${c.routes.length > 1 && r.id === c.bestRoute ? " ★" : ""}`).join(", ");
      return `<td class="cell ${vClass(c.label)}" data-cell="${a(c.id)}" data-verdict="${a(c.label)}"><a href="#${anchor(c.id)}">`
        + `<div class="label">${t(c.label)}</div>`
        + (routes ? `<div class="routes">${routes}</div>` : "")
        + (c.unstable ? `<div class="unstable">~ unstable</div>` : "")
        + (c.cause ? `<div class="cause">${t(CAUSE_LABELS[c.cause.class])}</div>` : "")
        + `</a></td>`;
    });
    return `<tr><th>${t(hs)}</th>${tds.join("")}</tr>`;
  });
  return `<table class="matrix" data-guest="${a(g.guest)}">${head}${rows.join("")}</table>`;
}

function evidenceHtml(e: EvidenceView): string {
  const what = `${e.kind}${e.stepNo ? `, step ${e.stepNo}` : ""}`;
  if (e.dataUri) return `<h4>Evidence: ${t(what)}</h4><img class="screenshot" alt="${a(`screenshot (${what})`)}" src="${a(e.dataUri)}">`;
  if (e.text !== null) return `<h4>Evidence: ${t(what)}</h4><pre class="console">${t(e.text)}</pre>`;
  return `<h4>Evidence: ${t(what)}</h4><p class="meta">file: ${t(e.path ?? "")}</p>`;
}

function routeHtml(c: CellReport, r: RouteReport): string {
  const st = r.stability;
  const stab = !st.shown ? `${st.cyclesFinished} cycle(s) finished: stability not shown`
    : st.stable ? `stable: identical results in ${st.cyclesFinished} cycles` : `<strong>unstable</strong> over ${st.cyclesFinished} cycles; counted as cycle ${st.worstCycle} (its worst)`;
  const parts = [`<h3>Route ${t(r.id)}${r.id === c.bestRoute && c.routes.length > 1 ? " (best)" : ""}: ${tag(r.verdict ?? "NO RESULT")}</h3>`,
    `<p class="meta">${t(r.name)}${r.steps.length ? `: ${t(r.steps.join(" → "))}` : ""}. ${stab}.</p>`];
  if (st.flipped.length) {
    parts.push(`<table class="flips"><tr><th>Flipped test</th>${st.flipped[0]!.verdicts.map((v) => `<th>cycle ${v.cycle}</th>`).join("")}</tr>`
      + st.flipped.map((f) => `<tr><td>${t(`${f.test} ${f.name}`)}</td>${f.verdicts.map((v) => `<td class="${tClass(v.verdict)}">${t(v.verdict)}</td>`).join("")}</tr>`).join("") + `</table>`);
  }
  if (r.cause) parts.push(`<p><strong>Cause: ${t(CAUSE_LABELS[r.cause.class])}</strong>: ${t(r.cause.reason)}</p>`);
  // Evidence first: for a failure it is what a reader looks for.
  const shown = r.cause ? r.cause.evidence.map((e) => r.evidence.find((v) => v.kind === e.kind && v.stepNo === e.stepNo && (v.text === (e.text ?? null) || v.path === (e.path ?? null)))).filter((v): v is EvidenceView => !!v) : [];
  const evidence = [...new Set([...shown, ...r.evidence.filter((e) => e.kind === "console" || e.kind === "screenshot" || e.kind === "guest-agent")])];
  parts.push(...evidence.map(evidenceHtml));
  const wc = r.cycles.find((x) => x.cycle === st.worstCycle) ?? r.cycles[0];
  if (wc) {
    parts.push(`<h4>Sequence 2 steps (cycle ${wc.cycle})</h4><table class="steps"><tr><th>#</th><th>Step</th><th>State</th><th>Duration</th><th>Read / written</th><th>Detail</th></tr>`
      + wc.steps.map((s) => `<tr><td>${s.no}</td><td>${t(s.name)}</td><td class="${s.state === "failed" ? "t-failure" : s.state === "done" ? "t-success" : "t-na"}">${t(STEP_STATE_MARK[s.state] ?? s.state)}</td>`
        + `<td>${t(formatDuration(s.durationMs))}</td><td>${t([formatBytes(s.bytesRead), formatBytes(s.bytesWritten)].filter(Boolean).join(" / "))}</td><td>${t(s.detail ?? "")}</td></tr>`).join("") + `</table>`);
    parts.push(...caseTimeLines(wc).map((l) => `<p class="meta time">${t(l)}</p>`));
  }
  if (r.tests.length) {
    parts.push(`<h4>Tests (cycle ${st.worstCycle})</h4><table class="tests"><tr><th>ID</th><th>Test</th><th>Verdict</th><th>Source</th><th>Target</th><th>Reason</th></tr>`
      + r.tests.map((x) => `<tr data-test="${a(x.id)}"><td>${t(x.id)}</td><td>${t(x.name)}</td><td class="${tClass(x.verdict)}">${t(testVerdictText(x))}</td>`
        + `<td class="val">${t(x.source)}</td><td class="val">${t(x.target)}</td><td>${t(x.reason)}${x.waived ? `<br><em>waived: ${t(x.waived.justification)}</em>` : ""}${x.capped ? `<br><em>capped at ${t(x.capped.max)}: ${t(x.capped.justification)}</em>` : ""}</td></tr>`).join("")
      + `</table>`);
    if (r.aggregates) parts.push(`<p class="meta">${[r.aggregates.hypervisor, r.aggregates.os, r.aggregates.overall].map((g) => `${t(g.id)} ${tag(g.verdict)} ${t(g.reason)}`).join("<br>")}</p>`);
  }
  return parts.join("\n");
}

function cellHtml(c: CellReport): string {
  return `<section class="cell-detail" id="${anchor(c.id)}"><h3>${t(c.guest)}: ${t(c.hs)} (${t(c.hsFamily)}) → ${t(c.hut)} (${t(c.hutFamily)}) ${tag(c.label)}${c.unstable ? " <span class=\"unstable\">~ unstable</span>" : ""}</h3>`
    + (c.cause && c.status === "no-route" ? `<p><strong>Cause: ${t(CAUSE_LABELS[c.cause.class])}</strong>: ${t(c.cause.reason)}</p>` : "")
    + (c.prediction ? `<p class="prediction"><strong>Prediction</strong> (before the move): ${t(predictionCellLine(c))}</p>` : "")
    + c.routes.map((r) => routeHtml(c, r)).join("\n") + `</section>`;
}

export function renderHtml(m: ReportModel): string {
  const sumClass = vClass(m.verdict);
  const legend = LEGEND.map(([k, v]) => `<div><span class="sw ${k === "~" ? "" : vClass(k)}">${t(k)}</span>${t(v)}</div>`).join("");
  const hv = `<table><tr><th>Hypervisor</th><th>Family</th><th>Stands for</th><th>libvirt URI</th></tr>${m.hypervisors.map((h) => `<tr><td>${t(h.name)}</td><td>${t(h.family)}</td><td>${t(h.standsFor ?? "user family")}</td><td>${t(h.uri)}</td></tr>`).join("")}</table>`;
  const s1 = m.sequence1.length ? `<h2>Sequence 1: hypervisor readiness</h2><table><tr><th>Hypervisor</th><th>State</th><th>Detail</th></tr>${m.sequence1.map((s) => `<tr><td>${t(s.hypervisor)}</td><td>${t(s.state)}</td><td>${t(s.detail ?? "")}</td></tr>`).join("")}</table>` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(`tiosa report: ${m.run.campaign} (${m.run.id})`)}</title>
<style>${CSS}</style></head><body>
<h1>tiosa campaign report: ${t(m.run.campaign)}</h1>
<p class="meta">${t(runLine(m))}</p>
<p class="summary ${sumClass}" id="summary">${t(m.summary.text)}. Verdict: ${t(m.verdict)}</p>
${timeSummary(m) ? `<p class="meta" id="time">${t(timeSummary(m)!)}</p>` : ""}
${m.summary.predictions.cells ? `<p class="meta" id="predictions">${t(predictionLine(m.summary.predictions))}</p>` : ""}
<p class="note">${t(m.emulationNote)}</p>
${m.guests.map((g) => `<h2>Guest ${t(g.guest)} <span class="meta">(${t(g.source)})</span></h2>\n${matrix(m, g)}`).join("\n")}
<div class="legend"><h3>Legend</h3>${legend}<div><span class="sw">★</span>the route the cell shows (best of several)</div></div>
<h2>Hypervisors</h2>${hv}
${s1}
<h2>Cells</h2>
${m.cells.map(cellHtml).join("\n")}
</body></html>
`;
}

export const htmlReporter: Reporter = { name: "html", extension: "html", render: renderHtml };
