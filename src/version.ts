import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * tiosa's version, read once from its package.json: the one value snapshots (`tool.version`),
 * run stores and `--version` carry. Found by walking up from this file, which runs from src/
 * under a TypeScript loader and from dist/src/ once built.
 */
function readVersion(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const p = join(d, "package.json");
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tiosa" && pkg.version) return pkg.version;
    }
    if (d === dirname(d)) throw new Error("tiosa's package.json not found above " + fileURLToPath(import.meta.url));
  }
}

export const TIOSA_VERSION = readVersion();
