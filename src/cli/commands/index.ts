import type { Command } from "../command.js";
import { testsCommand } from "./tests.js";
import { schemaCommand } from "./schema.js";
import { compareCommand } from "./compare.js";
import { doctorCommand } from "./doctor.js";
import { probeCommand } from "./probe.js";

/**
 * The command registry. A new command is one new file in this folder plus one line here.
 * Keep the list in the order `tiosa help` should show it.
 */
export const commands: Command[] = [
  compareCommand,
  probeCommand,
  testsCommand,
  schemaCommand,
  doctorCommand,
];
