import type { Reporter } from "../reporter.js";

/** The report model as it is (format `tiosa-report/1`), for scripts. */
export const jsonReporter: Reporter = {
  name: "json",
  extension: "json",
  render: (model) => JSON.stringify(model, null, 2),
};
