import { UserError } from "../errors.js";
import { readTextFile, validate } from "../util/json-file.js";
import { Snapshot, SNAPSHOT_VERSION } from "./schema.js";

/** Loads a snapshot file; a wrong or missing schemaVersion is named as such, not as a type error. */
export async function loadSnapshot(path: string): Promise<Snapshot> {
  const text = await readTextFile(path, "snapshot");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`snapshot '${path}': not valid JSON (${(e as Error).message})`);
  }
  return parseSnapshot(data, `snapshot '${path}'`);
}

export function parseSnapshot(data: unknown, label = "snapshot"): Snapshot {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new UserError(`${label}: $: expected a JSON object`);
  }
  const v = (data as Record<string, unknown>).schemaVersion;
  if (v !== SNAPSHOT_VERSION) {
    throw new UserError(
      `${label}: $.schemaVersion: ${v === undefined ? "missing" : `unknown schema version ${JSON.stringify(v)}`}; this tiosa reads ${SNAPSHOT_VERSION}`,
    );
  }
  return validate(data, Snapshot, label);
}
