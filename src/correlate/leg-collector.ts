/**
 * Turns the tcp stage's events into Legs: per connection and direction the delivery timeline,
 * the receiver's ACK progress, gaps, the first bytes, FIN/RST times; the client's stream checked
 * for a PROXY protocol preamble; and both streams parsed as HTTP/1 where they are HTTP.
 * A StreamHandler: nothing here keeps a reference to a connection after its close.
 */
import { createHttpConnectionParsers, type HttpRequest, type HttpResponse, type HttpStreamParser } from '../app/http/index.js';
import { parseProxyProtocol } from '../app/proxy-protocol/parse-proxy-protocol.js';
import type { ProxyHeader } from '../app/proxy-protocol/types.js';
import { V2_SIGNATURE } from '../app/proxy-protocol/v2.js';
import type { DecodedPacket } from '../decode/decoded-packet.js';
import { TCP_ACK } from '../decode/decoded-packet.js';
import type { TcpConnection } from '../tcp/connection.js';
import type { StreamHandler } from '../tcp/reassembler.js';
import { seqDiff } from '../tcp/seq.js';
import type { Dir, GapReason } from '../tcp/types.js';
import { DEFAULT_LEG_LIMITS, type Leg, type LegDirection, type LegGap, type LegLimits } from './model.js';

/** A PROXY v1 header is at most 107 bytes; v2 needs 16 to know its length. */
const PROXY_DECIDE_BYTES = 232;
/** The first byte of a PROXY header: "P" of v1's "PROXY", or v2's signature's. */
const PROXY_V1_FIRST = 0x50;
const PROXY_V2_FIRST = V2_SIGNATURE[0]!;

const NO_BYTES = new Uint8Array(0);
const copyBytes = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;

/** First allocation of a direction's head: the analyze command's whole limit. */
const HEAD_START = 512;
const NO_GAPS: LegGap[] = Object.freeze([]) as unknown as LegGap[];
/** Capture-index lists are nearly always [0]: one shared array. */
const FIRST_CAPTURE: number[] = Object.freeze([0]) as unknown as number[];
/**
 * Builders of closed connections kept for the next ones, at most this many: what every
 * connection needs while open (tuple lists, head buffer, HTTP parsers) then lives in the old
 * generation instead of being allocated, promoted and dropped once per connection.
 */
const MAX_FREE_BUILDERS = 1024;
/** A reused builder keeps lists up to this many entries (longer ones are dropped). */
const MAX_KEPT_ENTRIES = 3 * 64;
/** Heads are cut from shared slabs of this size (as Node's Buffer pool does), larger ones alone. */
const SLAB_BYTES = 8192;
const MAX_SLAB_HEAD = 1024;

class DirectionBuilder {
  /** Flat (offset, length, time) tuples; the first `chunkCount` entries are this connection's. */
  chunks: number[] = [];
  chunkCount = 0;
  /** Flat (acked offset, time) tuples; the first `ackCount` entries are this connection's. */
  acks: number[] = [];
  ackCount = 0;
  gaps: LegGap[] = NO_GAPS;
  /** Grown as bytes come (most streams are short), up to the limit; reused by the next connection. */
  head: Uint8Array = NO_BYTES;
  headLength = 0;
  lastAck = -1;
  resent: number[] | null = null;
  /** The tcp stage's retransmitted-byte count after the last packet: a rise marks a retransmission. */
  retransmitted = 0;

  reset(): void {
    if (this.chunks.length > MAX_KEPT_ENTRIES) this.chunks = [];
    this.chunkCount = 0;
    if (this.acks.length > MAX_KEPT_ENTRIES) this.acks = [];
    this.ackCount = 0;
    this.gaps = NO_GAPS;
    if (this.head.length > HEAD_START) this.head = NO_BYTES;
    this.headLength = 0;
    this.lastAck = -1;
    this.resent = null;
    this.retransmitted = 0;
  }

  /** Keeps what fits of data[start, end) after the bytes already kept. */
  appendHead(data: Uint8Array, start: number, end: number, max: number, slabs: HeadSlabs): void {
    const at = this.headLength;
    if (at >= max) return;
    const n = Math.min(end - start, max - at);
    if (at + n > this.head.length) {
      // One allocation for most streams, cut from a slab (each typed array of its own costs a
      // backing store): the first HEAD_START bytes at once, doubling past that for larger limits.
      const bigger = slabs.take(Math.min(max, Math.max(this.head.length * 2, at + n, HEAD_START)));
      if (at > 0) bigger.set(this.head.subarray(0, at));
      this.head = bigger;
    }
    const head = this.head;
    // Byte loop for short copies; Buffer's copy for long ones (on any Uint8Array, and unlike
    // set(subarray) without a view object).
    if (n <= 64) for (let i = 0; i < n; i++) head[at + i] = data[start + i]!;
    else copyBytes.call(data, head, at, start, start + n);
    this.headLength = at + n;
  }

