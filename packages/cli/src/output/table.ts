/**
 * kubectl-style tables: upper-case headers, columns padded to the widest
 * cell and separated by three spaces, "<none>" for empty cells.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined || r[i] === "" ? "<none>" : r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n") + "\n";
}

/** kubectl's short ages (its HumanDuration): 45s, 2m30s, 65m, 5h30m, 20h, 3d4h, 12d. */
export function formatAge(from: string | undefined, now: number): string {
  if (from === undefined) return "";
  const t = Date.parse(from);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const two = (a: number, ua: string, b: number, ub: string): string => (b === 0 ? `${a}${ua}` : `${a}${ua}${b}${ub}`);
  if (s < 120) return `${s}s`;
  if (m < 10) return two(m, "m", s % 60, "s");
  if (m < 180) return `${m}m`;
  if (h < 8) return two(h, "h", m % 60, "m");
  if (h < 48) return `${h}h`;
  if (d < 8) return two(d, "d", h % 24, "h");
  return `${d}d`;
}
