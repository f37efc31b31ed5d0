import type { Reporter } from "../reporter.js";
import type { CellReport, CycleReport, ReportModel, RouteReport } from "../model.js";
import type { TestRow } from "../../evaluate/types.js";
import { CAUSE_LABELS } from "../../campaign/causes.js";
import { xmlAttr as a, xmlText as t } from "../xml.js";
import { testVerdictText } from "../text.js";

/**
 * JUnit XML for CI dashboards: a <testsuite> per case (guest, HS, HUT, route, cycle), a
 * <testcase> per Sequence 2 step and per TIOSA test. FAILURE is a <failure>; WARNING has no
 * JUnit equivalent, so it stays a passing test with a `verdict` property and a WARNING line
 * in <system-out>; N/A is <skipped>.
 */

const secs = (ms: number | null) => ((ms ?? 0) / 1000).toFixed(3);
const classOf = (c: CellReport, r: { id: string } | null) => `tiosa.${c.guest}.${c.hs}-to-${c.hut}${r ? `.${r.id}` : ""}`.replace(/[^A-Za-z0-9._-]/g, "_");

interface Suite { xml: string; tests: number; failures: number; skipped: number; time: number }

function props(p: Record<string, string | number | null | undefined>, indent: string): string {
  const rows = Object.entries(p).filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => `${indent}  <property name="${a(k)}" value="${a(String(v))}"/>`);
  return rows.length ? `${indent}<properties>\n${rows.join("\n")}\n${indent}</properties>\n` : "";
}

function testCase(cls: string, row: TestRow): { xml: string; failed: boolean; skipped: boolean } {
  const name = `${row.id} ${row.name}`;
  const detail = `source: ${row.source}\ntarget: ${row.target}\nreason: ${row.reason}${row.waived ? `\nwaived: ${row.waived.justification}` : ""}${row.capped ? `\ncapped at ${row.capped.max}: ${row.capped.justification}` : ""}`;
  const p = props({ verdict: testVerdictText(row), level: row.level }, "      ");
  let body: string;
  let failed = false, skipped = false;
  if (row.verdict === "FAILURE") {
    failed = true;
    body = `      <failure type="FAILURE" message="${a(row.reason)}">${t(detail)}</failure>\n`;
  } else if (row.verdict === "N/A") {
    skipped = true;
    body = `      <skipped message="${a(`N/A: ${row.reason}`)}"/>\n`;
  } else {
    body = `      <system-out>${t(`${testVerdictText(row)}: ${row.reason}\n${detail}`)}</system-out>\n`;
  }
  return { xml: `    <testcase classname="${a(cls)}" name="${a(name)}" time="0">\n${p}${body}    </testcase>`, failed, skipped };
}

function caseSuite(m: ReportModel, c: CellReport, r: RouteReport, cy: CycleReport): Suite {
  const cls = classOf(c, r);
  const cases: string[] = [];
  let failures = 0, skipped = 0, time = 0;
  for (const s of cy.steps) {
    time += s.durationMs ?? 0;
    const name = `step ${s.no}: ${s.name}`;
    let body = "";
    if (s.state === "failed") { failures++; body = `      <failure type="step failed" message="${a(s.detail ?? "failed")}">${t(s.detail ?? "")}</failure>\n`; }
    else if (s.state !== "done") { skipped++; body = `      <skipped message="${a(s.state === "not run" ? "not run" : `${s.state}${s.detail ? `: ${s.detail}` : ""}`)}"/>\n`; }
    cases.push(`    <testcase classname="${a(cls)}" name="${a(name)}" time="${secs(s.durationMs)}"${body ? `>\n${body}    </testcase>` : "/>"}`);
  }
  const rows = cy.tests;
  for (const row of rows) {
    const tc = testCase(cls, row);
    if (tc.failed) failures++;
    if (tc.skipped) skipped++;
    cases.push(tc.xml);
  }
  const out: string[] = [];
  if (cy.verdict) out.push(`Verdict: ${cy.verdict}`);
  for (const row of rows.filter((x) => x.verdict === "WARNING")) out.push(`WARNING ${row.id} ${row.name}: ${row.reason}`);
  if (cy.failedStep) out.push(`FAILED at step ${cy.failedStep.no} (${cy.failedStep.name})${cy.failedStep.detail ? `: ${cy.failedStep.detail}` : ""}`);
  if (c.cause && r.cause && cy.cycle === r.stability.worstCycle) {
    out.push(`Cause: ${CAUSE_LABELS[r.cause.class]}: ${r.cause.reason}`);
    for (const e of r.cause.evidence) out.push(e.text ? `--- evidence (${e.kind}) ---\n${e.text}` : `evidence (${e.kind}): ${e.path}`);
  }
  if (!r.stability.stable) out.push(`UNSTABLE: ${r.stability.flipped.map((f) => `${f.test} ${f.name} (${f.verdicts.map((v) => `c${v.cycle} ${v.verdict}`).join(", ")})`).join("; ")}`);
  const p = props({
    guest: c.guest, hs: c.hs, "hs.family": c.hsFamily, hut: c.hut, "hut.family": c.hutFamily, route: r.id, cycle: cy.cycle,
    verdict: cy.verdict ?? "NO RESULT", stable: String(r.stability.stable), cause: r.cause && cy.cycle === r.stability.worstCycle ? r.cause.class : null, run: m.run.id,
  }, "    ");
  const name = `${c.guest} ${c.hs}->${c.hut} ${r.id} cycle ${cy.cycle}`;
  const xml = `  <testsuite name="${a(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(time)}">\n${p}${cases.join("\n")}\n    <system-out>${t(out.join("\n"))}</system-out>\n  </testsuite>`;
  return { xml, tests: cases.length, failures, skipped, time };
}

function noRouteSuite(c: CellReport): Suite {
  const cls = classOf(c, null);
  const msg = c.cause?.reason ?? "no route";
  const xml = `  <testsuite name="${a(`${c.guest} ${c.hs}->${c.hut} (no route)`)}" tests="1" failures="1" errors="0" skipped="0" time="0">\n`
    + props({ guest: c.guest, hs: c.hs, hut: c.hut, verdict: "FAILURE", cause: "tool" }, "    ")
    + `    <testcase classname="${a(cls)}" name="route discovery" time="0">\n      <failure type="no route" message="${a(msg)}">${t(msg)}</failure>\n    </testcase>\n  </testsuite>`;
  return { xml, tests: 1, failures: 1, skipped: 0, time: 0 };
}

export function renderJunit(m: ReportModel): string {
  const suites: Suite[] = [];
  for (const c of m.cells) {
    if (c.status === "no-route") { suites.push(noRouteSuite(c)); continue; }
    for (const r of c.routes) for (const cy of r.cycles) suites.push(caseSuite(m, c, r, cy));
  }
  const sum = (k: "tests" | "failures" | "skipped" | "time") => suites.reduce((n, s) => n + s[k], 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${a(`tiosa campaign ${m.run.campaign} (run ${m.run.id})`)}" tests="${sum("tests")}" failures="${sum("failures")}" errors="0" skipped="${sum("skipped")}" time="${(sum("time") / 1000).toFixed(3)}">\n${suites.map((s) => s.xml).join("\n")}\n</testsuites>\n`;
}

export const junitReporter: Reporter = { name: "junit", extension: "xml", render: renderJunit };
