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
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) (HTTP\/1\.[0-9])$/;
const STATUS_LINE = /^(HTTP\/1\.[0-9]) ([0-9]{3})(?: ([^\r\n]*))?$/;
const UPPER_METHOD = /^[A-Z][A-Z0-9_-]{0,23}$/;

export function parseRequestLine(line: string): RequestLine | null {
  const m = REQUEST_LINE.exec(line);
  if (m === null) return null;
  return { method: m[1]!, target: m[2]!, version: m[3]! };
}

export function parseStatusLine(line: string): StatusLine | null {
  const m = STATUS_LINE.exec(line);
  if (m === null) return null;
  return { version: m[1]!, status: Number(m[2]!), reason: m[3] ?? '' };
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