  /**
   * The head for the leg: the buffer itself when the bytes fill it (a full head: no copy, the
   * next connection cuts a new one), else an exact-size copy (the buffer serves the next).
   */
  takeHead(slabs: HeadSlabs): Uint8Array {
    const n = this.headLength;
    if (n === 0 || n !== this.head.length) return slabs.copy(this.head, n);
    const head = this.head;
    this.head = NO_BYTES;
    return head;
  }
}

interface Pending {
  offset: number;
  data: Uint8Array;
  ts: number;
}


class LegBuilder {
  readonly dirs: [DirectionBuilder, DirectionBuilder];
  /**
   * Messages so far: the first `requestCount` / `responseCount` entries (the lists are reused,
   * the leg gets exact-size copies; entries are cleared at reset so none outlives its leg).
   */
  requests: (HttpRequest | null)[] = [];
  requestCount = 0;
  responses: (HttpResponse | null)[] = [];
  responseCount = 0;
  /** Created with the first HTTP bytes, then kept (reset) with the builder. */
  parsers: readonly [HttpStreamParser, HttpStreamParser] | null = null;
  /** Whether the parsers have seen anything of this connection (else they need no reset). */
  parsing = false;
  /** Until we know whether the client's stream starts with a PROXY header. */
  undecided = true;
  /** Client bytes held meanwhile (null while none). */
  pending: Pending[] | null = null;
  pendingBytes = 0;
  proxyProtocol: ProxyHeader | null = null;
  /** Stream offset where HTTP starts in the client's stream (after a PROXY header). */
  httpFrom = 0;
  notHttp = false;

  constructor() {
    this.dirs = [new DirectionBuilder(), new DirectionBuilder()];
  }

  reset(): void {
    this.dirs[0].reset();
    this.dirs[1].reset();
    this.requests = clear(this.requests, this.requestCount);
    this.requestCount = 0;
    this.responses = clear(this.responses, this.responseCount);
    this.responseCount = 0;
    if (this.parsing && this.parsers !== null) {
      this.parsers[0].reset();
      this.parsers[1].reset();
    }
    this.parsing = false;
    this.undecided = true;
    this.pending = null;
    this.pendingBytes = 0;
    this.proxyProtocol = null;
    this.httpFrom = 0;
    this.notHttp = false;
  }
}

/** Exact-size copies of heads cut from shared slabs: no ArrayBuffer (and backing store) per head. */
class HeadSlabs {
  private slab = NO_BYTES;
  private used = 0;

  copy(head: Uint8Array, n: number): Uint8Array {
    if (n === 0) return NO_BYTES;
    if (n > MAX_SLAB_HEAD) return head.slice(0, n);
    const out = this.take(n);
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = head[i]!;
    else copyBytes.call(head, out, 0, 0, n);
    return out;
  }

  /** n fresh (zeroed) bytes: from the current slab when n is small, else on their own. */
  take(n: number): Uint8Array {
    if (n > MAX_SLAB_HEAD) return new Uint8Array(n);
    if (this.used + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const at = this.used;
    this.used = at + n;
    return this.slab.subarray(at, at + n);
  }
}

export interface LegCollectorOptions {
  /** Every connection as it opens (before any of its data), for whoever tracks open connections. */
  onOpen?: (c: TcpConnection) => void;
  /** Parse HTTP into compact messages (src/app/http/compact.ts); default true. */
  compactMessages?: boolean;
}

export class LegCollector implements StreamHandler {
  private readonly legs = new Map<number, LegBuilder>();
  private readonly limits: LegLimits;
  private readonly onLeg: (leg: Leg) => void;
  private readonly onOpen: ((c: TcpConnection) => void) | null;
  private readonly compact: boolean;
  /** Builders of closed connections, reset, for the next ones. */
  private readonly free: LegBuilder[] = [];
  private readonly slabs = new HeadSlabs();

  constructor(onLeg: (leg: Leg) => void, limits: Partial<LegLimits> = {}, options: LegCollectorOptions = {}) {
    this.onLeg = onLeg;
    this.limits = { ...DEFAULT_LEG_LIMITS, ...limits };
    this.onOpen = options.onOpen ?? null;
    this.compact = options.compactMessages !== false;
  }

  open(c: TcpConnection): void {
    this.legs.set(c.seq, this.free.pop() ?? new LegBuilder());
    this.onOpen?.(c);
  }

  data(c: TcpConnection, dir: Dir, offset: number, data: Uint8Array, ts: number): void {
    this.dataIn(c, dir, offset, data, 0, data.length, ts);
  }

