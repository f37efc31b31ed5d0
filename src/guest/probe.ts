import type { GuestState } from "../snapshot/schema.js";
import type { CaptureOptions } from "./options.js";

/** What one probe's section of the combined script printed. */
export interface SectionOutput {
  stdout: string;
  stderr: string;
  /** Exit status of the section's subshell; null when the section never finished. */
  code: number | null;
}

/**
 * One group of Table III: a POSIX sh snippet run inside the guest, and a pure parser from
 * its output to its fields of GuestState. Parsers throw on output they cannot read; the
 * capture records that in `errors` and leaves the fields null.
 */
export interface Probe {
  /** Section name; also the `probe` of an error. */
  name: string;
  /** GuestState fields this probe fills (set to null when it fails). */
  fields: readonly (keyof GuestState)[];
  /** Network waits (ping, DNS, HTTP): started first and run concurrently with the rest. */
  slow?: boolean;
  /** The snippet, or null when the options do not ask for this probe. */
  script(opts: CaptureOptions): string | null;
  parse(out: SectionOutput, opts: CaptureOptions): Partial<GuestState>;
}

/** Splits a section's stdout on `### key` lines (the snippets' own sub-markers). */
export function subsections(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  let key: string | null = null;
  let buf: string[] = [];
  const flush = () => { if (key !== null) m.set(key, buf.join("\n")); };
  for (const line of stdout.split("\n")) {
    const h = /^### (\S+)\s*$/.exec(line);
    if (h) { flush(); key = h[1]!; buf = []; }
    else if (key !== null) buf.push(line);
  }
  flush();
  return m;
}

export function nonEmptyLines(s: string | undefined): string[] {
  return (s ?? "").split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
}
