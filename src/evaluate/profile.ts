import { YamlSource } from "../util/yaml-file.js";
import { readTextFile } from "../util/json-file.js";
import { testById } from "../method/catalogue.js";
import { RulesProfile } from "./profile-schema.js";

// The schema lives apart (profile-schema.ts) because the rules read it and the catalogue is
// derived from the test modules that hold those rules: loading a file checks its test ids
// against the catalogue, so only the loader may import the catalogue.
export { RulesProfile, DEFAULT_PROFILE, selectorMatches } from "./profile-schema.js";

function selectorIsKnown(selector: string): boolean {
  if (selector.startsWith("app:")) return selector.length > 4;
  if (selector.endsWith("*")) return true;
  const def = testById(selector);
  return def !== undefined && def.level !== "overall";
}

export function parseRulesProfile(text: string, file: string): RulesProfile {
  const yaml = YamlSource.parse(text, file, "rules file");
  const profile = yaml.validate(RulesProfile);
  for (const [kind, list] of [["waivers", profile.waivers], ["caps", profile.caps]] as const) {
    list.forEach((entry, i) => {
      if (!selectorIsKnown(entry.test)) {
        throw yaml.errorAt([kind, i, "test"], `unknown test '${entry.test}' (see \`tiosa tests\`; aggregation rules 3.x cannot be waived)`);
      }
    });
  }
  return profile;
}

export async function loadRulesProfile(file: string): Promise<RulesProfile> {
  const text = await readTextFile(file, "rules file", 1024 * 1024);
  return parseRulesProfile(text, file);
}
