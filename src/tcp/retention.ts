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
 * all of them are ACKed within a few packets. So delivered bytes are first only referenced, as
 * (position, length) pairs into the reader's buffer; they are copied (`materialize`) just before
 * the reader overwrites that buffer, and only if still unACKed then.
 */
export class Retention {
  keepBuf: Uint8Array | null = null;
  /** Stream offset of keepBuf[0]; the window is [keepStart, keepStart + keepLength + refLength). */
  keepStart = 0;
  keepLength = 0;
  /** References to delivered bytes not copied yet, contiguous after the copied ones: [at, length] pairs into refBuf. */
  refs: number[] | null = null;
  refHead = 0;
  refCount = 0;
  refBuf: Uint8Array | null = null;
  refLength = 0;

  /**
   * Notes delivered bytes src[at, at + n) at stream `offset`. Returns true when this direction
   * starts holding references into `src`: its owner must call materialize() before src is reused.
   */
  keep(offset: number, src: Uint8Array, at: number, n: number, max: number): boolean {
    if (n <= 0 || max <= 0) return false;
    if (offset !== this.keepStart + this.keepLength + this.refLength) {
      this.releaseKept();
      this.keepStart = offset;
    }
    if (this.refCount > this.refHead && (this.refBuf !== src || this.keepLength + this.refLength + n > max)) this.materialize(max);
    if (this.keepLength + n > max) {
      this.copyIn(src, at, n, max);
      return false;
    }
    const refs = (this.refs ??= []);
    const fresh = this.refCount === this.refHead;
    refs[this.refCount * 2] = at;
    refs[this.refCount * 2 + 1] = n;
    this.refCount++;
    this.refBuf = src;
    this.refLength += n;
    return fresh;
  }

  /** Copies the referenced bytes into the window's own buffer. */
  materialize(max: number): void {
    const refs = this.refs;
    const src = this.refBuf;
    if (refs !== null && src !== null) {
      for (let i = this.refHead; i < this.refCount; i++) {
        const n = refs[i * 2 + 1]!;
        this.refLength -= n;
        this.copyIn(src, refs[i * 2]!, n, max);
      }
    }
    this.refHead = this.refCount = this.refLength = 0;
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
      // Buffer's copy works on any Uint8Array and, unlike set(subarray), allocates no view.
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
    const refs = this.refs;
    while (drop > 0 && refs !== null && this.refHead < this.refCount) {
      const i = this.refHead * 2;
      const n = refs[i + 1]!;
      const d = drop < n ? drop : n;
      this.keepStart += d;
      this.refLength -= d;
      drop -= d;
      if (d === n) this.refHead++;
      else {
        refs[i] = refs[i]! + d;
        refs[i + 1] = n - d;
      }
    }
    if (this.refHead === this.refCount) {
      this.refHead = this.refCount = this.refLength = 0;
      this.refBuf = null;
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
    const refs = this.refs;
    const rb = this.refBuf;
    if (refs === null || rb === null) return true;
    let refOffset = this.keepStart + this.keepLength;
    for (let i = this.refHead; i < this.refCount && refOffset < end; i++) {
      const rAt = refs[i * 2]!;
      const rn = refs[i * 2 + 1]!;
      const from = Math.max(offset, refOffset);
      const to = Math.min(end, refOffset + rn);
      for (let o = from; o < to; o++) if (rb[rAt + (o - refOffset)] !== src[at + (o - offset)]) return false;
      refOffset += rn;
    }
    return true;
  }

  releaseKept(): void {
    if (this.keepBuf !== null) give(this.keepBuf);
    this.keepBuf = null;
    this.keepStart += this.keepLength + this.refLength;
    this.keepLength = 0;
    this.refHead = this.refCount = this.refLength = 0;
    this.refBuf = null;
  }
}
