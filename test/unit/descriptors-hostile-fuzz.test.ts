import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { CORPUS, corpusSkipReason, DeadlineWorker, runCli, tempDir, TIME_BOUND_MS } from "../support/hostile-descriptors.js";

/**
 * Issue 23 fuzz: the real corpus of descriptors, mutated as a hostile user would (numbers
 * made negative, zero, huge, fractional or words; elements duplicated or removed;
 * attribute values and VMX values inflated; long runs of whitespace; files cut short). Every mutant must end in
 * exit 0 or 2 within the time bound: never 1 (an internal error), never a hang.
 *
 * Deterministic: a seeded PRNG picks the mutations, so a failure names a mutant that the
 * next run rebuilds identically (and the mutants of a failing run are kept on disk). The
 * bulk runs in-process through main() in a worker thread with a deadline; a sample runs
 * through bin/tiosa.js to show the real CLI gives the same exit statuses.
 */

/** Fixed so every run tests the same mutants; TIOSA_FUZZ_SEED and TIOSA_FUZZ_MUTANTS explore further by hand. */
const SEED = Number(process.env.TIOSA_FUZZ_SEED ?? 0x2323);
const MUTANTS_PER_FILE = Number(process.env.TIOSA_FUZZ_MUTANTS ?? 8);
/** A mutant not answered in this long is a hang; answered but over TIME_BOUND_MS is too slow. */
const DEADLINE_MS = 10_000;
const CLI_SAMPLE_PER_STATUS = 6;

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Replacements for a number: negatives, zero, huge, fractional, non-finite and words. */
function hostileNumber(rand: Rand, orig: string): string {
  return pick(rand, [
    "-1", `-${orig}`, "0", "000", "1.5", `${orig}.5`, "0.0001", "9".repeat(25), `1${"0".repeat(400)}`, (2n ** 999n).toString(),
    "1e999", "-1e999", "inf", "NaN", "", "abc", "${vm.size}", "0x1F", ` ${orig} `, `${orig}${orig}${orig}${orig}`,
  ]);
}

interface Span { start: number; end: number }

/** Positions of every match of `re` (global), at most `max`, in one linear pass. */
function spans(text: string, re: RegExp, max = 20_000): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(re)) {
    out.push({ start: m.index!, end: m.index! + m[0].length });
    if (out.length >= max) break;
  }
  return out;
}

const splice = (text: string, s: Span, replacement: string) => text.slice(0, s.start) + replacement + text.slice(s.end);

/** The span of the element whose start tag begins at `start` (to its matching end tag, or the self-closing tag). */
function elementAt(text: string, start: number): Span | null {
  const name = /^<([A-Za-z_][\w:.-]*)/.exec(text.slice(start, start + 200))?.[1];
  if (!name) return null;
  const tagEnd = text.indexOf(">", start);
  if (tagEnd < 0) return null;
  if (text[tagEnd - 1] === "/") return { start, end: tagEnd + 1 };
  let depth = 1;
  const re = new RegExp(`<(/?)${name.replace(/[.]/g, "\\.")}(?=[\\s/>])`, "g");
  re.lastIndex = tagEnd + 1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const close = text.indexOf(">", m.index);
    if (close < 0) return null;
    if (m[1] === "/") { if (--depth === 0) return { start, end: close + 1 }; }
    else if (text[close - 1] !== "/") depth++;
  }
  return null;
}

type Mutation = (text: string, rand: Rand) => { text: string; what: string } | null;

