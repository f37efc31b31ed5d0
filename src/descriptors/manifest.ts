import { createHash } from "node:crypto";

/**
 * OVF manifest (.mf): one `ALGO(name)= hex` line per file. ovftool writes `SHA256(x)= ..`,
 * VirtualBox and `sha1sum --tag` write `SHA1 (x) = ..`; both are accepted.
 */
interface ManifestLine {
  algorithm: "sha1" | "sha256" | "sha512";
  name: string;
  digest: string;
}

const LINE = /^\s*(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)\s*$/;

export function parseManifest(text: string): { lines: ManifestLine[]; bad: string[] } {
  const lines: ManifestLine[] = [], bad: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === "") continue;
    const m = LINE.exec(raw);
    if (!m) { bad.push(raw.slice(0, 120)); continue; }
    lines.push({ algorithm: m[1]!.toLowerCase() as ManifestLine["algorithm"], name: m[2]!, digest: m[3]!.toLowerCase() });
  }
  return { lines, bad };
}

export function formatManifest(entries: Array<{ name: string; sha256: string }>): string {
  return entries.map((e) => `SHA256(${e.name})= ${e.sha256}\n`).join("");
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
