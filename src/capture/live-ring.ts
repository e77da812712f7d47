/**
 * The bounded queue between an event-driven producer (cap's 'packet' events) and the pull
 * interface of PacketSource: frames are copied into one preallocated byte ring, their metadata
 * into typed arrays, so queuing allocates nothing per packet. Bounded twice: by bytes and by
 * packets; a frame that does not fit is refused (the caller counts it as dropped).
 */
export interface RingEntry {
  /** Offset of the frame in `data`. */
  start: number;
  caplen: number;
  origLen: number;
  tsSec: number;
  tsNsec: number;
}

export class PacketRing {
  readonly data: Buffer;
  private readonly starts: Int32Array;
  private readonly lens: Int32Array;
  private readonly origs: Float64Array;
  private readonly secs: Float64Array;
  private readonly nsecs: Int32Array;
  private readonly slots: number;
  /** Slot of the oldest entry. */
  private head = 0;
  private count = 0;
  /** Live bytes are [byteHead, byteTail) when byteTail >= byteHead, else [byteHead, end) + [0, byteTail). */
  private byteHead = 0;
  private byteTail = 0;

  constructor(bytes: number, slots: number) {
    if (!(bytes > 0 && slots > 0)) throw new RangeError('PacketRing needs a positive size');
    this.data = Buffer.allocUnsafe(bytes);
    this.slots = slots;
    this.starts = new Int32Array(slots);
    this.lens = new Int32Array(slots);
    this.origs = new Float64Array(slots);
    this.secs = new Float64Array(slots);
    this.nsecs = new Int32Array(slots);
  }

  get length(): number {
    return this.count;
  }

  get capacityBytes(): number {
    return this.data.length;
  }

  /** Copies src[srcStart .. srcStart + len) in; false (nothing changed) when the ring is full. */
  push(src: Uint8Array, srcStart: number, len: number, origLen: number, tsSec: number, tsNsec: number): boolean {
    if (this.count === this.slots) return false;
    const cap = this.data.length;
    let at: number;
    if (this.count === 0) {
      if (len > cap) return false;
      this.byteHead = 0;
      at = 0;
    } else if (this.byteTail >= this.byteHead) {
      if (this.byteTail + len <= cap) at = this.byteTail;
      // Wrap to the front; strictly below byteHead so that "tail < head" keeps meaning "wrapped".
      else if (len < this.byteHead) at = 0;
      else return false;
    } else if (this.byteTail + len < this.byteHead) {
      at = this.byteTail;
    } else {
      return false;
    }
    this.data.set(src.subarray(srcStart, srcStart + len), at);
    const slot = (this.head + this.count) % this.slots;
    this.starts[slot] = at;
    this.lens[slot] = len;
    this.origs[slot] = origLen;
    this.secs[slot] = tsSec;
    this.nsecs[slot] = tsNsec;
    this.byteTail = at + len;
    this.count++;
    return true;
  }

  /** The oldest entry into `out` (its bytes stay in place until shift()); false when empty. */
  peek(out: RingEntry): boolean {
    if (this.count === 0) return false;
    const h = this.head;
    out.start = this.starts[h]!;
    out.caplen = this.lens[h]!;
    out.origLen = this.origs[h]!;
    out.tsSec = this.secs[h]!;
    out.tsNsec = this.nsecs[h]!;
    return true;
  }

  /** Releases the oldest entry: its bytes may be overwritten from now on. */
  shift(): void {
    if (this.count === 0) return;
    this.head = (this.head + 1) % this.slots;
    this.count--;
    if (this.count === 0) {
      this.byteHead = 0;
      this.byteTail = 0;
    } else {
      this.byteHead = this.starts[this.head]!;
    }
  }
}
