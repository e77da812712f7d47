/**
 * Turns the bytes of a header block (or a trailer block) into lines and ordered fields
 * (RFC 9112 §5): original case and order kept, OWS trimmed, obs-fold unfolded, odd lines noted
 * and skipped rather than fatal (the parser observes traffic, it does not police it).
 */
import type { HttpHeaders, HttpNote } from './types.js';

/** Bytes as a latin1 string: one char per byte, so nothing is lost or replaced. */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  // A Buffer (the capture reader's, the parser's own) decodes in place; anything else through a view.
  if (Buffer.isBuffer(buf)) return buf.toString('latin1', start, end);
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

/** Field-name characters (RFC 9110 tchar), as a table: the same set as FIELD_NAME. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

function isFieldName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Lower-case names worth decoding in a compact header scan (the framing and connection fields). */
export type FieldFilter = (name: string) => boolean;

const EMPTY_ORDER: HttpNote[] = [];

/**
 * One pass over the field lines of `text` from `from`: exactly `parseFieldLines(splitLines(...))`
 * (same fields, same notes in the same order), without building a line array. With `keep`, only
 * the fields whose name it accepts are returned (obs-fold still unfolds into them), so a header
 * block can be checked for framing without decoding every field.
 */
export function scanFieldLines(text: string, from: number, notes: Set<HttpNote>, keep?: FieldFilter): HttpHeaders {
  const fields: HttpHeaders = [];
  let lfOnly = false;
  // Notes of the field pass, in first-occurrence order (the line pass's lf_only comes first).
  let order = EMPTY_ORDER;
  const note = (n: HttpNote): void => {
    if (order === EMPTY_ORDER) order = [n];
    else if (!order.includes(n)) order.push(n);
  };
  let validLast = false;
  let last: [string, string] | null = null;
  let pos = from;
  let ended = false;
  for (;;) {
    const lf = text.indexOf('\n', pos);
    if (lf < 0) break;
    let end = lf;
    if (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
    else lfOnly = true;
    const start = pos;
    pos = lf + 1;
    if (ended) continue; // splitLines still notes lf_only past the blank line
    if (end === start) {
      ended = true;
      continue;
    }
    const c0 = text.charCodeAt(start);
    if (c0 === 0x20 || c0 === 0x09) {
      if (!validLast) note('invalid_header_line');
      else {
        note('obs_fold');
        if (last !== null) {
          const more = trimOws(text.slice(start, end));
          if (more !== '') last[1] = last[1] === '' ? more : `${last[1]} ${more}`;
        }
      }
      continue;
    }
    const colon = text.indexOf(':', start);
    let name = colon < 0 || colon >= end ? '' : text.slice(start, colon);
    if (name.length > 0) {
      const n0 = name.charCodeAt(0);
      const n1 = name.charCodeAt(name.length - 1);
      if (n0 === 0x20 || n0 === 0x09 || n1 === 0x20 || n1 === 0x09) {
        note('space_before_colon');
        name = trimOws(name);
      }
    }
    if (!isFieldName(name)) {
      note('invalid_header_line');
      validLast = false;
      last = null;
      continue;
    }
    validLast = true;
    if (keep !== undefined && !keep(name)) {
      last = null;
      continue;
    }
    last = [name, trimValue(text, colon + 1, end)];
    fields.push(last);
  }
  if (lfOnly) notes.add('lf_only');
  for (const n of order) notes.add(n);
  return fields;
}

/** text[from, to) without surrounding SP/HTAB (trimOws on the slice, without slicing twice). */
function trimValue(text: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && isOws(text.charCodeAt(a))) a++;
  while (b > a && isOws(text.charCodeAt(b - 1))) b--;
  return text.slice(a, b);
}
