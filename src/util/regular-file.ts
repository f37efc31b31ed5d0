import { constants } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { UserError, errorMessage } from "../errors.js";
import { checkFileSize } from "../descriptors/limits.js";

/**
 * How a file the user named is called in messages: `label` comes first ("campaign file
 * 'x.yaml'"), `expected` says what should have been there.
 */
interface FileRole {
  label: string;
  expected: string;
}

/** A descriptor given to inspect, routes, migrate... */
const descriptorRole = (path: string): FileRole => ({ label: path, expected: "a descriptor is an .ovf, .ova, .vmx or libvirt .xml file" });

/**
 * Opens a file the user named, refusing anything but a regular file before it can block or
 * have side effects: stat first (a FIFO, device or directory is never opened), then open
 * with O_NONBLOCK (a FIFO swapped in after the stat opens at once instead of waiting for a
 * writer) and check the opened file again with fstat, which is what is read.
 */
export async function openRegularFile(path: string, role: FileRole = descriptorRole(path)): Promise<{ fh: FileHandle; size: number }> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => { throw openError(role.label, e); });
  if (!st.isFile()) throw notRegular(role, st);
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((e: NodeJS.ErrnoException) => { throw openError(role.label, e); });
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) throw notRegular(role, fst);
    return { fh, size: fst.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Reads an opened file whole, at most `limit` bytes: a file that grew past the limit
 * after its size was checked is refused too rather than read on.
 */
export async function readAtMost(fh: FileHandle, path: string, limit: number, kind: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(1 << 20, limit + 1 - total));
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > limit) checkFileSize(path, Math.max(total, (await fh.stat()).size), limit, kind);
  }
  return Buffer.concat(chunks, total);
}

function notRegular(role: FileRole, st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): UserError {
  const what = st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO (named pipe)" : st.isCharacterDevice() ? "a character device"
    : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "not a regular file";
  return new UserError(`${role.label}: not a regular file (${what}); ${role.expected}`);
}

function openError(path: string, e: NodeJS.ErrnoException): UserError {
  if (e.code === "ENOENT" || e.code === "ENOTDIR") return new UserError(`${path}: no such file`);
  if (e.code === "EACCES" || e.code === "EPERM") return new UserError(`${path}: permission denied`);
  if (e.code === "ELOOP") return new UserError(`${path}: too many levels of symbolic links`);
  return new UserError(`${path}: cannot open (${errorMessage(e)})`);
}
