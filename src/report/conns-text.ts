import type { TcpConnection } from '../tcp/connection.js';
import { AsciiBuffer, CLOCK, FIXED6, LineTemplate, TEXT, UINT, ascii } from './ascii-buffer.js';
import type { CaptureJson } from './connection-json.js';
import { bracketed } from './connection-json.js';
import { escapeInline } from './escape.js';
import { seconds, timeOfDay } from './table.js';

export const CONNS_COLUMNS = ['ID', 'START (UTC)', 'DURATION', 'CLIENT', 'SERVER', 'C>S BYTES', 'S>C BYTES', 'MISSED', 'STATE', 'HISTORY', 'NOTES'] as const;
const RIGHT = [true, false, true, false, false, true, true, true, false, false, false];
const COLUMNS = CONNS_COLUMNS.length;
/** A cell length stored as this means "this or longer": the cell is measured again when rendered. */
const LONG = 255;
const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;

/** The NOTES cell: anomaly codes with their counts ("x3") past one. */
function notes(c: TcpConnection): string {
  let s = '';
  if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) s += `${s ? ',' : ''}${k}${n > 1 ? `x${n}` : ''}`;
  return s;
}

/**
 * One row: its cells tab-separated, newline-ended. Client and server are two slots each
 * (address, port); CELL_END[i] is the slot that ends cell i.
 */
const ROW = new LineTemplate(['', '\t', '\t', '\t', ':', '\t', ':', '\t', '\t', '\t', '\t', '\t', '\t', '\n']);
ROW.kind.set([UINT, CLOCK, TEXT, TEXT, UINT, TEXT, UINT, UINT, UINT, UINT, TEXT, TEXT, TEXT]);
const CELL_END = [0, 1, 2, 4, 6, 7, 8, 9, 10, 11, 12];

/**
 * The `conns` table, filled as connections complete: each row's cells are written at once as
 * bytes (tab-separated, newline-ended) into one buffer, so tens of thousands of rows take a few
 * megabytes and no object each; column widths are tracked as rows come.
 */
export class ConnsTable {
  private readonly cells = new AsciiBuffer(Buffer.allocUnsafeSlow(1 << 20));
  /** rowAt[seq - 1]: where the row of connection `seq` starts in `cells` (-1: none). */
  private rowAt = new Float64Array(1 << 12).fill(-1);
  /** COLUMNS cell lengths per row, by seq (LONG: that long or longer, measured again). */
  private cellLengths = new Uint8Array(COLUMNS << 12);
  private readonly widths = CONNS_COLUMNS.map((t) => t.length);

  add(c: TcpConnection): void {
    while (c.seq > this.rowAt.length) {
      const bigger = new Float64Array(this.rowAt.length * 2).fill(-1);
      bigger.set(this.rowAt);
      this.rowAt = bigger;
    }
    const out = this.cells;
    const o = c.h0;
    const r = c.h1;
    const { num, str, kind, ends } = ROW;
    this.rowAt[c.seq - 1] = out.pos;
    // Cells hold no tab and no newline: endpoints, numbers, codes and letters only.
    num[0] = c.seq;
    if (c.start >= 0) {
      kind[1] = CLOCK;
      num[1] = c.start;
    } else {
      kind[1] = TEXT;
      str[1] = timeOfDay(c.start);
    }
    const d = c.end - c.start;
    if (sixDecimalsExact(d)) {
      kind[2] = FIXED6;
      num[2] = d;
    } else {
      kind[2] = TEXT;
      str[2] = seconds(d);
    }
    str[3] = bracketed(c.clientAddress);
    num[4] = c.clientPort;
    str[5] = bracketed(c.serverAddress);
    num[6] = c.serverPort;
    num[7] = o.nextOffset;
    num[8] = r.nextOffset;
    num[9] = o.missedBytes + r.missedBytes;
    str[10] = c.state;
    str[11] = c.history;
    str[12] = c.anomalies ? notes(c) : '';
    const start = out.pos;
    ROW.write(out);
    const widths = this.widths;
    const base = (c.seq - 1) * COLUMNS;
    if (base + COLUMNS > this.cellLengths.length) {
      const bigger = new Uint8Array(Math.max(this.cellLengths.length * 2, base + COLUMNS));
      bigger.set(this.cellLengths);
      this.cellLengths = bigger;
    }
    const lens = this.cellLengths;
    let at = start;
    for (let i = 0; i < COLUMNS; i++) {
      const end = ends[CELL_END[i]!]!;
      const n = end - at;
      if (n > widths[i]!) widths[i] = n;
      lens[base + i] = n < LONG ? n : LONG;
      at = end + 1;
    }
  }

  /**
   * The table in id order, then one line per capture (ASCII). The output starts as spaces, and
   * with the widths known every cell has its place: only the cells' bytes are written.
   */
  render(captures: readonly CaptureJson[]): Uint8Array {
    const widths = this.widths;
    const col: number[] = [];
    let lineWidth = 0;
    for (const w of widths) {
      col.push(lineWidth);
      lineWidth += w + 2;
    }
    const rowAt = this.rowAt;
    let rows = 0;
    for (let i = 0; i < rowAt.length; i++) if (rowAt[i]! >= 0) rows++;
    const out = new AsciiBuffer(Buffer.allocUnsafeSlow((rows + 1) * lineWidth + 4096).fill(SPACE));
    const header = ascii(CONNS_COLUMNS.join('\t') + '\n');
    out.pos = this.line(out.buf, 0, header, 0, Uint8Array.from(CONNS_COLUMNS, (t) => t.length), 0, col);
    const src = this.cells.buf;
    const lens = this.cellLengths;
    for (let i = 0; i < rowAt.length; i++) {
      if (rowAt[i]! >= 0) out.pos = this.line(out.buf, out.pos, src, rowAt[i]!, lens, i * COLUMNS, col);
    }
    out.byte(NEWLINE);
    for (const c of captures) {
      out.ascii(`${escapeInline(c.file)}: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${c.linkTypes.join('/') || 'no packets'}, ${c.packets} packets\n`);
    }
    out.ascii(`${rows} TCP connection${rows === 1 ? '' : 's'}\n`);
    return out.buf.subarray(0, out.pos);
  }

  /**
   * One line at buf[p] (spaces already) from the tab-separated cells at src[at..], their lengths
   * at lens[base..]: each cell at its column, padded, no trailing blanks. Returns where the next
   * line starts.
   */
  private line(buf: Uint8Array, p: number, src: Uint8Array, at: number, lens: Uint8Array, base: number, col: readonly number[]): number {
    const widths = this.widths;
    let end = p;
    for (let i = 0; i < COLUMNS; i++) {
      let n = lens[base + i]!;
      if (n === LONG) while (src[at + n] !== TAB && src[at + n] !== NEWLINE) n++;
      if (n > 0) {
        let q = p + col[i]! + (RIGHT[i] ? widths[i]! - n : 0);
        for (let k = at; k < at + n; k++) buf[q++] = src[k]!;
        end = q;
      }
      at += n + 1;
    }
    buf[end] = NEWLINE;
    return end + 1;
  }
}

/**
 * Whether the six-decimal text of d (fixed6: its microseconds rounded) is toFixed(6)'s: below
 * 10 s (longer ones have three decimals), and not within reach of a rounding tie (d * 1e6 is
 * off the exact product by less than 1e-9 there, so away from x.5 both round alike).
 */
export function sixDecimalsExact(d: number): boolean {
  if (!(d >= 0 && d < 10)) return false;
  const us = d * 1e6;
  const frac = us - Math.floor(us);
  return frac < 0.499999 || frac > 0.500001;
}
