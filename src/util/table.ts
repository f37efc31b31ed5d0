/**
 * Plain-text table for terminals; long cells are cut with an ellipsis, or with `wrap` folded
 * at spaces onto continuation lines (for text that must be read whole, like a reason).
 */
export function renderTable(headers: string[], rows: string[][], opts: { maxWidth?: number[]; wrap?: boolean } = {}): string {
  const fold = (s: string, i: number): string[] => {
    const m = opts.maxWidth?.[i];
    const one = s.replace(/\s+/g, " ");
    if (!m || one.length <= m) return [one];
    if (!opts.wrap) return [one.slice(0, m - 1) + "…"];
    const lines: string[] = [];
    let cur = "";
    for (const word of one.split(" ")) {
      for (let w = word; w.length; ) {
        const room = cur ? m - cur.length - 1 : m;
        if (w.length <= room) { cur = cur ? `${cur} ${w}` : w; w = ""; }
        else if (cur) { lines.push(cur); cur = ""; }
        else { lines.push(w.slice(0, m)); w = w.slice(m); }
      }
    }
    if (cur) lines.push(cur);
    return lines;
  };
  const cells = [headers, ...rows].map((r) => r.map((c, i) => fold(c ?? "", i)));
  const widths = headers.map((_, i) => Math.max(...cells.flatMap((r) => (r[i] ?? [""]).map((l) => l.length))));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const block = (r: string[][]) => {
    const height = Math.max(...r.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => line(r.map((c) => c[k] ?? "")));
  };
  return [line(cells[0]!.map((c) => c[0] ?? "")), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).flatMap(block)].join("\n");
}
