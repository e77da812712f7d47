/**
 * Delivered bytes kept until the receiver ACKs them, so that a retransmission can be compared
 * with what was delivered first. The kept bytes are one contiguous window ending at the next
 * offset to deliver, in a buffer taken from a pool of a few sizes: no allocation per packet,
 * and a direction whose data is all ACKed holds no buffer at all.
 */

const copyBytes = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;

const SIZES = [2048, 16384, 131072, 1048576];
/** Free buffers kept per size: past that they are left to the garbage collector. */
const POOL_MAX = 4096;
const pools: Uint8Array[][] = SIZES.map(() => []);

function take(min: number, max: number): Uint8Array {
  for (let i = 0; i < SIZES.length; i++) {
    const size = SIZES[i]!;
    if (size < min && size < max) continue;
    const pool = pools[i]!;
    // Small buffers are carved from 1 MiB slabs: one allocation (and zero-fill) per 512 buffers.
    if (pool.length === 0 && size <= 16384) {
      const slab = new ArrayBuffer(1 << 20);
      for (let o = 0; o < slab.byteLength; o += size) pool.push(new Uint8Array(slab, o, size));
    }
    return pool.pop() ?? new Uint8Array(size);
  }
  return new Uint8Array(max);
}

function give(buf: Uint8Array): void {
  const i = SIZES.indexOf(buf.length);
  if (i >= 0 && pools[i]!.length < POOL_MAX) pools[i]!.push(buf);
}

/**
 * A base class (not a member) so that each direction is one object, not two.
 *
 * Copying every delivered segment would cost more than the rest of the reassembly, and almost
 * all of them are ACKed before the next one comes. So the last delivered segment is only
 * referenced, as a position in the reader's buffer; it is copied (`materialize`) when another
 * segment comes while it is still unACKed, or just before the reader overwrites its buffer.
 */
export class Retention {
  keepBuf: Uint8Array | null = null;
  /** Stream offset of keepBuf[0]; the window is [keepStart, keepStart + keepLength + refLength). */
  keepStart = 0;
  keepLength = 0;
  /** The referenced (not copied) bytes, right after the copied ones: refBuf[refAt, refAt + refLength). */
  refBuf: Uint8Array | null = null;
  refAt = 0;
  refLength = 0;

  /**
   * Notes delivered bytes src[at, at + n) at stream `offset`. Returns true when this direction
   * starts holding a reference into `src`: its owner must call materialize() before src is reused.
   */
  keep(offset: number, src: Uint8Array, at: number, n: number, max: number): boolean {
    if (n <= 0 || max <= 0) return false;
    if (offset !== this.keepStart + this.keepLength + this.refLength) {
      this.releaseKept();
      this.keepStart = offset;
    }
    const fresh = this.refLength === 0;
    if (!fresh) this.materialize(max);
    if (n > max) {
      this.copyIn(src, at, n, max);
      return false;
    }
    this.refBuf = src;
    this.refAt = at;
    this.refLength = n;
    return fresh;
  }

  /** Copies the referenced bytes into the window's own buffer. */
  materialize(max: number): void {
    const n = this.refLength;
    if (n === 0 || this.refBuf === null) return;
    this.refLength = 0;
    this.copyIn(this.refBuf, this.refAt, n, max);
    this.refBuf = null;
  }

  /** Appends src[at, at + n) to the copied part of the window (whose end it must be). */
  private copyIn(src: Uint8Array, at: number, n: number, max: number): void {
    if (n >= max) {
      // Only the last `max` bytes can be kept.
      this.keepStart += this.keepLength + n - max;
      this.keepLength = 0;
      at += n - max;
      n = max;
    }
    let buf = this.keepBuf;
    if (buf === null || this.keepLength + n > buf.length) {
      if (buf !== null && buf.length >= max) {
        // At the bound: drop the oldest bytes.
        const drop = this.keepLength + n - buf.length;
        buf.copyWithin(0, drop, this.keepLength);
        this.keepStart += drop;
        this.keepLength -= drop;
      } else {
        const bigger = take(this.keepLength + n, max);
        if (buf !== null) {
          const keep = Math.min(this.keepLength, bigger.length - n);
          bigger.set(buf.subarray(this.keepLength - keep, this.keepLength), 0);
          this.keepStart += this.keepLength - keep;
          this.keepLength = keep;
          give(buf);
        }
        buf = this.keepBuf = bigger;
      }
    }
    if (n <= 32) {
      for (let i = 0; i < n; i++) buf[this.keepLength + i] = src[at + i]!;
    } else {
      // Buffer's copy works on any Uint8Array and copies natively (in Node 20 it still makes one view per call).
      copyBytes.call(src, buf, this.keepLength, at, at + n);
    }
    this.keepLength += n;
  }

  /** Forgets everything below `offset` (the receiver has ACKed it). */
  forgetBelow(offset: number): void {
    let drop = offset - this.keepStart;
    if (drop <= 0) return;
    if (this.keepLength > 0) {
      if (drop < this.keepLength) {
        this.keepBuf!.copyWithin(0, drop, this.keepLength);
        this.keepStart += drop;
        this.keepLength -= drop;
        return;
      }
      drop -= this.keepLength;
      this.keepStart += this.keepLength;
      this.keepLength = 0;
      if (this.keepBuf !== null) give(this.keepBuf);
      this.keepBuf = null;
    }
    if (this.refLength > 0) {
      const d = drop < this.refLength ? drop : this.refLength;
      this.keepStart += d;
      this.refAt += d;
      this.refLength -= d;
      drop -= d;
      if (this.refLength === 0) this.refBuf = null;
    }
    if (drop > 0) this.keepStart += drop;
  }

  /** True when the kept bytes that overlap [offset, offset + n) equal src[at..]. */
  keptMatches(offset: number, src: Uint8Array, at: number, n: number): boolean {
    const end = offset + n;
    const buf = this.keepBuf;
    if (buf !== null) {
      const from = Math.max(offset, this.keepStart);
      const to = Math.min(end, this.keepStart + this.keepLength);
      for (let o = from; o < to; o++) if (buf[o - this.keepStart] !== src[at + (o - offset)]) return false;
    }
    const rb = this.refBuf;
    if (rb === null || this.refLength === 0) return true;
    const refOffset = this.keepStart + this.keepLength;
    const from = Math.max(offset, refOffset);
    const to = Math.min(end, refOffset + this.refLength);
    for (let o = from; o < to; o++) if (rb[this.refAt + (o - refOffset)] !== src[at + (o - offset)]) return false;
    return true;
  }

  releaseKept(): void {
    if (this.keepBuf !== null) give(this.keepBuf);
    this.keepBuf = null;
    this.keepStart += this.keepLength + this.refLength;
    this.keepLength = 0;
    this.refLength = 0;
    this.refBuf = null;
  }
}
