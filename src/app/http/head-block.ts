/**
 * Turns the bytes of a header block (or a trailer block) into lines and ordered fields
 * (RFC 9112 §5): original case and order kept, OWS trimmed, obs-fold unfolded, odd lines noted
 * and skipped rather than fatal (the parser observes traffic, it does not police it).
 */
import type { HttpHeaders, HttpNote } from './types.js';

/** Bytes as a latin1 string: one char per byte, so nothing is lost or replaced. */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  // Short strings (start lines, chunk sizes) are cheaper without a Buffer view.
  if (end - start <= 128) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/**
 * The complete lines of `buf[start, end)` without their line endings (an incomplete last line is
 * left out). Notes `lf_only` when a line ends with a bare LF.
 */
export function splitLines(buf: Uint8Array, start: number, end: number, notes: Set<HttpNote>): string[] {
  // One decode for the whole block, then string splits: far cheaper than a Buffer per line.
  const text = latin1(buf, start, end);
  const lines = text.split('\n');
  lines.pop(); // what follows the last LF: incomplete, or '' when the block ends with one
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.charCodeAt(line.length - 1) === 0x0d) lines[i] = line.slice(0, -1);
    else notes.add('lf_only');
  }
  return lines;
}

const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trims SP and HTAB only: String.prototype.trim would also eat latin1 0xA0 and friends. */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** Field lines (no start line, no blank line) into ordered [name, value] pairs. */
export function parseFieldLines(lines: readonly string[], notes: Set<HttpNote>): HttpHeaders {
  const fields: HttpHeaders = [];
  // obs-fold may only continue a field we kept; after a skipped line it is skipped too.
  let last: [string, string] | null = null;
  for (const line of lines) {
    if (line === '') break;
    if (isOws(line.charCodeAt(0))) {
      const more = trimOws(line);
      if (last === null) {
        notes.add('invalid_header_line');
      } else {
        notes.add('obs_fold');
        if (more !== '') last[1] = last[1] === '' ? more : `${last[1]} ${more}`;
      }
      continue;
    }
    const colon = line.indexOf(':');
    let name = colon < 0 ? '' : line.slice(0, colon);
    const trimmed = trimOws(name);
    if (trimmed.length !== name.length) {
      notes.add('space_before_colon');
      name = trimmed;
    }
    if (!FIELD_NAME.test(name)) {
      notes.add('invalid_header_line');
      last = null;
      continue;
    }
    last = [name, trimOws(line.slice(colon + 1))];
    fields.push(last);
  }
  return fields;
}
