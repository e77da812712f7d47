import type { TcpConnection } from '../tcp/connection.js';
import { AsciiBuffer } from './ascii-buffer.js';
import type { CaptureJson } from './connection-json.js';
import { writeEndpoint } from './connection-json.js';
import { escapeInline } from './escape.js';
import { seconds, timeOfDay } from './table.js';

export const CONNS_COLUMNS = ['ID', 'START (UTC)', 'DURATION', 'CLIENT', 'SERVER', 'C>S BYTES', 'S>C BYTES', 'MISSED', 'STATE', 'HISTORY', 'NOTES'] as const;
const RIGHT = [true, false, true, false, false, true, true, true, false, false, false];
const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;

/** The NOTES cell: anomaly codes with their counts ("x3") past one. */
function notes(c: TcpConnection): string {
  let s = '';
  if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) s += `${s ? ',' : ''}${k}${n > 1 ? `x${n}` : ''}`;
  return s;
}

/** timeOfDay(t) written as bytes ("07:41:33.522479"). */
function writeTimeOfDay(out: AsciiBuffer, t: number): void {
  const totalUs = Math.round(t * 1e6);
  if (!(totalUs >= 0)) return out.ascii(timeOfDay(t));
  const daySec = Math.floor(totalUs / 1e6) % 86400;
  out.padded(Math.floor(daySec / 3600), 2);
  out.byte(58);
  out.padded(Math.floor(daySec / 60) % 60, 2);
  out.byte(58);
  out.padded(daySec % 60, 2);
  out.byte(46);
  out.padded(totalUs % 1e6, 6);
}

/**
 * The `conns` table, filled as connections complete: each row's cells are written at once as
 * bytes (tab-separated, newline-ended) into one buffer, so tens of thousands of rows take a few
 * megabytes and no object each; column widths are tracked as rows come.
 */
export class ConnsTable {
  private readonly cells = new AsciiBuffer(new Uint8Array(1 << 20));
  /** rowAt[seq - 1]: where the row of connection `seq` starts in `cells` (-1: none). */
  private rowAt = new Float64Array(1 << 12).fill(-1);
  private readonly widths = CONNS_COLUMNS.map((t) => t.length);

  add(c: TcpConnection): void {
    while (c.seq > this.rowAt.length) {
      const bigger = new Float64Array(this.rowAt.length * 2).fill(-1);
      bigger.set(this.rowAt);
      this.rowAt = bigger;
    }
    const out = this.cells;
    const o = c.half[0];
    const r = c.half[1];
    this.rowAt[c.seq - 1] = out.pos;
    // Cells hold no tab and no newline: endpoints, numbers, codes and letters only.
    let at = out.pos;
    out.uint(c.seq);
    at = this.endCell(0, at);
    writeTimeOfDay(out, c.start);
    at = this.endCell(1, at);
    out.ascii(seconds(c.end - c.start));
    at = this.endCell(2, at);
    writeEndpoint(out, c.clientAddress, c.clientPort);
    at = this.endCell(3, at);
    writeEndpoint(out, c.serverAddress, c.serverPort);
    at = this.endCell(4, at);
    out.uint(o.nextOffset);
    at = this.endCell(5, at);
    out.uint(r.nextOffset);
    at = this.endCell(6, at);
    out.uint(o.missedBytes + r.missedBytes);
    at = this.endCell(7, at);
    out.ascii(c.state);
    at = this.endCell(8, at);
    out.ascii(c.history);
    at = this.endCell(9, at);
    if (c.anomalies) out.ascii(notes(c));
    this.endCell(10, at);
    out.buf[out.pos - 1] = NEWLINE;
  }

  /** Ends cell i (begun at `at`) with a tab; returns where the next begins. */
  private endCell(i: number, at: number): number {
    const out = this.cells;
    if (out.pos - at > this.widths[i]!) this.widths[i] = out.pos - at;
    out.byte(TAB);
    return out.pos;
  }

  /** The table in id order, then one line per capture (ASCII). */
  render(captures: readonly CaptureJson[]): Uint8Array {
    const widths = this.widths;
    let lineWidth = 1;
    for (const w of widths) lineWidth += w + 2;
    const rowAt = this.rowAt;
    const src = this.cells.buf;
    let rows = 0;
    for (let i = 0; i < rowAt.length; i++) if (rowAt[i]! >= 0) rows++;
    const out = new AsciiBuffer(new Uint8Array((rows + 1) * lineWidth + 4096));
    const header = CONNS_COLUMNS.join('\t') + '\n';
    this.line(out, Uint8Array.from(header, (ch) => ch.charCodeAt(0)), 0);
    for (let i = 0; i < rowAt.length; i++) if (rowAt[i]! >= 0) this.line(out, src, rowAt[i]!);
    out.byte(NEWLINE);
    for (const c of captures) {
      out.ascii(`${escapeInline(c.file)}: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.linkTypes.join('/') || 'no packets'}, ${c.packets} packets\n`);
    }
    out.ascii(`${rows} TCP connection${rows === 1 ? '' : 's'}\n`);
    return out.buf.subarray(0, out.pos);
  }

  /** One line from the tab-separated cells at src[at..]: padded, two spaces apart, no trailing blanks. */
  private line(out: AsciiBuffer, src: Uint8Array, at: number): void {
    const widths = this.widths;
    const last = widths.length - 1;
    for (let i = 0; i <= last; i++) {
      let end = at;
      while (src[end] !== TAB && src[end] !== NEWLINE) end++;
      const n = end - at;
      const pad = i === last ? 0 : widths[i]! - n;
      out.ensure(n + pad + 2);
      const buf = out.buf;
      let p = out.pos;
      if (i > 0) {
        buf[p++] = SPACE;
        buf[p++] = SPACE;
      }
      if (RIGHT[i]) for (let k = 0; k < pad; k++) buf[p++] = SPACE;
      for (let k = at; k < end; k++) buf[p++] = src[k]!;
      if (!RIGHT[i]) for (let k = 0; k < pad; k++) buf[p++] = SPACE;
      out.pos = p;
      at = end + 1;
    }
    while (out.pos > 0 && out.buf[out.pos - 1] === SPACE) out.pos--;
    out.byte(NEWLINE);
  }
}
