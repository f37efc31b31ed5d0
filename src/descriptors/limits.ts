import { UserError } from "../errors.js";

/**
 * Limits on what tiosa reads from a descriptor: the ranges of the numbers it states and
 * the sizes of the files it reads whole. A descriptor is someone else's file, so a value
 * outside these is refused with the file, the field, the value and the range, never
 * carried on into the inventory (where it used to fail schema validation as an
 * "internal error") or into arithmetic that overflows to Infinity.
 *
 * The ranges are wide enough for any VM a hypervisor can run today and narrow enough that
 * every byte count stays an exact JavaScript number:
 * - vCPUs: whole numbers 1..4096. 4096 is the most any x86 hypervisor accepts today
 *   (QEMU's q35 machine with x2APIC on a large-system KVM kernel; vSphere 8 stops at 768,
 *   Hyper-V at 2048); 0 vCPUs is not a VM.
 * - CPU topology (sockets, cores per socket, threads per core): whole numbers 1..4096,
 *   since each factor is at most the vCPU count.
 * - Memory: whole bytes, 1 byte..256 TiB (2^48, the 48-bit guest physical address space
 *   of x86-64 without 5-level paging; the largest VMs offered, vSphere's 24 TiB and
 *   Hyper-V's 240 TiB, fit under it).
 * - Disk and file sizes: whole bytes, 0..2^53-1 (8 PiB), the largest integer a JavaScript
 *   number holds exactly (past it, two different capacities compare equal); the disk
 *   formats descriptors name stop far below it (VMDK 62 TiB, VHDX 64 TiB). 0 is allowed:
 *   producers write it for empty CD-ROM and placeholder disks.
 */

export interface NumberRange {
  min: number;
  max: number;
  /** What the range counts, for messages: things (vCPUs, sockets) or bytes. */
  unit: "count" | "bytes";
}

export const VCPU_COUNT: NumberRange = { min: 1, max: 4096, unit: "count" };
export const CPU_TOPOLOGY: NumberRange = { min: 1, max: 4096, unit: "count" };
export const MEMORY_BYTES: NumberRange = { min: 1, max: 2 ** 48, unit: "bytes" };
export const DISK_BYTES: NumberRange = { min: 0, max: Number.MAX_SAFE_INTEGER, unit: "bytes" };

/**
 * Largest files read whole into memory, by kind. A .vmx is a few KB (the biggest in the
 * shared corpus is 6 KB; even every device slot VMware allows, fully described, stays
 * far under 1 MiB), so 1 MiB leaves room for any real one while refusing a file that is
 * something else. OVF descriptors carry EULAs and vApps of many VMs (the corpus's largest
 * is 20 KB, but EULA-heavy appliances reach hundreds of KB), hence 16 MiB, the same bound
 * the OVA reader applies to its descriptor entry; libvirt domain XML shares it.
 */
export const MAX_VMX_BYTES = 2 ** 20;
export const MAX_XML_DESCRIPTOR_BYTES = 16 * 2 ** 20;

/** A place in a descriptor: the file (origin) and the element, attribute or key. */
interface FieldRef {
  origin: string;
  /** How the user finds it: "numvcpus", "<vcpu>", "CPU item 1 VirtualQuantity". */
  field: string;
}

const NUMERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

/**
 * The number a field's text states, or null when the text is not a number at all (a word,
 * an OVF property reference "${x}", empty). Signs, fractions, exponents and inf/nan are
 * read as numbers so that the range check, not a "not a number" fallback, reports them.
 * The patterns are anchored and backtrack at most linearly (a 1 MB numeral is fine).
 */
export function readNumeral(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const t = raw.trim();
  if (NUMERAL.test(t)) return Number(t);
  if (NON_FINITE.test(t)) return /nan/i.test(t) ? NaN : t.startsWith("-") ? -Infinity : Infinity;
  return null;
}

/** A value as written, short enough for a one-line message. */
export function shownValue(raw: string): string {
  const t = raw.trim();
  if (t.length <= 40) return JSON.stringify(t);
  return `${JSON.stringify(t.slice(0, 24) + "…")} (${t.length} characters)`;
}

