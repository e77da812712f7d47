/**
 * An HttpVerdict's log line as a JSON string, written from its fields: the bytes jsonString writes
 * for verdict.logLine (formatHttpLog's line for them, see HttpVerdict), without building that
 * line. `analyze` writes one per exchange, and the line as a string was most of its allocation
 * after pairing.
 */
import { formatLogDate, logDateSecondText } from '../correlate/haproxy/log-date.js';
import { BADREQ, type HttpVerdict } from '../correlate/haproxy/verdict-log.js';
import { ascii, type AsciiBuffer } from './ascii-buffer.js';
import { NUMBER_ROOM, bytesAt, escapedAt, numberAt, textAt } from './json-bytes.js';

const DATE_OPEN = ascii(' [');
const DATE_CLOSE = ascii('] ');
/** From the status on: ' - - ' (no cookie captured), then after the termination a lone stream's counters. */
const COOKIES = ascii(' - - ');
const COUNTERS = ascii(' 1/1/0/0/');
const QUEUES = ascii(' 0/0');
const REQUEST_OPEN = ascii(' \\"');
const REQUEST_CLOSE = ascii('\\""');
const HEADERS_OPEN = ascii(' {');

export function writeHttpLogJson(out: AsciiBuffer, v: HttpVerdict): void {
  const h = v.requestHeaders;
  let text = v.clientAddress.length + v.frontend.length + v.backend.length + v.server.length + v.termination.length;
  if (h !== null) for (let i = 0; i < h.length; i++) text += h[i]!.length + 1;
  const request = v.method.length + v.target.length + (v.version?.length ?? 0);
  // Escaped text up to 6 bytes a code unit, the request line's up to 5; 9 numbers, the date; the fixed text.
  out.ensure(6 * text + 5 * request + 9 * NUMBER_ROOM + DATE_ROOM + 96);
  const buf = out.buf;
  let p = out.pos;
  buf[p++] = 34;
  p = escapedAt(buf, p, v.clientAddress);
  buf[p++] = 58;
  p = intAt(buf, p, v.clientPort);
  p = bytesAt(buf, p, DATE_OPEN);
  p = logDateAt(buf, p, v.date);
  p = bytesAt(buf, p, DATE_CLOSE);
  p = escapedAt(buf, p, v.frontend);
  buf[p++] = 32;
  p = escapedAt(buf, p, v.backend);
  buf[p++] = 47;
  p = escapedAt(buf, p, v.server);
  buf[p++] = 32;
  const t = v.timers;
  p = intAt(buf, p, t.TR);
  buf[p++] = 47;
  p = intAt(buf, p, t.Tw);
  buf[p++] = 47;
  p = intAt(buf, p, t.Tc);
  buf[p++] = 47;
  p = intAt(buf, p, t.Tr);
  buf[p++] = 47;
  p = intAt(buf, p, t.Ta);
  buf[p++] = 32;
  p = intAt(buf, p, v.status);
  buf[p++] = 32;
  p = intAt(buf, p, v.bytesRead);
  p = bytesAt(buf, p, COOKIES);
  p = escapedAt(buf, p, v.termination);
  p = bytesAt(buf, p, COUNTERS);
  p = intAt(buf, p, v.retries);
  p = bytesAt(buf, p, QUEUES);
  if (h !== null) {
    p = bytesAt(buf, p, HEADERS_OPEN);
    for (let i = 0; i < h.length; i++) {
      if (i > 0) buf[p++] = 124;
      p = escapedAt(buf, p, h[i]!);
    }
    buf[p++] = 125;
  }
  p = bytesAt(buf, p, REQUEST_OPEN);
  if (v.version !== null) {
    p = logTextAt(buf, p, v.method);
    buf[p++] = 32;
    p = logTextAt(buf, p, v.target);
    buf[p++] = 32;
    p = logTextAt(buf, p, v.version);
  } else if (v.method === '') {
    p = textAt(buf, p, BADREQ);
  } else {
    p = logTextAt(buf, p, v.method);
    buf[p++] = 32;
    p = logTextAt(buf, p, v.target);
  }
  out.pos = bytesAt(buf, p, REQUEST_CLOSE);
}

/** A number as a template literal writes it (the line's numbers are integers), at buf[p] (NUMBER_ROOM free); returns the end. */
function intAt(buf: Uint8Array, p: number, v: number): number {
  // numberAt writes safe integers as String() does (and other numbers its own way).
  return Number.isSafeInteger(v) ? numberAt(buf, p, v) : textAt(buf, p, String(v));
}

/** The second written last (lines come in time order: most share it), as bytes. */
let dateSecond = NaN;
let dateBytes: Uint8Array = new Uint8Array(0);
/** Room for a date: formatLogDate's text, or its text of an out-of-range date ("NaN/undefined/NaN:..."). */
const DATE_ROOM = 64;

/** formatLogDate(ms) (UTC) at buf[p] (DATE_ROOM free); returns the end. */
function logDateAt(buf: Uint8Array, p: number, ms: number): number {
  // Date's range, in whole ms; anything else as formatLogDate has it.
  if (!(Number.isSafeInteger(ms) && Math.abs(ms) <= 8.64e15)) return textAt(buf, p, formatLogDate(ms));
  const second = Math.floor(ms / 1000);
  if (second !== dateSecond) {
    dateBytes = ascii(logDateSecondText(second));
    dateSecond = second;
  }
  p = bytesAt(buf, p, dateBytes);
  const m = ms - second * 1000;
  const hundreds = Math.floor(m / 100);
  const tens = Math.floor(m / 10) - hundreds * 10;
  buf[p] = 48 + hundreds;
  buf[p + 1] = 48 + tens;
  buf[p + 2] = 48 + m - hundreds * 100 - tens * 10;
  return p + 3;
}

const HEX_UPPER = ascii('0123456789ABCDEF');

/**
 * Request line text as encodeLogText gives it ('"', '#', controls and non-ASCII as #XX, by code
 * point: a surrogate pair is one, written with its first unit's code), escaped for JSON (only
 * the backslash can need it then), at buf[p] (5 bytes a code unit free); returns the end.
 */
function logTextAt(buf: Uint8Array, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 34 && c !== 35) {
      if (c === 92) buf[p++] = 92;
      buf[p++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    buf[p++] = 35;
    if (c >= 0x1000) buf[p++] = HEX_UPPER[c >> 12]!;
    if (c >= 0x100) buf[p++] = HEX_UPPER[(c >> 8) & 15]!;
    buf[p++] = HEX_UPPER[(c >> 4) & 15]!;
    buf[p++] = HEX_UPPER[c & 15]!;
  }
  return p;
}
