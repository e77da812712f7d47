/**
 * Delivered bytes kept until the receiver ACKs them, so that a retransmission can be compared
 * with what was delivered first. The kept bytes are one contiguous window ending at the next
 * offset to deliver, in a buffer taken from a pool of a few sizes: no allocation per packet,
 * and a direction whose data is all ACKed holds no buffer at all.
 */

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

/** A base class (not a member) so that each direction is one object, not two. */
export class Retention {
  keepBuf: Uint8Array | null = null;
  /** Stream offset of keepBuf[0]. */
  keepStart = 0;
  keepLength = 0;

  /** Appends delivered bytes at `offset` (which must be where the window ends, else it restarts there). */
  keep(offset: number, src: Uint8Array, at: number, n: number, max: number): void {
    if (n <= 0 || max <= 0) return;
    if (offset !== this.keepStart + this.keepLength) {
      this.keepStart = offset;
      this.keepLength = 0;
    }
    if (n >= max) {
      // Only the last `max` bytes can be kept.
      at += n - max;
      offset += n - max;
      n = max;
      this.keepStart = offset;
      this.keepLength = 0;
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
      buf.set(src.subarray(at, at + n), this.keepLength);
    }
    this.keepLength += n;
  }

  /** Forgets everything below `offset` (the receiver has ACKed it). */
  forgetBelow(offset: number): void {
    if (this.keepBuf === null || offset <= this.keepStart) return;
    const drop = Math.min(offset - this.keepStart, this.keepLength);
    if (drop === this.keepLength) {
      this.releaseKept();
      this.keepStart = offset;
      return;
    }
    this.keepBuf.copyWithin(0, drop, this.keepLength);
    this.keepStart += drop;
    this.keepLength -= drop;
  }

  /** True when the kept bytes that overlap [offset, offset + n) equal src[at..]. */
  keptMatches(offset: number, src: Uint8Array, at: number, n: number): boolean {
    const buf = this.keepBuf;
    if (buf === null) return true;
    const from = Math.max(offset, this.keepStart);
    const to = Math.min(offset + n, this.keepStart + this.keepLength);
    for (let o = from; o < to; o++) if (buf[o - this.keepStart] !== src[at + (o - offset)]) return false;
    return true;
  }

  releaseKept(): void {
    if (this.keepBuf !== null) give(this.keepBuf);
    this.keepBuf = null;
    this.keepLength = 0;
  }
}
