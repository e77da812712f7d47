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
  out.ensure(32);
  const buf = out.buf;
  let p = out.pos;
  if (v < 0) buf[p++] = 45;
  let digits = 1;
  for (let t = 10; t <= whole; t *= 10) digits++;
  let d = p + digits;
  let w = whole;
  while (w >= 10) {
    const q = Math.floor(w / 10);
    buf[--d] = 48 + (w - q * 10);
    w = q;
  }
  buf[--d] = 48 + w;
  p += digits;
  if (frac > 0) {
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
    p += n;
  }
  out.pos = p;
}

/** A number or null. */
export function jsonNullable(out: AsciiBuffer, v: number | null): void {
  if (v === null) out.ascii('null');
  else jsonNumber(out, v);
}

/**
 * A string, quoted, as asciiJson(JSON.stringify(s)) writes it: printable ASCII as it is, the
 * rare rest (quotes, backslashes, controls, anything from DEL up) through JSON.stringify.
 */
export function jsonString(out: AsciiBuffer, s: string): void {
  const n = s.length;
  out.ensure(n + 2);
  const buf = out.buf;
  const start = out.pos;
  let p = start;
  buf[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) {
      out.pos = start;
      out.ascii(escapedJson(s));
      return;
    }
    buf[p++] = c;
  }
  buf[p++] = 34;
  out.pos = p;
}

/** JSON.stringify's text of s with everything from DEL up as a \u escape (pure ASCII). */
export function escapedJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A fixed-vocabulary word (mode, direction, code) quoted as it is: nothing in it to escape. */
export function jsonWord(out: AsciiBuffer, s: string): void {
  out.byte(34);
  out.ascii(s);
  out.byte(34);
}
