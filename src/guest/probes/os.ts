import type { Probe } from "../probe.js";
import { subsections, nonEmptyLines } from "../probe.js";

/** 2.1: kernel release, version and architecture, plus the OS identity for the report. */
export const osProbe: Probe = {
  name: "os",
  fields: ["hostname", "os", "kernel"],
  script: () => [
    "echo '### hostname'; cat /proc/sys/kernel/hostname 2>/dev/null || hostname",
    "echo '### os-release'; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null",
    "echo '### uname'; uname -r; uname -m; uname -v",
  ].join("\n"),
  parse(out) {
    const s = subsections(out.stdout);
    const [release, arch, ...version] = (s.get("uname") ?? "").split("\n").filter((l) => l.trim() !== "");
    if (!release || !arch) throw new Error(`uname printed nothing usable: ${JSON.stringify(s.get("uname") ?? out.stderr)}`);
    const osr = parseOsRelease(s.get("os-release") ?? "");
    const hostname = nonEmptyLines(s.get("hostname"))[0] ?? null;
    return {
      hostname,
      os: osr.size ? { id: osr.get("ID") ?? null, versionId: osr.get("VERSION_ID") ?? null, prettyName: osr.get("PRETTY_NAME") ?? null } : null,
      kernel: { release: release.trim(), arch: arch.trim(), version: version.join(" ").trim() || null },
    };
  },
};

/** os-release(5): KEY=value, value optionally quoted with shell-like escapes. */
export function parseOsRelease(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const r = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!r) continue;
    let v = r[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\$`])/g, "$1");
    }
    m.set(r[1]!, v);
  }
  return m;
}
