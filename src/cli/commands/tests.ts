import type { Command } from "../command.js";
import { CATALOGUE, APP_TEST } from "../../method/catalogue.js";
import { renderTable } from "../../util/table.js";

export const testsCommand: Command = {
  name: "tests",
  summary: "List the TIOSA test catalogue (Tables II, III, IV) with each outcome's condition",
  usage: "[--format table|json]",
  async run(ctx) {
    if (ctx.format === "json") {
      ctx.out(JSON.stringify({ tests: CATALOGUE, applicationChecks: APP_TEST }, null, 2));
      return 0;
    }
    ctx.out(renderTable(
      ["ID", "Test", "Level", "SUCCESS", "WARNING", "FAILURE"],
      CATALOGUE.map((t) => [t.id, t.name, t.level, t.success, t.warning, t.failure]),
      { maxWidth: [6, 30, 10, 40, 40, 40] },
    ));
    ctx.out(`\nApplication checks (app:NAME, declared per campaign): SUCCESS ${APP_TEST.success}; WARNING ${APP_TEST.warning}; FAILURE ${APP_TEST.failure}.`);
    return 0;
  },
};
