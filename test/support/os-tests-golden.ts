import { createHash } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { RulesProfile } from "../../src/evaluate/profile.js";
import { renderEvaluationTable } from "../../src/evaluate/render.js";
import { CATALOGUE, APP_TEST, HYPERVISOR_TEST_IDS, OS_TEST_IDS } from "../../src/method/catalogue.js";
import { PROBES } from "../../src/guest/probes/index.js";
import { parseUserOps } from "../../src/guest/probes/user-ops.js";
import { buildCombinedScript } from "../../src/guest/script.js";
import { resolveCaptureOptions } from "../../src/guest/options.js";
import { SCHEMAS } from "../../src/schemas.js";
import type { GuestState, Snapshot } from "../../src/snapshot/schema.js";
import { baseSnapshot, variant } from "./snapshots.js";

/**
 * What the Table III refactoring (issue #18: one module per TIOSA test) must not change,
 * computed through public entry points only: the catalogue as `tiosa tests --format json`
 * prints it, the probe list and its combined guest script, the JSON Schemas, and the
 * evaluation (rows, aggregates, printed table) of snapshots built from the recorded guest
 * fixtures (test/fixtures/guest) and test/fixtures/snapshots. The expected values were
 * recorded from the code before the refactoring (test/fixtures/os-tests/golden.json).
 */

const FIX = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));
const sha = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

/** Capture options each recording was made with (test/unit/guest-parsers.test.ts). */
const OPTS = resolveCaptureOptions({
  icmpPublic: "127.0.0.1",
  rdnsPrivate: { address: "10.0.0.1" }, rdnsPublic: { address: "194.25.2.129", expected: "dns.isp.t-ipnet.de" },
  shellPort: 22,
  apps: [
    { name: "web", kind: "http" as const, url: "http://127.0.0.1:18080/", expectStatus: 200 },
    { name: "missing", kind: "http" as const, url: "http://127.0.0.1:18080/nope", expectStatus: 200 },
    { name: "port", kind: "tcp" as const, host: "127.0.0.1", port: 18080 },
    { name: "closed", kind: "tcp" as const, host: "127.0.0.1", port: 1 },
  ],
});

/** The fields one recorded environment yields, probe by probe (a parse error leaves them out). */
function guestOf(env: string): Partial<GuestState> {
  const dir = `${FIX}guest/${env}/`;
  const g: Partial<GuestState> = {};
  for (const p of PROBES) {
    if (!existsSync(`${dir}${p.name}.out`)) continue;
    try {
      const { errors: _e, ...fields } = p.parse({ stdout: readFileSync(`${dir}${p.name}.out`, "utf8"), stderr: "", code: 0 }, OPTS);
      Object.assign(g, fields);
    } catch { /* the golden file records what the evaluation makes of it */ }
  }
  if (existsSync(`${dir}user-ops.out`)) g.userOps = parseUserOps(readFileSync(`${dir}user-ops.out`, "utf8"));
  return g;
}

function snapshots(): [string, Snapshot][] {
  const envs = readdirSync(`${FIX}guest`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const d12 = guestOf("debian12");
  const out: [string, Snapshot][] = [["base", baseSnapshot()]];
  // every environment laid over the Debian 12 recording, so partial recordings make whole guests
  for (const env of envs) out.push([env, variant((s) => { s.guest = { transport: "ssh", ...d12, ...guestOf(env) } as GuestState; })]);
  out.push(["fixture:debian-12-kvm", JSON.parse(readFileSync(`${FIX}snapshots/debian-12-kvm.json`, "utf8")) as Snapshot]);
  out.push(["unreachable", variant((s) => { s.guest = null; })]);
  out.push(["empty-guest", variant((s) => { s.guest = { transport: "ssh" }; })]);
  out.push(["not-requested", variant((s) => { s.notRequested = { ...s.notRequested, "2.3.e": "no private target", "2.1.a": "asked not to" }; })]);
  out.push(["user-op-failed", variant((s) => { s.guest!.userOps = { ...s.guest!.userOps!, writeFile: false, readFile: null, detail: "writeFile: su: Authentication failure" }; })]);
  return out;
}

const PROFILES: [string, RulesProfile | undefined][] = [
  ["default", undefined],
  ["strict", RulesProfile.parse({
    thresholds: { kernel: { versionComponents: 3 }, cpu: { warnDeviationPercent: 0 }, memory: { sameWithinPercent: 0, warnDeviationPercent: 1 }, disks: { sizeTolerancePercent: 5 }, icmp: { rtt: "avg", packets: 4 }, addresses: { ignoreLinkLocal: false } },
    waivers: [{ test: "2.3.*", justification: "networks differ" }, { test: "2.4.b", justification: "old", expires: "2020-01-01" }],
    caps: [{ test: "2.1.a", max: "WARNING", justification: "kernels move" }],
  })],
];

export interface Golden {
  catalogue: string;
  ids: { hypervisor: string[]; os: string[] };
  probes: { name: string; fields: string[]; slow: boolean }[];
  script: string;
  schemas: Record<string, string>;
  /** "source [profile]" -> one hash over the evaluations (JSON and printed table) against every target. */
  evaluations: Record<string, string>;
}

export function computeGolden(): Golden {
  const snaps = snapshots();
  const evaluations: Record<string, string> = {};
  for (const [pn, profile] of PROFILES) {
    for (const [sn, s] of snaps) {
      const h = createHash("sha256");
      for (const [tn, t] of snaps) {
        const e = evaluate(s, t, { profile, now: new Date("2026-11-23") });
        h.update(`${tn}\n${JSON.stringify(e)}\n${renderEvaluationTable(e)}\n`);
      }
      evaluations[`${sn} [${pn}]`] = h.digest("hex").slice(0, 16);
    }
  }
  // only the documents Table III touches: the campaign and inventory schemas belong to others
  const schemas = Object.fromEntries((["snapshot", "rules"] as const).map((k) =>
    [k, sha(JSON.stringify(z.toJSONSchema(SCHEMAS[k]!.schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" })))]));
  return {
    catalogue: JSON.stringify({ tests: CATALOGUE, applicationChecks: APP_TEST }, null, 2),
    ids: { hypervisor: [...HYPERVISOR_TEST_IDS], os: [...OS_TEST_IDS] },
    probes: PROBES.map((p) => ({ name: p.name, fields: [...p.fields] as string[], slow: !!p.slow })),
    script: buildCombinedScript(PROBES, OPTS, "0123456789abcdef").text,
    schemas,
    evaluations,
  };
}
