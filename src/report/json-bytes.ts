/**
 * JSON values written straight into an AsciiBuffer, byte for byte what asciiJson(JSON.stringify(v))
 * gives, without the intermediate strings: `analyze` writes a dozen numbers and strings per
 * exchange, and String(double), JSON.stringify and the latin1 copy of the joined text were a
 * tenth of its CPU time and a sixth of its allocation.
 */
import { uintAt, type AsciiBuffer } from './ascii-buffer.js';

const TWO_53 = 9007199254740991;
/** Below 2^32 a double's spacing is under 1e-6, so a whole number of microseconds prints as itself. */
const TWO_32 = 4294967296;

/** A number as JSON.stringify writes it (non-finite ones as null). */
export function jsonNumber(out: AsciiBuffer, v: number): void {
  out.ensure(NUMBER_ROOM);
  out.pos = numberAt(out.buf, out.pos, v);
}

/** Bytes numberAt may write: a sign, 17 significant digits, a point and an exponent fit. */
export const NUMBER_ROOM = 32;

/**
 * jsonNumber's text of v at buf[p] (NUMBER_ROOM bytes free there); returns the end. Most numbers
 * are small integers and epoch times in µs, both written with integer arithmetic only.
 */
export function numberAt(buf: Uint8Array, p: number, v: number): number {
  if ((v | 0) === v) {
    // -0 too: String(-0) is "0".
    if (v >= 0) return uintAt(buf, p, v);
    buf[p] = 45;
    return uintAt(buf, p + 1, -v);
  }
  if (!Number.isFinite(v)) return textAt(buf, p, 'null');
  const a = v < 0 ? -v : v;
  if (a <= TWO_53 && Math.floor(a) === a) {
    if (v < 0) buf[p++] = 45;
    return uintAt(buf, p, a);
  }
  // A whole number k of microseconds (epoch(), times rounded to µs, ms with three decimals):
  // the shortest text that reads back as k / 1e6 is k's digits with the point, as String() has it.
  const k = Math.round(a * 1e6);
  if (!(a < TWO_32 && k / 1e6 === a)) return textAt(buf, p, String(v));
  let whole = Math.floor(k / 1e6);
  let frac = k - whole * 1e6;
  if (frac < 0) {
    whole--;
    frac += 1e6;
  } else if (frac >= 1e6) {
    whole++;
    frac -= 1e6;
  }
  if (v < 0) buf[p++] = 45;
  p = uintAt(buf, p, whole);
  if (frac > 0) {
    buf[p++] = 46;
    let f = frac | 0;
    let n = 6;
    while (f % 10 === 0) {
      f = (f / 10) | 0;
      n--;
    }
    for (let i = p + n - 1; i >= p; i--) {
      const q = (f / 10) | 0;
      buf[i] = 48 + f - q * 10;
      f = q;
    }
    p += n;
  }
  return p;
}

/** ASCII text at buf[p] (room made by the caller); returns the end. */
export function textAt(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

/** Bytes at buf[p] (room made by the caller); returns the end. */
export function bytesAt(buf: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  // A copy call costs about what a loop over two dozen bytes does.
  if (n > 24) {
    buf.set(b, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) buf[p++] = b[i]!;
  return p;
}

/**
 * Constant ASCII text as little-endian 32-bit words (the last one padded with zeros): pieceAt
 * writes it four bytes a store, which for the keys of the session JSON was most of its cost.
 */
export interface Piece {
  readonly length: number;
  readonly words: Int32Array;
}

export function piece(text: string): Piece {
  const words = new Int32Array(Math.ceil(text.length / 4));
  for (let i = 0; i < text.length; i++) words[i >> 2]! |= (text.charCodeAt(i) & 0xff) << ((i & 3) * 8);
  return { length: text.length, words };
}

/** PIECE_SLACK bytes past a piece's end may be overwritten by its padding: the caller's room allows for them. */
export const PIECE_SLACK = 3;

/** The piece at p, through a DataView of the buffer; returns its end. */
export function pieceAt(dv: DataView, p: number, c: Piece): number {
  const w = c.words;
  for (let i = 0; i < w.length; i++) dv.setInt32(p + i * 4, w[i]!, true);
  return p + c.length;
}

/** A number or null at buf[p] (NUMBER_ROOM bytes free); returns the end. */
export function nullableAt(buf: Uint8Array, p: number, v: number | null): number {
  if (v !== null) return numberAt(buf, p, v);
  buf[p] = 110;
  buf[p + 1] = 117;
  buf[p + 2] = 108;
  buf[p + 3] = 108;
  return p + 4;
}

/**
 * A string, quoted, as asciiJson(JSON.stringify(s)) writes it: printable ASCII as it is; quotes,
 * backslashes and controls escaped as JSON.stringify does; every code unit from DEL up as \uxxxx
 * (which is also what JSON.stringify writes for a lone surrogate). HAProxy log lines quote their
 * request, so escapes are common.
 */
export function jsonString(out: AsciiBuffer, s: string): void {
  out.ensure(s.length * 6 + 2);
  out.pos = stringAt(out.buf, out.pos, s);
}

/** jsonString's text at buf[p] (s.length * 6 + 2 bytes free there); returns the end. */
export function stringAt(buf: Uint8Array, p: number, s: string): number {
  buf[p] = 34;
  p = escapedAt(buf, p + 1, s);
  buf[p] = 34;
  return p + 1;
}

/** What jsonString writes between the quotes, at buf[p] (s.length * 6 bytes free there); returns the end. */
export function escapedAt(buf: Uint8Array, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      if (c === 34 || c === 92) buf[p++] = 92;
      buf[p++] = c;
      continue;
    }
    buf[p++] = 92;
    const short = c < 0x20 ? SHORT_ESCAPE[c]! : 0;
    if (short !== 0) {
      buf[p++] = short;
      continue;
    }
    buf[p++] = 117;
    buf[p++] = HEX[c >> 12]!;
    buf[p++] = HEX[(c >> 8) & 15]!;
    buf[p++] = HEX[(c >> 4) & 15]!;
    buf[p++] = HEX[c & 15]!;
  }
  return p;
}

/** JSON.stringify's two-character escapes of controls (\b \t \n \f \r), by code; 0: \u00xx. */
const SHORT_ESCAPE = new Uint8Array(32);
SHORT_ESCAPE[8] = 98;
SHORT_ESCAPE[9] = 116;
SHORT_ESCAPE[10] = 110;
SHORT_ESCAPE[12] = 102;
SHORT_ESCAPE[13] = 114;
/** Lowercase hex digits, as JSON.stringify and asciiJson write them. */
const HEX = Uint8Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

/** A fixed-vocabulary word (mode, direction, code) quoted as it is: nothing in it to escape. */
export function jsonWord(out: AsciiBuffer, s: string): void {
  out.byte(34);
  out.ascii(s);
  out.byte(34);
}
