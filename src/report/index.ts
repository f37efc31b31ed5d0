import type { ReportModel } from "./model.js";
import { tableReporter } from "./reporters/table.js";
import { jsonReporter } from "./reporters/json.js";
import { junitReporter } from "./reporters/junit.js";
import { htmlReporter } from "./reporters/html.js";
import { mdReporter } from "./reporters/md.js";

/** One output format of `tiosa report`: a module in ./reporters/ exporting one of these. */
export interface Reporter {
  name: string;
  /** File extension for `--out` suggestions and the demo's report file. */
  extension: string;
  render(model: ReportModel): string;
}

/** The registry; the first is the default. A new format is one module plus one entry here. */
export const REPORTERS: readonly Reporter[] = [tableReporter, jsonReporter, junitReporter, htmlReporter, mdReporter];

export function getReporter(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.name === name);
}

export { buildReportModel, type ReportModel } from "./model.js";
