/**
 * DSP0004 programmatic units ("byte * 2^20") and the informal names producers write
 * instead (VirtualBox "MegaBytes", oVirt "MegaBytes", others "MB", "GB").
 * Informal decimal-looking names mean binary multiples in every producer we have seen
 * (a VirtualBox "512 MegaBytes" VM has 512 MiB), so they are read as such.
 */
const NAMED: Record<string, number> = {
  byte: 1, bytes: 1, b: 1,
  kilobyte: 2 ** 10, kilobytes: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10,
  megabyte: 2 ** 20, megabytes: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20,
  gigabyte: 2 ** 30, gigabytes: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30,
  terabyte: 2 ** 40, terabytes: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40,
};

/**
 * Multiplier in bytes for a unit string, or null when it is not a byte unit we understand.
 * The result can be Infinity ("byte * 2^9999", "byte * 2^inf", "inf"): such a unit is
 * understood, just too large, and the caller's range check (limits.ts) refuses it with
 * the value rather than passing it off as an unknown unit.
 */
export function byteUnitMultiplier(units: string | null | undefined): number | null {
  if (units === null || units === undefined) return null;
  const u = units.trim().toLowerCase().replace(/\s+/g, " ");
  if (u in NAMED) return NAMED[u]!;
  if (/^(?:bytes? ?\* ?)?inf(?:inity)?$/.test(u)) return Infinity;
  // "byte * 2^20", "byte*10^6", "byte * 1024", "bytes * 2^30"
  const m = /^bytes? ?(?:\* ?(\d+|inf)(?: ?\^ ?(\d+|inf))?)?(?: ?\* ?(\d+|inf)(?: ?\^ ?(\d+|inf))?)?$/.exec(u);
  if (!m) return null;
  const num = (t: string) => (t === "inf" ? Infinity : Number(t));
  let mult = 1;
  if (m[1]) mult *= num(m[1]) ** (m[2] ? num(m[2]) : 1);
  if (m[3]) mult *= num(m[3]) ** (m[4] ? num(m[4]) : 1);
  return mult;
}

export function parseNumber(s: string | null): number | null {
  if (s === null) return null;
  const t = s.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}
