import { Retention } from './retention.js';
import type { EndpointState } from './types.js';

/** A segment held out of order. */
export interface HeldSegment {
  offset: number;
  /** Bytes the capture holds (a copy, owned here). */
  data: Uint8Array;
  /** Bytes the segment covered in sequence space (> data.length when the snap length cut it). */
  length: number;
  /** Capture time the segment was first seen: what the receiver's application would see it as. */
  ts: number;
}

/** Times per direction (see HalfStream.times). */
export const HALF_TIMES = 6;

/** An array of n times, -1 each, that holds doubles unboxed from the start (V8's double elements). */
export function newTimes(n: number): number[] {
  const times = [0.5];
  for (let i = 1; i < n; i++) times.push(0.5);
  return times.fill(-1);
}

/**
 * One direction of a connection, from the sender's side: what it sent (in stream offsets) and
 * what its peer acknowledged. Offsets are relative 64-bit numbers (JS numbers are exact to
 * 2^53), so sequence wrap never reaches the layers above.
 */
export class HalfStream extends Retention {
  // Laid out in declaration order (after Retention's): what every packet reads first.
  // Sequence numbers and other unsigned 32-bit values are kept signed (`| 0`, the same bits,
  // which seqDiff reads alike): a number field that ever holds a value past 2^31 holds every
  // value in a heap number of its own, one more object per field per connection to allocate,
  // scan and copy.
  /**
   * Signature of the last packet, to spot the same frame captured twice. Its time as the
   * record's integer parts (the packet time is the double made from them): not a heap number.
   */
  dupSec = -1;
  dupNsec = 0;
  dupIpId = 0;
  dupSeq = 0;
  dupAck = 0;
  dupLen = 0;
  dupFlags = 0;
  dupChecksum = 0;
  dupWindow = 0;
  dupTsVal = 0;
  packets = 0;
  frameBytes = 0;
  state: EndpointState = 'inactive';
  /** Whether the sequence number of offset 0 is known (from the SYN, or the first packet seen). */
  baseSet = false;
  /** Sequence number (signed 32-bit) and offset of the next byte to deliver. */
  nextSeq = 0;
  nextOffset = 0;
  /** Highest offset + length of any data segment seen. */
  highestEnd = 0;
  /** Highest offset the peer acknowledged (data only, the FIN excluded); -1 until one is seen. */
  ackedOffset = -1;
  /** Offset of the FIN (the end of this direction's stream); -1 until seen. */
  finOffset = -1;
  /** Out-of-order segments, sorted by offset; null while there are none (most of the time). */
  ooo: HeldSegment[] | null = null;
  payloadPackets = 0;

  synSeen = false;
  /** The ISN, signed (see `isn`). */
  isn32 = 0;
  oooBytes = 0;
  missedBytes = 0;
  retransmittedBytes = 0;
  keepAlives = 0;
  zeroWindows = 0;

  mss = -1;
  windowScale = -1;
  sackPermitted = false;

  /** Last sequence number that put an s/h, f or r letter in the history (Zeek repeats those only for a new seq). */
  lastSynSeq = 0;
  lastFinSeq = 0;
  lastRstSeq = 0;
  /** Which of lastSynSeq (1), lastFinSeq (2), lastRstSeq (4) are set. */
  flagSeqs = 0;

  /**
   * Capture times, -1 until they happen: times[at + i] for firstPacketTime, firstDataTime,
   * lastDataTime, finTime, rstTime, lastAckTime, behind accessors (in the connection's array:
   * see TcpConnection.times for why).
   */
  private readonly times: number[];
  private readonly at: number;

  constructor(times: number[] = newTimes(HALF_TIMES), at = 0) {
    super();
    this.times = times;
    this.at = at;
    times.fill(-1, at, at + HALF_TIMES);
  }

  get firstPacketTime(): number {
    return this.times[this.at]!;
  }
  set firstPacketTime(t: number) {
    this.times[this.at] = t;
  }
  get firstDataTime(): number {
    return this.times[this.at + 1]!;
  }
  set firstDataTime(t: number) {
    this.times[this.at + 1] = t;
  }
  get lastDataTime(): number {
    return this.times[this.at + 2]!;
  }
  set lastDataTime(t: number) {
    this.times[this.at + 2] = t;
  }
  get finTime(): number {
    return this.times[this.at + 3]!;
  }
  set finTime(t: number) {
    this.times[this.at + 3] = t;
  }
  get rstTime(): number {
    return this.times[this.at + 4]!;
  }
  set rstTime(t: number) {
    this.times[this.at + 4] = t;
  }
  /** Capture time at which the peer's ACK first covered all data seen so far (for hold times). */
  get lastAckTime(): number {
    return this.times[this.at + 5]!;
  }
  set lastAckTime(t: number) {
    this.times[this.at + 5] = t;
  }

  /** Initial sequence number (unsigned), once the SYN is seen. */
  get isn(): number {
    return this.isn32 >>> 0;
  }

  /** Makes a used direction like a new one (connections are recycled: see TcpReassembler). */
  reset(): void {
    this.releaseKept();
    this.keepStart = 0;
    this.refAt = 0;
    this.state = 'inactive';
    this.baseSet = false;
    this.synSeen = false;
    this.isn32 = 0;
    this.nextSeq = 0;
    this.nextOffset = 0;
    this.highestEnd = 0;
    this.ackedOffset = -1;
    this.finOffset = -1;
    const t = this.times;
    // A loop, not fill(): Array.prototype.fill is a call into the runtime.
    for (let i = this.at; i < this.at + HALF_TIMES; i++) t[i] = -1;
    this.ooo = null;
    this.oooBytes = 0;
    this.packets = 0;
    this.frameBytes = 0;
    this.payloadPackets = 0;
    this.missedBytes = 0;
    this.retransmittedBytes = 0;
    this.keepAlives = 0;
    this.zeroWindows = 0;
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.lastSynSeq = 0;
    this.lastFinSeq = 0;
    this.lastRstSeq = 0;
    this.flagSeqs = 0;
    this.dupSec = -1;
    this.dupNsec = 0;
    this.dupIpId = 0;
    this.dupSeq = 0;
    this.dupAck = 0;
    this.dupLen = 0;
    this.dupFlags = 0;
    this.dupChecksum = 0;
    this.dupWindow = 0;
    this.dupTsVal = 0;
  }
}
