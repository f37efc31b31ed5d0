#!/usr/bin/env node
// Lists the names src/ exports that nothing imports: not a file of src/, test/, bench/ or
// bin/, and no re-export (`export { x } from`, `export * from`) either. Uses the TypeScript
// compiler (node_modules) to resolve module specifiers, so `.js` paths, index files and
// type-only imports count like the build sees them. A dynamic `import("./x.js")` or a
// namespace import (`import * as ns`) counts as using every export of that module.
//
// Usage: node scripts/dead-exports.mjs [--json]   (run from the repository root)
// Each line: file, name, and whether the file itself still uses the name ("local": drop
// the `export` keyword) or nothing does ("unused": delete it).
import ts from "typescript";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

const ROOT = process.cwd();
const cfgPath = ts.findConfigFile(ROOT, ts.sys.fileExists, "tsconfig.json");
if (!cfgPath) throw new Error("no tsconfig.json: run from the repository root");
const cfg = ts.getParsedCommandLineOfConfigFile(cfgPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
const program = ts.createProgram(cfg.fileNames, { ...cfg.options, noEmit: true });
const checker = program.getTypeChecker();
const rel = (p) => relative(ROOT, p).split(sep).join("/");

/** file -> names imported from it; files whose every export counts as used. */
const used = new Map();
const allUsed = new Set();
const use = (file, name) => { if (!used.has(file)) used.set(file, new Set()); used.get(file).add(name); };

function targetOf(spec) {
  const sym = spec && checker.getSymbolAtLocation(spec);
  const decl = sym?.valueDeclaration ?? sym?.declarations?.[0];
  return decl && ts.isSourceFile(decl) ? rel(decl.fileName) : null;
}

const ours = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !sf.fileName.includes("/node_modules/"));
for (const sf of ours) {
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const t = targetOf(node.moduleSpecifier);
      const c = node.importClause;
      if (t && c) {
        if (c.name) use(t, "default");
        const nb = c.namedBindings;
        if (nb && ts.isNamespaceImport(nb)) allUsed.add(t);
        if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) use(t, (e.propertyName ?? e.name).text);
      }
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const t = targetOf(node.moduleSpecifier);
      if (t) {
        if (!node.exportClause || ts.isNamespaceExport(node.exportClause)) allUsed.add(t);
        else for (const e of node.exportClause.elements) use(t, (e.propertyName ?? e.name).text);
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const t = targetOf(node.arguments[0]);
      if (t) allUsed.add(t);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const t = targetOf(node.argument.literal);
      if (t) allUsed.add(t);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

// bin/*.js load the build (dist/src/...): count their imports against the sources.
for (const f of readdirSync(join(ROOT, "bin")).filter((n) => n.endsWith(".js"))) {
  const text = readFileSync(join(ROOT, "bin", f), "utf8");
  for (const m of text.matchAll(/import\s*(?:\{([^}]*)\}\s*from\s*)?\(?\s*["']([^"']+)["']/g)) {
    const target = rel(resolve(ROOT, "bin", m[2])).replace(/^dist\//, "").replace(/\.js$/, ".ts");
    if (!m[1]) allUsed.add(target);
    else for (const n of m[1].split(",")) { const name = n.trim().split(/\s+as\s+/)[0]; if (name) use(target, name); }
  }
}

const dead = [];
for (const sf of ours) {
  const file = rel(sf.fileName);
  if (!file.startsWith("src/") || allUsed.has(file)) continue;
  const mod = checker.getSymbolAtLocation(sf);
  if (!mod) continue;
  for (const sym of checker.getExportsOfModule(mod)) {
    const name = sym.escapedName.toString();
    if (used.get(file)?.has(name)) continue;
    const mentions = (sf.text.match(new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`, "g")) ?? []).length;
    dead.push({ file, name, use: mentions > 1 ? "local" : "unused" });
  }
}
dead.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
if (process.argv.includes("--json")) console.log(JSON.stringify(dead, null, 1));
else for (const d of dead) console.log(`${d.file}\t${d.name}\t${d.use}`);
