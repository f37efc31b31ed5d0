import { z } from "zod";
import type { Command } from "../command.js";
import { UserError } from "../../errors.js";
import { SCHEMAS } from "../../schemas.js";

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the JSON Schema of a tiosa document (snapshot, campaign, rules, ...)",
  usage: `NAME   (one of: ${Object.keys(SCHEMAS).join(", ")})`,
  formats: ["json"],
  async run(ctx) {
    const name = ctx.positionals[0];
    const entry = name ? SCHEMAS[name] : undefined;
    if (!entry) {
      throw new UserError(`${name ? `unknown schema '${name}'` : "missing schema name"}; known: ${Object.keys(SCHEMAS).join(", ")}`);
    }
    const schema = z.toJSONSchema(entry.schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
    ctx.out(JSON.stringify({ $id: `https://tiosa.dev/schema/${entry.id}.json`, title: entry.title, ...schema }, null, 2));
    return 0;
  },
};
