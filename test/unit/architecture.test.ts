import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Layering rules of src/, checked on the sources (this file runs from dist/test/unit):
 * every static `import ... from` and `export ... from`, type-only ones included (a type
 * import is still a dependency a reader follows, and the cycles it makes confuse the build
 * order of a split), plus side-effect imports. Dynamic `import()` is lazy and not counted.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SRC = join(ROOT, "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Repository-relative path with forward slashes: "src/routes/discover.ts". */
const rel = (p: string) => relative(ROOT, p).split(sep).join("/");

const IMPORT_FROM = /^\s*(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^\s*import\s*["']([^"']+)["']/gm;

function resolveSpec(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

const graph = new Map<string, string[]>();
const sources = new Map<string, string>();
for (const f of tsFiles(SRC)) {
  const text = readFileSync(f, "utf8");
  sources.set(rel(f), text);
  const deps = new Set<string>();
  for (const re of [IMPORT_FROM, SIDE_EFFECT]) {
    for (const m of text.matchAll(re)) {
      const target = resolveSpec(f, m[1]!);
      if (target) deps.add(rel(target));
    }
  }
  graph.set(rel(f), [...deps].sort());
}

/** Strongly connected components of more than one file (or a file importing itself), each as one cycle path. */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const sccs: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) sccs.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  // One concrete path per component: from its first file, follow imports inside it back to the start.
  return sccs.map((scc) => {
    const inside = new Set(scc);
    const start = [...scc].sort()[0]!;
    const find = (path: string[]): string[] | null => {
      for (const w of graph.get(path[path.length - 1]!) ?? []) {
        if (w === start) return [...path, w];
        if (inside.has(w) && !path.includes(w)) { const p = find([...path, w]); if (p) return p; }
      }
      return null;
    };
    return find([start]) ?? scc;
  });
}

const allCycles = cycles();
const show = (cs: string[][]) => cs.map((c) => c.join(" -> ")).join("\n");

test("the import graph was read (sanity)", () => {
  assert.ok(graph.size > 100, `${graph.size} files`);
  assert.ok(graph.get("src/routes/discover.ts")?.includes("src/routes/adapt.ts"));
  assert.ok(graph.get("src/campaign/store.ts")?.includes("src/campaign/store/jobs.ts"));
});

test("(a) no import cycles in src/ (type imports included)", () => {
  assert.equal(allCycles.length, 0, `import cycles:\n${show(allCycles)}`);
});

test("(b) nothing in src/hypervisor imports src/cli", () => {
  const bad = [...graph].flatMap(([f, deps]) => (f.startsWith("src/hypervisor/") ? deps.filter((d) => d.startsWith("src/cli/")).map((d) => `${f} -> ${d}`) : []));
  assert.deepEqual(bad, []);
});

test("(c) no file outside src/hypervisor imports src/hypervisor/libvirt/", () => {
  const bad = [...graph].flatMap(([f, deps]) => (f.startsWith("src/hypervisor/") ? [] : deps.filter((d) => d.startsWith("src/hypervisor/libvirt/")).map((d) => `${f} -> ${d}`)));
  assert.deepEqual(bad, []);
});

test("(c) Table II sees the driver interface only, never libvirt's implementation", () => {
  const bad = [...graph].flatMap(([f, deps]) => (f.startsWith("src/hypervisor/table2/") ? deps.filter((d) => d.startsWith("src/hypervisor/libvirt/")).map((d) => `${f} -> ${d}`) : []));
  assert.deepEqual(bad, []);
});

test("(d) no instanceof on a driver class: callers use the driver interface's capabilities", () => {
  const bad = [...sources].flatMap(([f, text]) => [...text.matchAll(/instanceof\s+\w*Driver\b/g)].map((m) => `${f}: ${m[0]}`));
  assert.deepEqual(bad, []);
});
