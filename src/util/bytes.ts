/**
 * Human size: 512 B, 12 KiB, 1.5 GiB, 660 MiB (one decimal below 100 of a unit, none from
 * there). The one formatter for sizes in messages, rules and reports; null (not measured)
 * shows as nothing.
 */
export function formatBytes(n: number | null): string {
  if (n === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n, i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