const mutateNumber: Mutation = (text, rand) => {
  // Prefer whole values (>1024<, "2", = "4"): they are what parsers read as numbers.
  const whole = spans(text, /(?<=[>"'])\s*-?\d+(?:\.\d+)?\s*(?=[<"'])/g);
  const any = whole.length && rand() < 0.8 ? whole : spans(text, /\d+(?:\.\d+)?/g);
  if (!any.length) return null;
  const s = pick(rand, any);
  const orig = text.slice(s.start, s.end).trim();
  const repl = hostileNumber(rand, orig);
  return { text: splice(text, s, repl), what: `number ${JSON.stringify(orig)} -> ${JSON.stringify(repl.length > 30 ? repl.slice(0, 12) + `…(${repl.length})` : repl)}` };
};

const duplicateOrRemoveElement: Mutation = (text, rand) => {
  const starts = spans(text, /<[A-Za-z_]/g);
  for (let tries = 0; tries < 5 && starts.length; tries++) {
    const el = elementAt(text, pick(rand, starts).start);
    if (!el) continue;
    const name = /^<([^\s/>]+)/.exec(text.slice(el.start, el.start + 100))?.[1];
    if (rand() < 0.5) return { text: text.slice(0, el.end) + text.slice(el.start, el.end) + text.slice(el.end), what: `duplicate <${name}>` };
    return { text: splice(text, el, ""), what: `remove <${name}>` };
  }
  return null;
};

const inflateAttribute: Mutation = (text, rand) => {
  const values = spans(text, /(?<=\s[\w:.-]+=")[^"<]*(?=")/g);
  if (!values.length) return null;
  const s = pick(rand, values);
  const unit = text.slice(s.start, s.end) || "A";
  const target = 10_000 + Math.floor(rand() * 190_000);
  return { text: splice(text, s, unit.repeat(Math.ceil(target / unit.length)).slice(0, target)), what: `inflate attribute value to ${target} characters` };
};

const vmxLine: Mutation = (text, rand) => {
  const lines = text.split("\n");
  const i = Math.floor(rand() * lines.length);
  const r = rand();
  if (r < 0.35) { lines.splice(i, 0, lines[i]!); return { text: lines.join("\n"), what: `duplicate line ${i + 1}` }; }
  if (r < 0.7) { lines.splice(i, 1); return { text: lines.join("\n"), what: `remove line ${i + 1}` }; }
  const eq = lines[i]!.indexOf("=");
  if (eq < 0) return null;
  const target = 10_000 + Math.floor(rand() * 190_000);
  const unit = lines[i]!.slice(eq + 1).replace(/"/g, "").trim().slice(0, 100) || " ";
  lines[i] = `${lines[i]!.slice(0, eq + 1)} "${unit.repeat(Math.ceil(target / unit.length)).slice(0, target)}"`;
  return { text: lines.join("\n"), what: `inflate the value of line ${i + 1} to ${target} characters` };
};

/** A long run of spaces, tabs or blank lines inside a value or between lines (a 1 MB run of spaces once hung the VMX reader). */
const whitespaceRun: Mutation = (text, rand) => {
  const quotes = spans(text, /"[^"\n]*"/g);
  const at = quotes.length && rand() < 0.7 ? pick(rand, quotes).end - 1 : Math.floor(rand() * text.length);
  const unit = pick(rand, [" ", "\t", "\n", " \n", "\r\n"]);
  const length = 10_000 + Math.floor(rand() * 190_000);
  return { text: text.slice(0, at) + unit.repeat(Math.ceil(length / unit.length)) + "x" + text.slice(at), what: `insert ${length} of ${JSON.stringify(unit)} at ${at}` };
};

const truncate: Mutation = (text, rand) => {
  const at = Math.floor(rand() * text.length);
  return { text: text.slice(0, at), what: `cut at ${at} of ${text.length}` };
};

function mutate(text: string, isVmx: boolean, rand: Rand): { text: string; ops: string[] } {
  const ops: string[] = [];
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const r = rand();
    const m: Mutation = r < 0.45 ? mutateNumber : r < 0.65 ? (isVmx ? vmxLine : duplicateOrRemoveElement)
      : r < 0.82 ? (isVmx ? vmxLine : inflateAttribute) : r < 0.94 ? whitespaceRun : truncate;
    const out = m(text, rand);
    if (out) { text = out.text; ops.push(out.what); }
  }
  return { text, ops };
}

interface Run { args: string[]; mutant: string; ops: string[]; code: number | null; ms: number; stderr: string }

const tmp = tempDir();
let keepMutants = false;
after(() => { if (!keepMutants) tmp.remove(); });

test("mutated real descriptors end in exit 0 or 2 within the time bound, never an internal error or a hang", { skip: corpusSkipReason() }, async (t) => {
  const rand = prng(SEED);
  const sources = readdirSync(CORPUS).filter((f) => /\.(ovf|xml|vmx)$/i.test(f)).sort();
  assert.ok(sources.length > 0, `no descriptors in ${CORPUS}`);
  const worker = new DeadlineWorker();
  const runs: Run[] = [];
  const started = performance.now();
  try {
    for (const source of sources) {
      const original = readFileSync(join(CORPUS, source), "utf8");
      const isVmx = /\.vmx$/i.test(source);
      for (let k = 0; k < MUTANTS_PER_FILE; k++) {
        const { text, ops } = mutate(original, isVmx, rand);
        const mutant = tmp.path(`${source.replace(/\.[^.]+$/, "")}.m${k}${extname(source)}`);
        writeFileSync(mutant, text);
        // Both renderers: the table one formats sizes and counts, the JSON one only serialises.
        const args = ["inspect", mutant, "--format", k % 2 === 0 ? "json" : "table"];
        const r = await worker.run({ op: "inspect", args }, DEADLINE_MS);
        runs.push({ args, mutant, ops, code: r?.code ?? null, ms: r?.ms ?? DEADLINE_MS, stderr: r?.stderr ?? `no answer within ${DEADLINE_MS} ms (hang)` });
      }
    }
  } finally {
    await worker.close();
  }
  const elapsed = performance.now() - started;
  const bad = runs.filter((r) => r.code === null || (r.code !== 0 && r.code !== 2) || r.ms >= TIME_BOUND_MS || /^ {4}at /m.test(r.stderr));
  const byCode = new Map<string, number>();
  for (const r of runs) byCode.set(String(r.code), (byCode.get(String(r.code)) ?? 0) + 1);
  const slowest = runs.reduce((a, b) => (b.ms > a.ms ? b : a));
  t.diagnostic(`${runs.length} mutants of ${sources.length} descriptors (seed ${SEED}) in ${(elapsed / 1000).toFixed(1)} s; exits ${[...byCode].map(([c, n]) => `${c}: ${n}`).join(", ")}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.ops.join("; ")})`);
  if (bad.length) keepMutants = true;
  assert.deepEqual(bad.map((r) => `${r.mutant} [${r.ops.join("; ")}] -> exit ${r.code} in ${r.ms.toFixed(0)} ms: ${r.stderr.split("\n")[0]!.slice(0, 300)}`), [],
    `mutants failing (kept in ${tmp.dir})`);
  // The fuzz must reach both outcomes, and the range checks among the refusals, or it tests nothing.
  assert.ok((byCode.get("0") ?? 0) > 0 && (byCode.get("2") ?? 0) > 0, `exits: ${JSON.stringify([...byCode])}`);
  assert.ok(runs.some((r) => r.code === 2 && /expected a whole number/.test(r.stderr)), "some mutant is refused by a range check");

  // A sample through the real CLI gives the same exit statuses as main() in-process.
  const sample = [0, 2].flatMap((code) => {
    const withCode = runs.filter((r) => r.code === code);
    const step = Math.max(1, Math.floor(withCode.length / CLI_SAMPLE_PER_STATUS));
    return withCode.filter((_, i) => i % step === 0).slice(0, CLI_SAMPLE_PER_STATUS);
  });
  for (const r of sample) {
    const cli = runCli(r.args);
    if (cli.code !== r.code) keepMutants = true;
    assert.equal(cli.code, r.code, `${r.mutant} [${r.ops.join("; ")}]: CLI exit ${cli.code}, in-process ${r.code}: ${cli.stderr}`);
    assert.doesNotMatch(cli.stderr, /^ {4}at /m);
  }
});
