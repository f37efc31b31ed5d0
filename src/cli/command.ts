import type { ParseArgsConfig } from "node:util";

/** Output format shared by every command: human text, or machine JSON on stdout. */
export type Format = "table" | "json" | (string & {});

export interface CommandContext {
  /** Positional arguments after the command name. */
  positionals: string[];
  /** Parsed options (strings/booleans, arrays for `multiple`). */
  options: Record<string, string | boolean | string[] | undefined>;
  format: Format;
  /** Machine or human output: stdout. */
  out: (text: string) => void;
  /** Progress and messages: stderr, so `--format json` stays parseable. */
  err: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM: long commands pass it down so they clean up. */
  signal: AbortSignal;
}

/**
 * One CLI command. Each lives in its own file under src/cli/commands/ and is
 * listed once in src/cli/commands/index.ts; nothing else needs to change.
 */
export interface Command {
  name: string;
  /** One line for `tiosa help`. */
  summary: string;
  /** e.g. "SOURCE.json TARGET.json [--rules FILE]" */
  usage: string;
  /** Extra options beyond the global --format/--help. */
  options?: ParseArgsConfig["options"];
  /** Formats this command can print; the first one is the default. */
  formats?: string[];
  /** Returns the exit status (see src/errors.ts ExitCode). */
  run(ctx: CommandContext): Promise<number>;
}
