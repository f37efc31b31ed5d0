import { randomBytes } from "node:crypto";
import type { Probe, SectionOutput } from "./probe.js";
import type { CaptureOptions } from "./options.js";

/**
 * All probes of a capture in ONE guest script (one round trip): each snippet runs in its
 * own subshell with stdout, stderr and status in a private temp dir; slow ones (network
 * waits) start first in the background; at the end every section is printed between
 * markers carrying a per-run nonce, so no probe output can be mistaken for a marker.
 * Sections write to files, not to the SSH channel: if the connection drops, every
 * section (2.4's clean-up included) still runs to its end; only the final print fails.
 */
export interface CombinedScript {
  text: string;
  nonce: string;
  sections: string[];
}

export function buildCombinedScript(
  probes: readonly Probe[],
  opts: CaptureOptions,
  nonce = randomBytes(8).toString("hex"),
  /** Run in order, one after the other, in the background alongside the probes (2.4 and its check). */
  tail: readonly { name: string; snippet: string }[] = [],
): CombinedScript {
  const parts: { name: string; snippet: string; slow: boolean }[] = [];
  for (const p of probes) {
    const snippet = p.script(opts);
    if (snippet !== null) parts.push({ name: p.name, snippet, slow: !!p.slow });
  }
  const chain = tail.map((t) => ({ ...t, slow: false }));
  const run = (x: { name: string; snippet: string }) =>
    `(\n${x.snippet}\n) >"$T/${x.name}.out" 2>"$T/${x.name}.err" </dev/null; echo $? >"$T/${x.name}.rc"`;
  const text = [
    "T=$(mktemp -d 2>/dev/null || mktemp -d -p /dev/shm 2>/dev/null) || { echo 'tiosa: no writable temp directory in the guest' >&2; exit 97; }",
    "trap 'rm -rf \"$T\"' EXIT",
    "trap 'exit 129' HUP INT TERM PIPE",
    "export LC_ALL=C",
    ...parts.filter((x) => x.slow).map((x) => `{ ${run(x)}; } &`),
    // the tail sections run one after the other, alongside the probes
    ...(chain.length ? [`{ ${chain.map(run).join("\n")}; } &`] : []),
    ...parts.filter((x) => !x.slow).map(run),
    "wait",
    `for n in ${[...parts, ...chain].map((x) => x.name).join(" ")}; do`,
    `  echo "@@TIOSA:${nonce}:OUT:$n"; cat "$T/$n.out" 2>/dev/null`,
    `  echo; echo "@@TIOSA:${nonce}:ERR:$n"; cat "$T/$n.err" 2>/dev/null`,
    `  echo; echo "@@TIOSA:${nonce}:RC:$n:$(cat "$T/$n.rc" 2>/dev/null)"`,
    "done",
  ].join("\n");
  return { text, nonce, sections: [...parts, ...chain].map((x) => x.name) };
}

/** Cuts the combined output back into sections; a section cut short has code null. */
export function splitSections(stdout: string, nonce: string): Map<string, SectionOutput> {
  const m = new Map<string, SectionOutput>();
  const re = new RegExp(`^@@TIOSA:${nonce}:(OUT|ERR|RC):([A-Za-z0-9_-]+)(?::(\\d*))?$`, "gm");
  let cur: { name: string; part: "OUT" | "ERR"; from: number } | null = null;
  const strip = (s: string) => s.replace(/\n$/, "");
  const get = (name: string) => m.get(name) ?? { stdout: "", stderr: "", code: null };
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(stdout))) {
    const [, part, name, rc] = hit as unknown as [string, "OUT" | "ERR" | "RC", string, string | undefined];
    if (cur) {
      const body = strip(stdout.slice(cur.from, hit.index));
      const s = get(cur.name);
      // the script adds one newline after each part so a marker always starts a line
      if (cur.part === "OUT") s.stdout = body;
      else s.stderr = body;
      m.set(cur.name, s);
    }
    if (part === "RC") {
      const s = get(name);
      s.code = rc !== undefined && rc !== "" ? Number(rc) : null;
      m.set(name, s);
      cur = null;
    } else {
      cur = { name, part, from: hit.index + hit[0].length + 1 };
      if (!m.has(name)) m.set(name, get(name));
    }
  }
  return m;
}