const BYTE_UNITS: Array<[number, string]> = [[2 ** 50, "PiB"], [2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];

/** 281474976710656 -> "256 TiB"; sizes that are not a whole number of a unit keep their digits. */
function bytesText(n: number): string {
  for (const [size, name] of BYTE_UNITS) {
    if (n >= size) {
      const v = n / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1).replace(/\.0$/, "")} ${name}`;
    }
  }
  return `${n} byte${n === 1 ? "" : "s"}`;
}

/** "a whole number from 1 to 4096", "a whole number of bytes from 1 (1 byte) to 281474976710656 (256 TiB)". */
function rangeText(range: NumberRange): string {
  if (range.unit === "count") return `a whole number from ${range.min} to ${range.max}`;
  return `a whole number of bytes from ${range.min} to ${range.max} (${bytesText(range.max)})`;
}

/** Why `n` is outside `range`, or null when it is inside. */
function outOfRange(n: number, range: NumberRange): string | null {
  if (Number.isNaN(n)) return "not a number";
  // Infinity too: a 400-digit numeral is finite, just beyond a double; "more than" is true of both.
  if (n > range.max) return range.unit === "bytes" ? `more than ${bytesText(range.max)}` : `more than ${range.max}`;
  if (n < range.min) return n < 0 ? "negative" : n === 0 ? "zero" : range.unit === "bytes" ? `less than ${bytesText(range.min)}` : `less than ${range.min}`;
  if (!Number.isInteger(n)) return range.unit === "bytes" ? `${n} bytes, not a whole number of bytes` : "not a whole number";
  return null;
}

function refuse(at: FieldRef, written: string, why: string, range: NumberRange): never {
  throw new UserError(`${at.origin}: ${at.field} is ${written} (${why}); expected ${rangeText(range)}`);
}

/**
 * A count (vCPUs, sockets...) as written in a field: the number, null when the field is
 * absent, or a UserError naming the file, field, value and range when the value is a
 * number outside the range. A value that is not a number at all is refused too when
 * `notANumber` is "refuse", or read as absent (null) when the format allows words there.
 */
export function readCount(raw: string | null | undefined, range: NumberRange, at: FieldRef, notANumber: "refuse" | "absent" = "refuse"): number | null {
  if (raw === null || raw === undefined) return null;
  const n = readNumeral(raw);
  if (n === null) {
    if (notANumber === "absent") return null;
    refuse(at, shownValue(raw), "not a number", range);
  }
  return checkNumber(n, shownValue(raw), range, at);
}

/**
 * A byte quantity written as a number of units, `multiplier` bytes each. `unitText` follows
 * the value in the message as given ("MiB", `× "byte * 2^20"`). Same outcomes as
 * readCount; a unit that is itself beyond the range (OVF "byte * 2^9999") is refused for
 * what it is.
 */
export function readBytes(raw: string | null | undefined, multiplier: number, unitText: string | null, range: NumberRange, at: FieldRef, notANumber: "refuse" | "absent" = "refuse"): number | null {
  if (raw === null || raw === undefined) return null;
  const written = `${shownValue(raw)}${unitText !== null ? ` ${unitText}` : ""}`;
  const n = readNumeral(raw);
  if (n === null) {
    if (notANumber === "absent") return null;
    refuse(at, written, "not a number", range);
  }
  if (!Number.isFinite(multiplier) || multiplier > range.max) {
    refuse(at, written, Number.isNaN(multiplier) ? "the unit is not a number of bytes" : `the unit alone is more than ${bytesText(range.max)}`, range);
  }
  return checkNumber(n * multiplier, written, range, at);
}

/** `n` when it is inside `range`; otherwise a UserError showing `written` (the value as the file states it, already quoted). */
export function checkNumber(n: number, written: string, range: NumberRange, at: FieldRef): number {
  const why = outOfRange(n, range);
  if (why !== null) refuse(at, written, why, range);
  return n;
}

/** A file read whole is refused above `limit` bytes, naming it, its size and the limit. */
export function checkFileSize(path: string, size: number, limit: number, kind: string): void {
  if (size > limit) throw new UserError(`${path}: ${size} bytes (${bytesText(size)}), more than the ${bytesText(limit)} tiosa reads for ${kind}`);
}
