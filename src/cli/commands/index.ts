import type { Command } from "../command.js";

/**
 * The command registry. A new command is one new file in this folder plus one line here.
 * Commands load lazily: `tiosa compare` should not pay for libvirt, SQLite or SSH modules.
 * Keep the list in the order `tiosa help` should show it.
 */
export interface CommandEntry {
  name: string;
  load: () => Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: "compare", load: async () => (await import("./compare.js")).compareCommand },
  { name: "run", load: async () => (await import("./run.js")).runCommand },
  { name: "worker", load: async () => (await import("./worker.js")).workerCommand },
  { name: "demo", load: async () => (await import("./demo.js")).demoCommand },
  { name: "report", load: async () => (await import("./report.js")).reportCommand },
  { name: "probe", load: async () => (await import("./probe.js")).probeCommand },
  { name: "tests", load: async () => (await import("./tests.js")).testsCommand },
  { name: "schema", load: async () => (await import("./schema.js")).schemaCommand },
  { name: "doctor", load: async () => (await import("./doctor.js")).doctorCommand },
  { name: "images", load: async () => (await import("./images.js")).imagesCommand },
  { name: "routes", load: async () => (await import("./routes.js")).routesCommand },
  { name: "migrate", load: async () => (await import("./migrate.js")).migrateCommand },
  { name: "assess", load: async () => (await import("./assess.js")).assessCommand },
  { name: "inspect", load: async () => (await import("./inspect.js")).inspectCommand },
  { name: "hypervisor-tests", load: async () => (await import("./hypervisor-tests.js")).hypervisorTestsCommand },
  { name: "capture", load: async () => (await import("./capture.js")).captureCommand },
  { name: "cleanup", load: async () => (await import("./cleanup.js")).cleanupCommand },
  { name: "adapt", load: async () => (await import("./adapt.js")).adaptCommand },
];
