import type { z } from "zod";
import { UserError } from "../errors.js";
import { openRegularFile } from "./regular-file.js";

/** Snapshots and campaign results are small; a larger file is a mistake or hostile. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * Reads a text file, refusing anything that is not a regular file (a FIFO would block the read
 * until a writer came, a device would never end) and anything over `maxBytes` before reading
 * it whole.
 */
export async function readTextFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  const { fh, size } = await openRegularFile(path, { label: `${what} '${path}'`, expected: `tiosa reads ${what}s from regular files only` });
  try {
    if (size > maxBytes) {
      throw new UserError(`${what} '${path}': ${size} bytes is over the ${maxBytes}-byte limit for this kind of file`);
    }
    if (size === 0) throw new UserError(`${what} '${path}': the file is empty`);
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/** Formats a zod issue path as a JSON path: $.guest.interfaces[0].mac */
function jsonPath(path: readonly PropertyKey[]): string {
  return "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_][\w]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join("");
}

export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map((i) => `${jsonPath(i.path)}: ${i.message}`);
  if (error.issues.length > max) lines.push(`... and ${error.issues.length - max} more`);
  return lines.join("; ");
}

export function validate<S extends z.ZodTypeAny>(data: unknown, schema: S, label: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new UserError(`${label}: ${describeIssues(r.error)}`);
  return r.data;
}
