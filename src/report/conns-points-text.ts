/**
 * The `conns` table of several capture points: rows are the preferred view of each connection,
 * taken as strings when its last view completes (conns-text.ts's byte-built table serves one
 * file), with a SEEN IN column: the capture points that saw the connection.
 */
import type { TcpConnection } from '../tcp/connection.js';
import type { CaptureJson } from './connection-json.js';
import { CONNS_COLUMNS } from './conns-text.js';
import { escapeInline } from './escape.js';
import { seconds, timeOfDay } from './table.js';

const COLUMNS = [...CONNS_COLUMNS.slice(0, -1), 'SEEN IN', 'NOTES'] as const;
const RIGHT = new Set([0, 2, 5, 6, 7]);

/** The table cells of one connection, taken when it completes (so nothing else is kept of it). */
export function connectionRow(c: TcpConnection): string[] {
  const o = c.h0;
  const r = c.h1;
  let notes = '';
  if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) notes += `${notes ? ',' : ''}${k}${n > 1 ? `x${n}` : ''}`;
  return [
    c.id, timeOfDay(c.start), seconds(c.end - c.start), c.client, c.server,
    String(o.nextOffset), String(r.nextOffset), String(o.missedBytes + r.missedBytes), c.state, c.history, notes,
  ];
}

export class PointsConnsTable {
  private readonly rows: string[] = [];
  private readonly widths: number[] = COLUMNS.map((t) => t.length);

  /** A row of connectionRow's cells; `seenIn` is the capture points that saw the connection. */
  addRow(seq: number, cells: string[], seenIn: readonly number[]): void {
    cells.splice(cells.length - 1, 0, seenIn.join(','));
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
    const out: string[] = [line(COLUMNS)];
    let n = 0;
    for (const row of this.rows) {
      if (row === undefined) continue;
      out.push(line(row.split('\t')));
      n++;
    }
    out.push('');
    for (const [i, c] of captures.entries()) {
      out.push(`[${i}] ${escapeInline(c.file)}: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.linkTypes.join('/') || 'no packets'}, ${c.packets} packets`);
    }
    out.push(`${n} TCP connection${n === 1 ? '' : 's'}`);
    return out.join('\n') + '\n';
  }
}
