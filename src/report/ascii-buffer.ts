/**
 * ASCII text written straight into bytes: numbers digit by digit, strings char by char. For
 * output formatted per connection (tens of thousands a second) this is several times cheaper
 * than building a string of pieces that V8 must then flatten and encode.
 * Everything written must be ASCII; callers escape anything captured first.
 */
export class AsciiBuffer {
  buf: Uint8Array;
  pos = 0;

  constructor(buf: Uint8Array = new Uint8Array(1 << 16)) {
    this.buf = buf;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.makeRoom(n);
  }

  /** Grows the buffer (subclasses may hand the bytes on instead). */
  protected makeRoom(n: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An ASCII string. */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes made by `ascii()` below (constant text: a loop over bytes beats one over a string's chars). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    const p = this.pos;
    // set() is a native copy: slower to call, faster per byte.
    if (n > 16) buf.set(b, p);
    else for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    this.pos = p + n;
  }

  /** A non-negative integer, as String(n) writes it. */
  uint(n: number): void {
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) return this.int31(n);
    if (!(n >= 0 && n <= 0x3fffffffffff && Math.floor(n) === n)) return this.ascii(String(n));
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    this.ensure(digits);
    const buf = this.buf;
    const start = this.pos;
    let i = start + digits;
    let v = n;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--i] = 48 + (v - q * 10);
      v = q;
    }
    buf[--i] = 48 + v;
    this.pos = start + digits;
  }

  /** uint() of 0 <= n < 2^31: integer arithmetic (a division by 10 is a multiplication then). */
  private int31(n: number): void {
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    this.ensure(digits);
    const buf = this.buf;
    let i = this.pos + digits;
    let v = n | 0;
    while (v >= 10) {
      const q = (v / 10) | 0;
      buf[--i] = 48 + v - q * 10;
      v = q;
    }
    buf[--i] = 48 + v;
    this.pos += digits;
  }

  /** v (0 <= v < 10^width, an integer below 2^31) with leading zeros to `width` digits. */
  padded(v: number, width: number): void {
    this.ensure(width);
    const buf = this.buf;
    for (let i = this.pos + width - 1; i >= this.pos; i--) {
      const q = (v / 10) | 0;
      buf[i] = 48 + (v - q * 10);
      v = q;
    }
    this.pos += width;
  }

  /**
   * Seconds with exactly six decimals, from integers (the same text as connection-json's
   * fixed6): exact microseconds, and the same number as the double when parsed.
   */
  fixed6(t: number): void {
    const us = Math.round(t * 1e6);
    const neg = us < 0;
    const a = neg ? -us : us;
    const whole = Math.floor(a / 1e6);
    if (neg) this.byte(45);
    if (whole < 100000) {
      this.uint(whole);
    } else if (whole === this.lastWhole) {
      // Epoch times of one capture share their whole seconds: the digits of the last are kept.
      this.bytes(this.lastWholeBytes);
    } else {
      const at = this.pos;
      this.uint(whole);
      this.lastWhole = whole;
      this.lastWholeBytes = Uint8Array.prototype.slice.call(this.buf, at, this.pos);
    }
    this.byte(46);
    this.padded(a - whole * 1e6, 6);
  }

  private lastWhole = -1;
  private lastWholeBytes = new Uint8Array(0);

  /** The bytes written so far, as a string (for tests and small outputs). */
  text(from = 0): string {
    let s = '';
    for (let i = from; i < this.pos; i += 8192) s += String.fromCharCode(...this.buf.subarray(i, Math.min(this.pos, i + 8192)));
    return s;
  }
}

/** The bytes of an ASCII string, for AsciiBuffer.bytes. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

export const UINT = 0;
export const FIXED6 = 1;
export const TEXT = 2;
export type SlotKind = typeof UINT | typeof FIXED6 | typeof TEXT;

/**
 * A line of constant text with values between its pieces, written in one function with no call
 * per piece: per-connection output is dozens of pieces, and a call each (too many to inline)
 * cost more than the bytes. Fill `kind`, `num` and `str` for the slots, then `write`.
 * Slot i comes after piece i: a non-negative integer (UINT, num[i]), seconds with six decimals
 * (FIXED6, num[i]; the text of AsciiBuffer.fixed6), or ASCII text (TEXT, str[i]).
 */
export class LineTemplate {
  private readonly text: Uint8Array;
  private readonly pieces: Uint8Array[];
  readonly slots: number;
  readonly kind: Uint8Array;
  readonly num: Float64Array;
  readonly str: string[];

  constructor(pieces: readonly string[]) {
    this.text = ascii(pieces.join(''));
    this.pieces = pieces.map(ascii);
    this.slots = pieces.length - 1;
    this.kind = new Uint8Array(this.slots);
    this.num = new Float64Array(this.slots);
    this.str = new Array<string>(this.slots).fill('');
  }

  write(out: AsciiBuffer): void {
    const { text, pieces, kind, num, str, slots } = this;
    // Room first: at most 20 digits for a number, 28 characters for a time.
    let room = text.length;
    for (let i = 0; i < slots; i++) room += kind[i] === TEXT ? str[i]!.length : 28;
    out.ensure(room);
    const buf = out.buf;
    let p = out.pos;
    for (let i = 0; ; i++) {
      const piece = pieces[i]!;
      // A native copy costs a call: worth it past a few bytes.
      if (piece.length > 6) {
        buf.set(piece, p);
        p += piece.length;
      } else {
        for (let k = 0; k < piece.length; k++) buf[p++] = piece[k]!;
      }
      if (i === slots) break;
      const kd = kind[i];
      if (kd === TEXT) {
        const s = str[i]!;
        for (let k = 0; k < s.length; k++) buf[p++] = s.charCodeAt(k);
        continue;
      }
      let v = num[i]!;
      let frac = -1;
      if (kd === FIXED6) {
        const us = Math.round(v * 1e6);
        if (us < 0) buf[p++] = 45;
        const a = us < 0 ? -us : us;
        v = Math.floor(a / 1e6);
        frac = a - v * 1e6;
      }
      if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) {
        let n = v | 0;
        const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
        let d = p + digits;
        while (n >= 10) {
          const q = (n / 10) | 0;
          buf[--d] = 48 + n - q * 10;
          n = q;
        }
        buf[--d] = 48 + n;
        p += digits;
      } else {
        out.pos = p;
        out.uint(v);
        p = out.pos;
      }
      if (frac >= 0) {
        buf[p++] = 46;
        let f = frac | 0;
        for (let d = p + 5; d >= p; d--) {
          const q = (f / 10) | 0;
          buf[d] = 48 + f - q * 10;
          f = q;
        }
        p += 6;
      }
    }
    out.pos = p;
  }
}
