/**
 * JSON values written straight into an AsciiBuffer, byte for byte what asciiJson(JSON.stringify(v))
 * gives, without the intermediate strings: `analyze` writes a dozen numbers and strings per
 * exchange, and String(double), JSON.stringify and the latin1 copy of the joined text were a
 * tenth of its CPU time and a sixth of its allocation.
 */
import type { AsciiBuffer } from './ascii-buffer.js';

const TWO_53 = 9007199254740991;
/** Below 2^32 a double's spacing is under 1e-6, so a whole number of microseconds prints as itself. */
const TWO_32 = 4294967296;

/** A number as JSON.stringify writes it (non-finite ones as null). */
export function jsonNumber(out: AsciiBuffer, v: number): void {
  if (!Number.isFinite(v)) return out.ascii('null');
  const a = v < 0 ? -v : v;
  let whole: number;
  let frac = -1;
  if (a <= TWO_53 && Math.floor(a) === a) whole = a;
  else {
    // A whole number k of microseconds (epoch(), times rounded to µs, ms with three decimals):
    // the shortest text that reads back as k / 1e6 is k's digits with the point, as String() has it.
    const k = Math.round(a * 1e6);
    if (!(a < TWO_32 && k / 1e6 === a)) return out.ascii(String(v));
    whole = Math.floor(k / 1e6);
    frac = k - whole * 1e6;
    if (frac < 0) {
      whole--;
      frac += 1e6;
    } else if (frac >= 1e6) {
      whole++;
      frac -= 1e6;
    }
  }
  if (v < 0) out.byte(45);
  out.uint(whole);
  if (frac > 0) {
    out.ensure(7);
    const buf = out.buf;
    let p = out.pos;
    buf[p++] = 46;
    let f = frac;
    let n = 6;
    while (f % 10 === 0) {
      f /= 10;
      n--;
    }
    for (let i = p + n - 1; i >= p; i--) {
      const q = Math.floor(f / 10);
      buf[i] = 48 + (f - q * 10);
      f = q;
    }
    out.pos = p + n;
  }
}

/** A number or null. */
export function jsonNullable(out: AsciiBuffer, v: number | null): void {
  if (v === null) out.ascii('null');
  else jsonNumber(out, v);
}

/**
 * A string, quoted, as asciiJson(JSON.stringify(s)) writes it: printable ASCII as it is; quotes,
 * backslashes and controls escaped as JSON.stringify does; every code unit from DEL up as \uxxxx
 * (which is also what JSON.stringify writes for a lone surrogate). HAProxy log lines quote their
 * request, so escapes are common.
 */
export function jsonString(out: AsciiBuffer, s: string): void {
  out.byte(34);
  jsonStringBody(out, s);
  out.byte(34);
}

/** What jsonString writes between the quotes. */
export function jsonStringBody(out: AsciiBuffer, s: string): void {
  const n = s.length;
  // At most 6 bytes a code unit (\uxxxx).
  out.ensure(n * 6);
  const buf = out.buf;
  let p = out.pos;
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
  out.pos = p;
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
