import type { Command } from "../command.js";
import { testsCommand } from "./tests.js";
import { schemaCommand } from "./schema.js";
import { compareCommand } from "./compare.js";
import { reportCommand } from "./report.js";
import { doctorCommand } from "./doctor.js";
import { probeCommand } from "./probe.js";
import { imagesCommand } from "./images.js";
import { routesCommand } from "./routes.js";
import { inspectCommand } from "./inspect.js";
import { hypervisorTestsCommand } from "./hypervisor-tests.js";
import { captureCommand } from "./capture.js";
import { cleanupCommand } from "./cleanup.js";
import { adaptCommand } from "./adapt.js";
import { migrateCommand } from "./migrate.js";

/**
 * The command registry. A new command is one new file in this folder plus one line here.
 * Keep the list in the order `tiosa help` should show it.
 */
export const commands: Command[] = [
  compareCommand,
  reportCommand,
  probeCommand,
  testsCommand,
  schemaCommand,
  doctorCommand,
  imagesCommand,
  routesCommand,
  migrateCommand,
  inspectCommand,
  hypervisorTestsCommand,
  captureCommand,
  cleanupCommand,
  adaptCommand,
];
