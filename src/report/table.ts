/** Plain-text tables: left-aligned text, right-aligned numbers, two spaces between columns. */

export interface Column<T> {
  title: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

/** "07:41:33.522479" in UTC: the form HAProxy and tcpdump print, to read against their logs. */
export function timeOfDay(epochSeconds: number): string {
  const totalUs = Math.round(epochSeconds * 1e6);
  const us = totalUs % 1e6;
  const daySec = Math.floor(totalUs / 1e6) % 86400;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(daySec / 3600))}:${pad(Math.floor(daySec / 60) % 60)}:${pad(daySec % 60)}.${pad(us, 6)}`;
}

export function seconds(s: number): string {
  return s < 10 ? s.toFixed(6) : s.toFixed(3);
}
