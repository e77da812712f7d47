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
    for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    this.pos = p + n;
  }

  /** A non-negative integer, as String(n) writes it. */
  uint(n: number): void {
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