  dataIn(c: TcpConnection, dir: Dir, offset: number, frame: Uint8Array, start: number, end: number, ts: number): void {
    const b = this.legs.get(c.seq);
    if (!b) return;
    const d = b.dirs[dir];
    const length = end - start;
    d.chunkCount = pushBounded(d.chunks, d.chunkCount, 3, this.limits.maxChunks, offset, length, ts);
    d.appendHead(frame, start, end, this.limits.headBytes, this.slabs);
    if (dir === 0 && b.undecided) {
      // Usually the first segment decides (HTTP is no PROXY header): then nothing is held.
      if (b.pending === null && this.decideProxyHeader(b, false)) {
        const skip = Math.max(0, b.httpFrom - offset);
        if (skip < length) this.parsersOf(b)[0].pushRange(offset + skip, frame, start + skip, end, ts);
        return;
      }
      // A copy (a Buffer's slice would be a view): the frame is only valid during this call.
      (b.pending ??= []).push({ offset, data: new Uint8Array(frame.subarray(start, end)), ts });
      b.pendingBytes += length;
      this.decideProxyHeader(b, false);
      return;
    }
    this.parsersOf(b)[dir].pushRange(offset, frame, start, end, ts);
  }

  gap(c: TcpConnection, dir: Dir, offset: number, length: number, reason: GapReason, ts: number): void {
    const b = this.legs.get(c.seq);
    if (!b) return;
    const d = b.dirs[dir];
    if (d.gaps === NO_GAPS) d.gaps = [];
    d.gaps.push({ offset, length, reason, ts });
    if (dir === 0 && b.undecided) this.decideProxyHeader(b, true);
    this.parsersOf(b)[dir].gap(offset, length, ts);
  }

  packet(c: TcpConnection, dir: Dir, pkt: DecodedPacket, ts: number): void {
    const b = this.legs.get(c.seq);
    if (!b) return;
    const h = c.half[dir];
    const own = b.dirs[dir];
    if (h.retransmittedBytes !== own.retransmitted) {
      own.retransmitted = h.retransmittedBytes;
      // Where the segment sat in the stream: nextSeq and nextOffset move together.
      const offset = h.nextOffset + seqDiff(pkt.seq, h.nextSeq);
      const list = (own.resent ??= []);
      if (list.length < this.limits.maxChunks * 3) list.push(offset, pkt.payloadLength, ts);
    }
    if ((pkt.flags & TCP_ACK) === 0) return;
    // This packet acknowledges the other direction.
    const other: Dir = dir === 0 ? 1 : 0;
    const acked = c.half[other].ackedOffset;
    const d = b.dirs[other];
    if (acked > d.lastAck) {
      d.lastAck = acked;
      d.ackCount = pushBounded(d.acks, d.ackCount, 2, this.limits.maxChunks, acked, ts);
    }
  }

  close(c: TcpConnection): void {
    const b = this.legs.get(c.seq);
    if (!b) return;
    this.legs.delete(c.seq);
    if (b.undecided) this.decideProxyHeader(b, true);
    const parsers = this.parsersOf(b);
    parsers[0].end(c.end);
    parsers[1].end(c.end);
    const http = !b.notHttp && b.requestCount > 0
      ? { requests: b.requests.slice(0, b.requestCount) as HttpRequest[], responses: b.responses.slice(0, b.responseCount) as HttpResponse[], notHttp: false }
      : null;
    const leg: Leg = {
      id: c.id,
      client: c.client,
      server: c.server,
      clientAddress: c.clientAddress,
      clientPort: c.clientPort,
      serverAddress: c.serverAddress,
      serverPort: c.serverPort,
      start: c.start,
      end: c.end,
      state: c.state,
      history: c.history,
      synTs: c.synTime >= 0 ? c.synTime : null,
      synAckTs: c.synAckTime >= 0 ? c.synAckTime : null,
      establishedTs: c.handshakeAckTime >= 0 ? c.handshakeAckTime : null,
      dirs: [this.direction(c, 0, b.dirs[0]), this.direction(c, 1, b.dirs[1])],
      http,
      proxyProtocol: b.proxyProtocol,
      captures: capturesOf(c.sources),
    };
    // Nothing of this connection is referenced by the builder any more: it can serve the next.
    if (this.free.length < MAX_FREE_BUILDERS) {
      b.reset();
      this.free.push(b);
    }
    this.onLeg(leg);
  }

  private parsersOf(b: LegBuilder): readonly [HttpStreamParser, HttpStreamParser] {
    b.parsing = true;
    if (b.parsers === null) {
      b.parsers = createHttpConnectionParsers({
        compact: this.compact,
        onMessage: (m) => {
          if (m.kind === 'request') b.requestCount = put(b.requests, b.requestCount, m);
          else b.responseCount = put(b.responses, b.responseCount, m);
        },
        onError: (e) => {
          if (e.fatal && b.requestCount === 0) b.notHttp = true;
        },
      });
    }
    return b.parsers;
  }

