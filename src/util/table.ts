/** Plain-text table for terminals; long cells are cut with an ellipsis. */
export function renderTable(headers: string[], rows: string[][], opts: { maxWidth?: number[] } = {}): string {
  const cut = (s: string, i: number) => {
    const m = opts.maxWidth?.[i];
    const one = s.replace(/\s+/g, " ");
    return m && one.length > m ? one.slice(0, m - 1) + "…" : one;
  };
  const cells = [headers, ...rows].map((r) => r.map((c, i) => cut(c ?? "", i)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
