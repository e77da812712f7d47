/**
 * The session list's columns: header, width, cell text (from SessionFacts, already escaped),
 * and which go first when the terminal is narrow. Pure: one row is one string of the
 * terminal's width.
 */
import type { SortColumn } from './sort.js';
import type { SessionFacts } from './session-facts.js';
import { clip, fit } from './text-line.js';

export interface Column {
  id: string;
  header: string;
  width: number;
  /** Takes a share of the room left by fixed columns (its width is then a minimum). */
  grow?: number;
  align?: 'right';
  /** Higher drops later when the terminal is narrow; 0 never drops. */
  priority: number;
  sort?: SortColumn;
  cell: (f: SessionFacts) => string;
}

const num = (n: number | null, digits = 0): string => (n === null ? '-' : n.toFixed(digits));

/** Marker column: x = drops, ! = abnormal termination state. */
export function marker(f: SessionFacts): string {
  return `${f.drops > 0 ? 'x' : ' '}${f.abnormal ? '!' : ' '}`;
}

export const COLUMNS: readonly Column[] = [
  { id: 'mark', header: '', width: 2, priority: 0, cell: marker },
  { id: 'time', header: 'time', width: 12, priority: 0, sort: 'time', cell: (f) => f.time },
  { id: 'client', header: 'client', width: 21, priority: 3, sort: 'client', cell: (f) => f.client },
  { id: 'route', header: 'frontend -> server', width: 18, grow: 2, priority: 0, sort: 'server', cell: (f) => `${f.frontend} -> ${f.server}` },
  { id: 'mode', header: 'mode', width: 4, priority: 5, cell: (f) => f.mode },
  { id: 'request', header: 'request', width: 12, grow: 1, priority: 1, cell: (f) => f.request },
  { id: 'status', header: 'st', width: 4, priority: 0, sort: 'status', cell: (f) => (f.status === null ? '-' : String(f.status)) },
  { id: 'term', header: 'term', width: 4, priority: 0, sort: 'term', cell: (f) => f.terms[0] ?? '-' },
  { id: 'up', header: 'c>p B', width: 8, align: 'right', priority: 2, sort: 'up', cell: (f) => String(f.bytesUp) },
  { id: 'down', header: 'p>c B', width: 8, align: 'right', priority: 2, sort: 'down', cell: (f) => String(f.bytesDown) },
  { id: 'latency', header: 'lat ms', width: 7, align: 'right', priority: 4, sort: 'latency', cell: (f) => num(f.latencyMs, 2) },
];

export interface Layout {
  columns: { col: Column; width: number }[];
}

/** Columns that fit `width` (dropping the highest priorities first), growing ones sharing the rest. */
export function layoutColumns(width: number): Layout {
  let cols = [...COLUMNS];
  const need = (cs: readonly Column[]): number => cs.reduce((n, c) => n + c.width + 1, -1);
  while (need(cols) > width) {
    const worst = cols.reduce((a, c) => (c.priority > a.priority ? c : a));
    if (worst.priority === 0) break;
    cols = cols.filter((c) => c !== worst);
  }
  const extra = Math.max(0, width - need(cols));
  const weights = cols.reduce((n, c) => n + (c.grow ?? 0), 0);
  const shares = cols.map((c) => (c.grow === undefined || weights === 0 ? 0 : Math.floor((extra * c.grow) / weights)));
  let left = extra - shares.reduce((a, b) => a + b, 0);
  return {
    columns: cols.map((col, i) => {
      if (col.grow === undefined) return { col, width: col.width };
      const w = col.width + shares[i]! + left;
      left = 0;
      return { col, width: w };
    }),
  };
}

function cellText(text: string, width: number, align: 'right' | undefined): string {
  const t = clip(text, width);
  return align === 'right' ? t.padStart(width) : fit(t, width);
}

export function headerText(layout: Layout, sort: { column: SortColumn; descending: boolean }, width: number): string {
  const parts = layout.columns.map(({ col, width: w }) => {
    const mark = col.sort === sort.column ? (sort.descending ? 'v' : '^') : '';
    return cellText(col.header + mark, w, col.align);
  });
  return fit(parts.join(' '), width);
}

export function rowText(layout: Layout, f: SessionFacts, width: number): string {
  return fit(layout.columns.map(({ col, width: w }) => cellText(col.cell(f), w, col.align)).join(' '), width);
}
