import { parseArgs } from "node:util";
import { commands } from "./commands/index.js";
import type { Command, CommandContext } from "./command.js";
import { ExitCode, isUserError, errorMessage } from "../errors.js";
import { TIOSA_VERSION } from "../version.js";

async function helpText(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  const width = Math.max(...loaded.map((c) => c.name.length));
  const lines = [
    "tiosa: Testing Interoperability on OS and Application level",
    "",
    "Usage: tiosa COMMAND [ARGS] [--format table|json]",
    "",
    "Commands:",
    ...loaded.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit status: 0 SUCCESS, 10 WARNING, 20 FAILURE, 2 bad input or unreachable target, 1 internal error.",
    "Run `tiosa COMMAND --help` for a command's arguments.",
  ];
  return lines.join("\n");
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(
    ([k, v]) => `  --${k}${v.type === "string" ? " VALUE" : ""}${v.multiple ? " (repeatable)" : ""}`,
  );
  return [
    `Usage: tiosa ${c.name} ${c.usage}`,
    "",
    c.summary,
    "",
    "Options:",
    ...opts,
    `  --format ${(c.formats ?? ["table", "json"]).join("|")}`,
    "  --help",
  ].join("\n");
}

/** Runs the CLI; returns the exit status. Never throws. */
export async function main(argv: string[], io?: { out?: (s: string) => void; err?: (s: string) => void }): Promise<number> {
  const out = io?.out ?? ((s: string) => process.stdout.write(s.endsWith("\n") ? s : s + "\n"));
  const err = io?.err ?? ((s: string) => process.stderr.write(s.endsWith("\n") ? s : s + "\n"));
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    out(await helpText());
    return name ? ExitCode.SUCCESS : ExitCode.BAD_INPUT;
  }
  if (name === "--version") {
    out(await version());
    return ExitCode.SUCCESS;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    err(`tiosa: unknown command '${name}'. Run 'tiosa help' for the list.`);
    return ExitCode.BAD_INPUT;
  }
  const command = await entry.load();
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...(command.options ?? {}),
        format: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    err(`tiosa ${name}: ${errorMessage(e)}\n${commandHelp(command)}`);
    return ExitCode.BAD_INPUT;
  }
  if (parsed.values.help) {
    out(commandHelp(command));
    return ExitCode.SUCCESS;
  }
  const formats = command.formats ?? ["table", "json"];
  const format = (parsed.values.format as string | undefined) ?? formats[0]!;
  if (!formats.includes(format)) {
    err(`tiosa ${name}: --format must be one of ${formats.join(", ")} (got '${format}')`);
    return ExitCode.BAD_INPUT;
  }
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: give up cleaning
    err(`tiosa: ${sig} received, cleaning up (press Ctrl-C again to abort at once)`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const ctx: CommandContext = {
    positionals: parsed.positionals,
    options: parsed.values as CommandContext["options"],
    format,
    out,
    err,
    signal: controller.signal,
  };
  try {
    return await command.run(ctx);
  } catch (e) {
    if (isUserError(e)) {
      err(`tiosa ${name}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
      return ExitCode.BAD_INPUT;
    }
    if (controller.signal.aborted) {
      err(`tiosa ${name}: interrupted`);
      return 130;
    }
    err(`tiosa ${name}: internal error: ${errorMessage(e)}`);
    if (process.env.TIOSA_DEBUG) err(String((e as Error)?.stack ?? e));
    else err("  (set TIOSA_DEBUG=1 for a stack trace, and please report it)");
    return ExitCode.INTERNAL;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function version(): Promise<string> {
  return `tiosa ${TIOSA_VERSION}`;
}
