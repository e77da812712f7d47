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

  private viewOf: Uint8Array | null = null;
  private dv: DataView | null = null;

  /** A DataView of buf (made again when buf is another). */
  view(): DataView {
    if (this.viewOf !== this.buf || this.dv === null) {
      this.viewOf = this.buf;
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    return this.dv;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.makeRoom(n);
  }

  /** Grows the buffer (subclasses may hand the bytes on instead). */
  protected makeRoom(n: number): void {
    // Not zero-filled: every byte is written before it is read.
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
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

  /** A non-negative integer, as String(n) writes it. */
  uint(n: number): void {
    if (!(n >= 0 && n <= 0x3fffffffffff && Math.floor(n) === n)) return this.ascii(String(n));
    this.ensure(16);
    this.pos = uintAt(this.buf, this.pos, n);
  }

  /** The bytes written so far, as a string (for tests and small outputs). */
  text(from = 0): string {
    let s = '';
    for (let i = from; i < this.pos; i += 8192) s += String.fromCharCode(...this.buf.subarray(i, Math.min(this.pos, i + 8192)));
    return s;
  }
}

/** The bytes of an ASCII string. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

export const UINT = 0;
export const FIXED6 = 1;
export const TEXT = 2;
export const CLOCK = 3;
export type SlotKind = typeof UINT | typeof FIXED6 | typeof TEXT | typeof CLOCK;

/** n (0..99) as two digits at buf[p]; returns the position after them. */
function twoDigits(buf: Uint8Array, p: number, n: number): number {
  const tens = Math.floor(n / 10);
  buf[p] = 48 + tens;
  buf[p + 1] = 48 + n - tens * 10;
  return p + 2;
}

/**
 * A line of constant text with values between its pieces, written in one function with no call
 * per piece: per-connection output is dozens of pieces, and a call each (too many to inline)
 * cost more than the bytes. Fill `kind`, `num` and `str` for the slots, then `write`.
 * Slot i comes after piece i: a non-negative integer (UINT, num[i]), seconds with six decimals
 * (FIXED6, num[i]; the text of AsciiBuffer.fixed6), ASCII text (TEXT, str[i]), or the UTC time
 * of day of non-negative epoch seconds (CLOCK, num[i]; table.ts's timeOfDay, "07:41:33.522479").
 * After `write`, ends[i] is where slot i ended in the buffer.
 */
export class LineTemplate {
  private readonly text: Uint8Array;
  private readonly pieces: Uint8Array[];
  /**
   * The pieces as little-endian 32-bit words, piece i's from words[wordAt[i]] (its last
   * length % 4 bytes are copied as bytes): four bytes a store.
   */
  private readonly words: Int32Array;
  private readonly wordAt: Int32Array;
  readonly slots: number;
  readonly kind: Uint8Array;
  readonly num: Float64Array;
  readonly str: string[];
  readonly ends: Int32Array;

  constructor(pieces: readonly string[]) {
    this.text = ascii(pieces.join(''));
    this.pieces = pieces.map(ascii);
    this.wordAt = new Int32Array(pieces.length + 1);
    const words: number[] = [];
    this.pieces.forEach((b, i) => {
      this.wordAt[i] = words.length;
      for (let k = 0; k + 4 <= b.length; k += 4) words.push(b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24));
    });
    this.wordAt[pieces.length] = words.length;
    this.words = Int32Array.from(words);
    this.slots = pieces.length - 1;
    this.kind = new Uint8Array(this.slots);
    this.num = new Float64Array(this.slots);
    this.str = new Array<string>(this.slots).fill('');
    this.ends = new Int32Array(this.slots);
  }

  write(out: AsciiBuffer): void {
    const { text, pieces, words, wordAt, kind, num, str, slots, ends } = this;
    // Room first: 32 bytes hold any number as String() or fixed6 writes it (sign, 21 digits, decimals).
    let room = text.length;
    for (let i = 0; i < slots; i++) room += kind[i] === TEXT ? str[i]!.length : 32;
    out.ensure(room);
    const buf = out.buf;
    const dv = out.view();
    let p = out.pos;
    for (let i = 0; ; i++) {
      const piece = pieces[i]!;
      const w1 = wordAt[i + 1]!;
      for (let w = wordAt[i]!; w < w1; w++) {
        dv.setInt32(p, words[w]!, true);
        p += 4;
      }
      for (let k = piece.length & ~3; k < piece.length; k++) buf[p++] = piece[k]!;
      if (i === slots) break;
      const kd = kind[i];
      if (kd === TEXT) {
        const s = str[i]!;
        for (let k = 0; k < s.length; k++) buf[p++] = s.charCodeAt(k);
        ends[i] = p;
        continue;
      }
      if (kd === CLOCK) {
        const totalUs = Math.round(num[i]! * 1e6);
        const day = Math.floor(totalUs / 1e6) % 86400;
        p = twoDigits(buf, p, Math.floor(day / 3600));
        buf[p++] = 58;
        p = twoDigits(buf, p, Math.floor(day / 60) % 60);
        buf[p++] = 58;
        p = twoDigits(buf, p, day % 60);
        buf[p++] = 46;
        let f = totalUs % 1e6;
        for (let d = p + 5; d >= p; d--) {
          const q = Math.floor(f / 10);
          buf[d] = 48 + f - q * 10;
          f = q;
        }
        p += 6;
        ends[i] = p;
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
      if (v >= 0 && v <= 0x3fffffffffff && Math.floor(v) === v) {
        p = uintAt(buf, p, v);
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
      ends[i] = p;
    }
    out.pos = p;
  }
}

/** A whole number 0 <= n <= 2^53 as String(n) writes it, at buf[p]; returns the end. */
export function uintAt(buf: Uint8Array, p: number, n: number): number {
  if (n <= 0x7fffffff) {
    let v = n | 0;
    const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    let i = p + digits;
    while (v >= 10) {
      const q = (v / 10) | 0;
      buf[--i] = 48 + v - q * 10;
      v = q;
    }
    buf[--i] = 48 + v;
    return p + digits;
  }
  let digits = 10;
  for (let t = 1e10; t <= n; t *= 10) digits++;
  let i = p + digits;
  let v = n;
  while (v >= 10) {
    const q = Math.floor(v / 10);
    buf[--i] = 48 + (v - q * 10);
    v = q;
  }
  buf[--i] = 48 + v;
  return p + digits;
}
