/**
 * Request lines and status lines (RFC 9112 §3, §4): full parses of a complete line, a prefix
 * check that rejects garbage after a few bytes (instead of buffering 64 KiB of a TLS stream),
 * and the stricter test used to find a message again after a gap.
 */
import type { HttpRole } from './types.js';

export interface RequestLine {
  method: string;
  target: string;
  version: string;
}

export interface StatusLine {
  version: string;
  status: number;
  reason: string;
}

// Lenient on the target (any visible byte, obs-text included) but strict on the shape: one SP
// between parts, as RFC 9112 §3 asks; HTTP/2's preface ("PRI * HTTP/2.0") is rejected here.
// Scanned by hand rather than by regular expression (no match array per message), accepting
// exactly the language of
//   request: /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) (HTTP\/1\.[0-9])$/
//   status:  /^(HTTP\/1\.[0-9]) ([0-9]{3})(?: ([^\r\n]*))?$/
const UPPER_METHOD = /^[A-Z][A-Z0-9_-]{0,23}$/;

/** "HTTP/1." and a digit at text[at, at + 8). */
function isVersionAt(text: string, at: number): boolean {
  if (!text.startsWith('HTTP/1.', at)) return false;
  const c = text.charCodeAt(at + 7);
  return c >= 0x30 && c <= 0x39;
}

/**
 * Whether text[0, end) is a request line: the end of its method, or -1. The target runs from
 * there + 1 to end - 9 and the version is the last 8 characters (its length is fixed).
 */
export function requestLineMethodEnd(text: string, end = text.length): number {
  let i = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || TOKEN[c] !== 1) break;
  }
  // method, SP, a target of at least one byte, SP, version
  const targetEnd = end - 9;
  if (i === 0 || targetEnd <= i + 1 || text.charCodeAt(i) !== 0x20 || text.charCodeAt(targetEnd) !== 0x20) return -1;
  for (let k = i + 1; k < targetEnd; k++) {
    const c = text.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f) return -1;
  }
  return isVersionAt(text, end - 8) ? i : -1;
}

/**
 * Whether text[0, end) is a status line: its status code, or -1. The version is its first 8
 * characters, the reason phrase what follows the 13th (when it is longer than 12).
 */
export function statusLineStatus(text: string, end = text.length): number {
  if (end < 12 || !isVersionAt(text, 0) || text.charCodeAt(8) !== 0x20) return -1;
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return -1;
    status = status * 10 + (c - 0x30);
  }
  if (end === 12) return status;
  if (text.charCodeAt(12) !== 0x20) return -1;
  for (let k = 13; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 0x0d || c === 0x0a) return -1;
  }
  return status;
}

export function parseRequestLine(line: string): RequestLine | null {
  const m = requestLineMethodEnd(line);
  if (m < 0) return null;
  return { method: line.slice(0, m), target: line.slice(m + 1, line.length - 9), version: line.slice(line.length - 8) };
}

export function parseStatusLine(line: string): StatusLine | null {
  const status = statusLineStatus(line);
  if (status < 0) return null;
  return { version: line.slice(0, 8), status, reason: line.length > 12 ? line.slice(13) : '' };
}

/**
 * After a gap, whether a line is convincing enough to restart at: a request line with an
 * upper-case method, or a status line with a status in 100..599. Random bytes of a body almost
 * never pass; a body that quotes HTTP may (nothing better exists without framing).
 */
export function looksLikeStartLine(role: HttpRole, line: string): boolean {
  if (role === 'request') {
    const r = parseRequestLine(line);
    return r !== null && UPPER_METHOD.test(r.method);
  }
  const s = parseStatusLine(line);
  return s !== null && s.status >= 100 && s.status <= 599;
}

const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

const MAX_METHOD = 32;
const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Whether `buf[0, len)` matches the version "HTTP/1.D" as far as it goes, starting at `at`; returns bytes matched or -1. */
function versionPrefix(buf: Uint8Array, at: number, len: number): number {
  let i = at;
  for (let k = 0; k < VERSION_PREFIX.length && i < len; k++, i++) if (buf[i] !== VERSION_PREFIX[k]) return -1;
  if (i < len) {
    if (!isDigit(buf[i]!)) return -1;
    i++;
  }
  return i - at;
}

/**
 * Whether the incomplete first line `buf[0, len)` (no LF yet) can still become a valid start
 * line. False means garbage: the parser gives up at once.
 */
export function couldBeStartLine(role: HttpRole, buf: Uint8Array, len: number): boolean {
  // A CR just before the (not yet seen) LF is fine; anywhere else it is not.
  if (len > 0 && buf[len - 1] === 0x0d) len--;
  if (role === 'request') {
    let i = 0;
    while (i < len && TOKEN[buf[i]!] === 1) i++;
    if (i > MAX_METHOD) return false;
    if (i === len) return true;
    if (i === 0 || buf[i] !== 0x20) return false;
    i++;
    const targetStart = i;
    while (i < len && buf[i]! > 0x20 && buf[i] !== 0x7f) i++;
    if (i === len) return true;
    if (i === targetStart || buf[i] !== 0x20) return false;
    i++;
    const v = versionPrefix(buf, i, len);
    return v >= 0 && i + v === len;
  }
  const v = versionPrefix(buf, 0, len);
  if (v < 0) return false;
  let i = v;
  if (i === len) return true;
  if (buf[i] !== 0x20) return false;
  i++;
  for (let k = 0; k < 3 && i < len; k++, i++) if (!isDigit(buf[i]!)) return false;
  if (i === len) return true;
  return buf[i] === 0x20;
}
