import { open } from "node:fs/promises";
import { constants } from "node:fs";
import type { z } from "zod";
import { UserError, errorMessage } from "../errors.js";

/** Snapshots and campaign results are small; a larger file is a mistake or hostile. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * Reads a text file, refusing anything over `maxBytes` before reading it whole, and anything
 * that is not a regular file (a FIFO would block the read until a writer came, a device would
 * never end): opened non-blocking, then checked on the open descriptor (no race with a swap).
 */
export async function readTextFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${what} '${path}': ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : errorMessage(e)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO (named pipe)" : st.isSocket() ? "a socket" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "something else";
      throw new UserError(`${what} '${path}': ${kind}, not a regular file; tiosa reads ${what}s from regular files only`);
    }
    if (st.size > maxBytes) {
      throw new UserError(`${what} '${path}': ${st.size} bytes is over the ${maxBytes}-byte limit for this kind of file`);
    }
    if (st.size === 0) throw new UserError(`${what} '${path}': the file is empty`);
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/** Formats a zod issue path as a JSON path: $.guest.interfaces[0].mac */
export function jsonPath(path: readonly PropertyKey[]): string {
  return "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_][\w]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join("");
}

export function describeIssues(error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map((i) => `${jsonPath(i.path)}: ${i.message}`);
  if (error.issues.length > max) lines.push(`... and ${error.issues.length - max} more`);
  return lines.join("; ");
}

/** Reads and validates a JSON file; every error names the file and the JSON path. */
export async function readJsonFile<S extends z.ZodTypeAny>(path: string, what: string, schema: S): Promise<z.infer<S>> {
  const text = await readTextFile(path, what);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what} '${path}': not valid JSON (${errorMessage(e)})`);
  }
  return validate(data, schema, `${what} '${path}'`);
}

export function validate<S extends z.ZodTypeAny>(data: unknown, schema: S, label: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new UserError(`${label}: ${describeIssues(r.error)}`);
  return r.data;
}
