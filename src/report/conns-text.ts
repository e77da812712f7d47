import type { TcpConnection } from '../tcp/connection.js';
import type { CaptureJson } from './connection-json.js';
import { escapeInline } from './escape.js';
import { seconds, timeOfDay } from './table.js';

export const CONNS_COLUMNS = ['ID', 'START (UTC)', 'DURATION', 'CLIENT', 'SERVER', 'C>S BYTES', 'S>C BYTES', 'MISSED', 'STATE', 'HISTORY', 'NOTES'] as const;
const RIGHT = new Set([0, 2, 5, 6, 7]);

/** The table cells of one connection, taken when it completes (so nothing else is kept of it). */
export function connectionRow(c: TcpConnection): string[] {
  const [o, r] = c.half;
  let notes = '';
  if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) notes += `${notes ? ',' : ''}${k}${n > 1 ? `x${n}` : ''}`;
  return [
    c.id, timeOfDay(c.start), seconds(c.end - c.start), c.client, c.server,
    String(o.nextOffset), String(r.nextOffset), String(o.missedBytes + r.missedBytes), c.state, c.history, notes,
  ];
}

/**
 * The `conns` table, filled as connections complete: each row is kept as one tab-joined string
 * (tens of thousands of rows stay small) and column widths are tracked as rows come.
 */
export class ConnsTable {
  private readonly rows: string[] = [];
  private readonly columns: readonly string[];
  private readonly widths: number[];

  /**
   * @param capturePoints several files as capture points: a SEEN IN column (the capture indexes
   *   that saw the connection, as in the list of files below the table) before NOTES
   */
  constructor(private readonly capturePoints = false) {
    this.columns = capturePoints ? [...CONNS_COLUMNS.slice(0, -1), 'SEEN IN', 'NOTES'] : CONNS_COLUMNS;
    this.widths = this.columns.map((t) => t.length);
  }

  add(c: TcpConnection): void {
    this.addRow(c.seq, connectionRow(c));
  }

  /** A row of connectionRow's cells; with capture points, `seenIn` is where it was seen. */
  addRow(seq: number, cells: string[], seenIn?: readonly number[]): void {
    if (this.capturePoints) cells.splice(cells.length - 1, 0, (seenIn ?? []).join(','));
    for (let i = 0; i < cells.length; i++) if (cells[i]!.length > this.widths[i]!) this.widths[i] = cells[i]!.length;
    // Cells hold no tab: endpoints, numbers, codes and letters only.
    this.rows[seq - 1] = cells.join('\t');
  }

  /** The table in id order, then one line per capture. */
  render(captures: readonly CaptureJson[]): string {
    const widths = this.widths;
    const line = (cells: readonly string[]): string => {
      let s = '';
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i]!;
        if (i > 0) s += '  ';
        s += RIGHT.has(i) ? v.padStart(widths[i]!) : i === cells.length - 1 ? v : v.padEnd(widths[i]!);
      }
      return s.trimEnd();
    };
    const out: string[] = [line(this.columns)];
    let n = 0;
    for (const row of this.rows) {
      if (row === undefined) continue;
      out.push(line(row.split('\t')));
      n++;
    }
    out.push('');
    for (const [i, c] of captures.entries()) {
      out.push(`${this.capturePoints ? `[${i}] ` : ''}${escapeInline(c.file)}: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.linkTypes.join('/') || 'no packets'}, ${c.packets} packets`);
    }
    out.push(`${n} TCP connection${n === 1 ? '' : 's'}`);
    return out.join('\n') + '\n';
  }
}
