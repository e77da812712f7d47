/**
 * An HttpVerdict's log line as a JSON string, written from its fields: the bytes jsonString writes
 * for verdict.logLine (formatHttpLog's line for them, see HttpVerdict), without building that
 * line. `analyze` writes one per exchange, and the line as a string was most of its allocation
 * after pairing.
 */
import { formatLogDate, logDateSecondText } from '../correlate/haproxy/log-date.js';
import { BADREQ, type HttpVerdict } from '../correlate/haproxy/verdict-log.js';
import type { AsciiBuffer } from './ascii-buffer.js';
import { ascii } from './ascii-buffer.js';
import { jsonStringBody } from './json-bytes.js';

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
  out.byte(34);
  jsonStringBody(out, v.clientAddress);
  out.byte(58);
  int(out, v.clientPort);
  bytes(out, DATE_OPEN);
  logDate(out, v.date);
  bytes(out, DATE_CLOSE);
  jsonStringBody(out, v.frontend);
  out.byte(32);
  jsonStringBody(out, v.backend);
  out.byte(47);
  jsonStringBody(out, v.server);
  out.byte(32);
  const t = v.timers;
  int(out, t.TR);
  out.byte(47);
  int(out, t.Tw);
  out.byte(47);
  int(out, t.Tc);
  out.byte(47);
  int(out, t.Tr);
  out.byte(47);
  int(out, t.Ta);
  out.byte(32);
  int(out, v.status);
  out.byte(32);
  int(out, v.bytesRead);
  bytes(out, COOKIES);
  jsonStringBody(out, v.termination);
  bytes(out, COUNTERS);
  int(out, v.retries);
  bytes(out, QUEUES);
  const h = v.requestHeaders;
  if (h !== null) {
    bytes(out, HEADERS_OPEN);
    for (let i = 0; i < h.length; i++) {
      if (i > 0) out.byte(124);
      jsonStringBody(out, h[i]!);
    }
    out.byte(125);
  }
  bytes(out, REQUEST_OPEN);
  if (v.version !== null) {
    logText(out, v.method);
    out.byte(32);
    logText(out, v.target);
    out.byte(32);
    logText(out, v.version);
  } else if (v.method === '') {
    out.ascii(BADREQ);
  } else {
    logText(out, v.method);
    out.byte(32);
    logText(out, v.target);
  }
  bytes(out, REQUEST_CLOSE);
}

function bytes(out: AsciiBuffer, b: Uint8Array): void {
  out.ensure(b.length);
  const buf = out.buf;
  let p = out.pos;
  for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
  out.pos = p;
}

/** A number as a template literal writes it (the line's numbers are integers). */
function int(out: AsciiBuffer, v: number): void {
  if (!Number.isSafeInteger(v)) return out.ascii(String(v));
  if (v < 0) {
    out.byte(45);
    out.uint(-v);
  } else out.uint(v);
}

/** The second written last (lines come in time order: most share it), as bytes. */
let dateSecond = NaN;
let dateBytes: Uint8Array = new Uint8Array(0);

/** formatLogDate(ms) (UTC). */
function logDate(out: AsciiBuffer, ms: number): void {
  // Date's range, in whole ms; anything else as formatLogDate has it.
  if (!(Number.isSafeInteger(ms) && Math.abs(ms) <= 8.64e15)) return out.ascii(formatLogDate(ms));
  const second = Math.floor(ms / 1000);
  if (second !== dateSecond) {
    dateBytes = ascii(logDateSecondText(second));
    dateSecond = second;
  }
  bytes(out, dateBytes);
  const m = ms - second * 1000;
  out.ensure(3);
  const buf = out.buf;
  const p = out.pos;
  const hundreds = Math.floor(m / 100);
  const tens = Math.floor(m / 10) - hundreds * 10;
  buf[p] = 48 + hundreds;
  buf[p + 1] = 48 + tens;
  buf[p + 2] = 48 + m - hundreds * 100 - tens * 10;
  out.pos = p + 3;
}

const HEX_UPPER = ascii('0123456789ABCDEF');

/**
 * Request line text as encodeLogText gives it ('"', '#', controls and non-ASCII as #XX, by code
 * point: a surrogate pair is one, written with its first unit's code), escaped for JSON (only
 * the backslash can need it then).
 */
function logText(out: AsciiBuffer, s: string): void {
  const n = s.length;
  // '#' and up to four hex digits a code unit.
  out.ensure(n * 5);
  const buf = out.buf;
  let p = out.pos;
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
  out.pos = p;
}
