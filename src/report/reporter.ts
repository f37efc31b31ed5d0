import type { ReportModel } from "./model.js";

/**
 * One output format of `tiosa report`: a module in ./reporters/ exporting one of these.
 * Apart from the registry (./index.ts) so a reporter imports only this contract and the
 * registry imports the reporters: no cycle, as vitest keeps its Reporter type apart.
 */
export interface Reporter {
  name: string;
  /** File extension for `--out` suggestions and the demo's report file. */
  extension: string;
  render(model: ReportModel): string;
}