  /**
   * Decides whether the client's stream starts with a PROXY header, then replays what was held.
   * False when it cannot tell yet.
   */
  private decideProxyHeader(b: LegBuilder, force: boolean): boolean {
    const d = b.dirs[0];
    const first = d.headLength > 0 ? d.head[0]! : -1;
    // A stream starting with another byte has no header (the parser would say 'absent'): most
    // connections, decided without its view and result objects.
    if (first < 0 || first === PROXY_V1_FIRST || first === PROXY_V2_FIRST) {
      const r = parseProxyProtocol(d.head.subarray(0, d.headLength));
      if (r.status === 'incomplete' && !force && b.pendingBytes < PROXY_DECIDE_BYTES) return false;
      if (r.status === 'ok') {
        b.proxyProtocol = r.header;
        b.httpFrom = r.header.length;
      }
    }
    b.undecided = false;
    const pending = b.pending;
    b.pending = null;
    const parser = this.parsersOf(b)[0];
    if (pending !== null) {
      for (const p of pending) {
        const skip = Math.max(0, b.httpFrom - p.offset);
        if (skip >= p.data.length) continue;
        parser.push(p.offset + skip, p.data.subarray(skip), p.ts);
      }
    }
    return true;
  }

  private direction(c: TcpConnection, dir: Dir, d: DirectionBuilder): LegDirection {
    const h = c.half[dir];
    // Exact-size copies: the builder's lists (and head buffer unless full) serve the next connection.
    const chunks = d.chunks.slice(0, d.chunkCount);
    const acks = d.acks.slice(0, d.ackCount);
    const head = d.takeHead(this.slabs);
    const firstDataTs = h.firstDataTime >= 0 ? h.firstDataTime : null;
    const lastDataTs = h.lastDataTime >= 0 ? h.lastDataTime : null;
    const finTs = h.finTime >= 0 ? h.finTime : null;
    const rstTs = h.rstTime >= 0 ? h.rstTime : null;
    const finOffset = h.finOffset >= 0 ? h.finOffset : null;
    // Two literals rather than a conditional spread (a slow generic copy), same key order.
    return d.resent === null
      ? {
          bytes: h.nextOffset, missedBytes: h.missedBytes, retransmittedBytes: h.retransmittedBytes, chunks, acks,
          gaps: d.gaps, head, firstDataTs, lastDataTs, finTs, rstTs, finOffset,
        }
      : {
          bytes: h.nextOffset, missedBytes: h.missedBytes, retransmittedBytes: h.retransmittedBytes, chunks, acks,
          resent: d.resent, gaps: d.gaps, head, firstDataTs, lastDataTs, finTs, rstTs, finOffset,
        };
  }
}

/**
 * Writes one tuple at `count` in a flat list of `width`-tuples (entries past `count` are stale:
 * the list is reused), at most `max` tuples: past that the last tuple absorbs the new one (its
 * length grows, its time moves on), so memory stays bounded. Returns the new count.
 */
function pushBounded(list: number[], count: number, width: 2 | 3, max: number, a: number, b: number, c?: number): number {
  if (count < max * width) {
    if (count + width <= list.length) {
      list[count] = a;
      list[count + 1] = b;
      if (width === 3) list[count + 2] = c!;
    } else {
      // The list ends within the tuple only if a longer one was cut: append from `count`.
      if (list.length > count) list.length = count;
      list.push(a, b);
      if (width === 3) list.push(c!);
    }
    return count + width;
  }
  const last = count - width;
  if (width === 3) {
    list[last + 1] = a + b - list[last]!; // chunk now runs from its offset to the new end
    list[last + 2] = c!;
  } else {
    list[last] = a;
    list[last + 1] = b;
  }
  return count;
}

/** Stores `item` at `count` in a reused list; returns the new count. */
function put<T>(list: (T | null)[], count: number, item: T): number {
  if (count < list.length) list[count] = item;
  else list.push(item);
  return count + 1;
}

/** A reused list with its first `count` entries cleared (a new one when it grew long). */
function clear<T>(list: (T | null)[], count: number): (T | null)[] {
  if (list.length > MAX_KEPT_ENTRIES) return [];
  list.fill(null, 0, count);
  return list;
}

function capturesOf(bits: number): number[] {
  if (bits === 1) return FIRST_CAPTURE;
  const out: number[] = [];
  for (let i = 0; i < 31; i++) if (bits & (1 << i)) out.push(i);
  return out;
}
