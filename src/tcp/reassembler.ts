import type { PacketRecord } from '../capture/packet-record.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { formatIPv6 } from '../decode/format-address.js';
import { ConnectionTable } from './connection-table.js';
import type { ConnectionViews } from './connection-views.js';
import { TcpConnection, type ConnectionInit } from './connection.js';
import type { HalfStream, HeldSegment } from './half-stream.js';
import { seqDiff } from './seq.js';
import { DEFAULT_LIMITS, type Dir, type GapReason, type StreamLimits } from './types.js';

/** What the stage above receives. Every callback is optional. See docs/stream-contract.md. */
export interface StreamHandler {
  /** First packet of a new connection (roles already decided). */
  open?(conn: TcpConnection): void;
  /** In-order payload; `data` is valid only during the call. */
  data?(conn: TcpConnection, dir: Dir, offset: number, data: Uint8Array, ts: number): void;
  /**
   * `data` without a view object per segment: the payload is frame[start, end) (frame: the
   * capture's buffer, valid only during the call). Called instead of `data` when present.
   */
  dataIn?(conn: TcpConnection, dir: Dir, offset: number, frame: Uint8Array, start: number, end: number, ts: number): void;
  /** Bytes [offset, offset + length) of `dir` that will never be delivered. */
  gap?(conn: TcpConnection, dir: Dir, offset: number, length: number, reason: GapReason, ts: number): void;
  /** Every packet of the connection after the stream has processed it (for ladders and timing). */
  packet?(conn: TcpConnection, dir: Dir, pkt: DecodedPacket, ts: number): void;
  /** Exactly once per connection, after its last data and gap events. */
  close?(conn: TcpConnection): void;
}

/**
 * Turns decoded TCP packets into per-connection ordered byte streams with explicit gaps.
 * Push packets in capture order with `push`; call `finish` at the end of input.
 * Expiry runs on capture time only, never the wall clock.
 */
export class TcpReassembler {
  readonly limits: StreamLimits;
  private readonly table = new ConnectionTable();
  private readonly handler: StreamHandler;
  /** Server endpoints seen accepting a SYN: evidence of roles for midstream connections. */
  private readonly listeners4 = new Set<number>();
  private readonly listeners6 = new Set<string>();
  private nextId = 1;
  /** Source address of the IPv6 packet being processed (IPv4 compares numbers instead). */
  private src6 = '';
  private now = 0;
  /**
   * Capture time of the packet being processed, read by the per-packet methods instead of being
   * passed (a double argument to a call that is not inlined is a heap allocation each time).
   * While drain() delivers a held segment, the time that segment was first seen.
   */
  private ts = 0;
  private readonly init: ConnectionInit = {
    seq: 0, ipVersion: 4, clientAddress: '', clientPort: 0, serverAddress: '', serverPort: 0,
    clientAddr4: 0, serverAddr4: 0, key6: '', start: 0, flipped: false,
  };
  private lastExpiry = 0;
  private oooTotal = 0;
  /** Packets that were the same frame captured twice. */
  duplicateFrames = 0;
  connectionsSeen = 0;

  /** Completed connection objects for reuse (only with `recycleConnections`). */
  private readonly free: TcpConnection[] = [];
  private readonly recycle: boolean;
  /** Directions holding references into the reader's buffer (see Retention). */
  private readonly referencing: HalfStream[] = [];
  /** Several capture points: ids shared by the views of one connection (connection-views.ts). */
  private readonly views: ConnectionViews | null;
  private readonly point: number;
  /** How many of `referencing` are current: the array is not emptied (that would free its storage each chunk). */
  private referencingCount = 0;

  /**
   * With `recycleConnections`, a connection object is reused for a later connection once its
   * `close` has returned: the handler must not keep it (copy what it needs in `close`). At
   * millions of packets a second this spares the garbage collector most of its work.
   */
  constructor(
    handler: StreamHandler,
    limits: Partial<StreamLimits> = {},
    options: { recycleConnections?: boolean; views?: { registry: ConnectionViews; point: number } } = {},
  ) {
    this.handler = handler;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.recycle = options.recycleConnections === true;
    this.views = options.views?.registry ?? null;
    this.point = options.views?.point ?? 0;
  }

  /**
   * Capture time moved on elsewhere (another capture point's packet): expiry follows it, so the
   * views of one connection at several points complete at about the same time.
   */
  tick(ts: number): void {
    if (ts > this.now) this.now = ts;
    if (this.now - this.lastExpiry >= this.limits.expiryInterval) this.expire();
  }

  get openConnections(): number {
    return this.table.size;
  }

  push(rec: PacketRecord, pkt: DecodedPacket): void {
    const ts = rec.tsSec + rec.tsNsec / 1e9;
    this.ts = ts;
    if (ts > this.now) this.now = ts;
    if (this.now - this.lastExpiry >= this.limits.expiryInterval) this.expire();

    const conn = this.lookup(rec, pkt);
    const dir: Dir = this.directionOf(conn, pkt);
    const h = (dir === 0 ? conn.h0 : conn.h1);
    if (this.isDuplicate(h, rec, pkt)) {
      this.duplicateFrames++;
      conn.addAnomaly('duplicate_frame');
      return;
    }
    if (rec.source < 31) conn.sources |= 1 << rec.source;
    if (ts > conn.end) conn.end = ts;
    h.packets++;
    h.frameBytes += rec.origLen;
    if (h.firstPacketTime < 0) h.firstPacketTime = ts;
    this.segment(conn, dir, rec, pkt);
    this.handler.packet?.(conn, dir, pkt, ts);
    if (conn.closedAt >= 0) this.table.markClosed(conn);
    this.table.touch(conn);
  }

  /**
   * The reader is about to overwrite its buffer: directions still referencing unACKed bytes in
   * it copy them now (see Retention).
   */
  beforeBufferReuse(): void {
    const max = this.limits.maxRetainedBytesPerDirection;
    const list = this.referencing;
    for (let i = 0; i < this.referencingCount; i++) list[i]!.materialize(max);
    this.referencingCount = 0;
  }

  /** End of input: completes every open connection, oldest first. */
  finish(): void {
    for (const c of this.table.all()) this.complete(c);
  }

  // ---------------------------------------------------------------- connections

  private lookup(rec: PacketRecord, pkt: DecodedPacket): TcpConnection {
    let conn: TcpConnection | null;
    let hash = 0;
    let key6 = '';
    let srcAddr = '';
    let dstAddr = '';
    if (pkt.ipVersion === 4) {
      hash = ConnectionTable.hash4(pkt.src4, pkt.srcPort, pkt.dst4, pkt.dstPort);
      conn = this.table.find4(hash, pkt.src4, pkt.srcPort, pkt.dst4, pkt.dstPort);
    } else {
      srcAddr = formatIPv6(rec.buf, pkt.src6Offset);
      this.src6 = srcAddr;
      dstAddr = formatIPv6(rec.buf, pkt.dst6Offset);
      key6 = ConnectionTable.key6(srcAddr, pkt.srcPort, dstAddr, pkt.dstPort);
      conn = this.table.find6(key6);
    }
    if (conn !== null && this.isNewIncarnation(conn, pkt)) {
      this.complete(conn);
      conn = null;
    }
    if (conn !== null) return conn;

    if (this.table.size >= this.limits.maxOpenConnections) {
      const victim = this.table.oldestClosed() ?? this.table.oldestOpen();
      if (victim) {
        victim.addAnomaly('evicted_table_full');
        this.complete(victim);
      }
    }
    const flipped = this.senderIsServer(pkt, srcAddr, dstAddr);
    // One init object, filled per connection (the connection copies it).
    const init = this.init;
    init.seq = this.views === null ? this.nextId++ : this.views.open(this.point, pkt.ipVersion === 6 ? key6 : canonicalKey4(pkt), pkt);
    init.ipVersion = pkt.ipVersion === 6 ? 6 : 4;
    init.clientAddress = flipped ? dstAddr : srcAddr;
    init.clientPort = flipped ? pkt.dstPort : pkt.srcPort;
    init.serverAddress = flipped ? srcAddr : dstAddr;
    init.serverPort = flipped ? pkt.srcPort : pkt.dstPort;
    init.clientAddr4 = flipped ? pkt.dst4 : pkt.src4;
    init.serverAddr4 = flipped ? pkt.src4 : pkt.dst4;
    init.key6 = key6;
    init.start = this.ts;
    init.flipped = flipped;
    const c = this.free.pop()?.reset(init) ?? new TcpConnection(init);
    this.connectionsSeen++;
    this.table.add(c, hash);
    this.handler.open?.(c);
    return c;
  }

  /** A SYN that cannot belong to the connection on this 4-tuple starts a new one (port reuse). */
  private isNewIncarnation(c: TcpConnection, pkt: DecodedPacket): boolean {
    if ((pkt.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return false;
    const fromClient = this.directionOf(c, pkt) === 0;
    const h = (fromClient ? c.h0 : c.h1);
    if (!fromClient) return c.h0.state !== 'syn_sent' || c.h1.state !== 'inactive';
    if (h.synSeen) return h.isn32 !== (pkt.seq | 0);
    // Midstream connection, then a SYN: a new connection unless nothing was exchanged yet.
    return h.packets > 0 || c.h1.packets > 0;
  }

  private senderIsServer(pkt: DecodedPacket, srcAddr: string, dstAddr: string): boolean {
    const f = pkt.flags;
    if ((f & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      this.addListener(pkt, dstAddr, pkt.dstPort);
      return false;
    }
    if ((f & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) return true;
    // Midstream: a known listener is the server; else the well-known or lower, non-ephemeral port.
    const srcListens = this.isListener(pkt, true, srcAddr);
    const dstListens = this.isListener(pkt, false, dstAddr);
    if (srcListens !== dstListens) return srcListens;
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    if ((sp < 1024) !== (dp < 1024)) return sp < 1024;
    if ((sp >= 32768) !== (dp >= 32768)) return dp >= 32768;
    return sp < dp;
  }

  private addListener(pkt: DecodedPacket, addr: string, port: number): void {
    if (pkt.ipVersion === 4) this.listeners4.add(pkt.dst4 * 65536 + port);
    else this.listeners6.add(`${addr}|${port}`);
  }

  private isListener(pkt: DecodedPacket, src: boolean, addr: string): boolean {
    if (pkt.ipVersion === 4) return this.listeners4.has((src ? pkt.src4 : pkt.dst4) * 65536 + (src ? pkt.srcPort : pkt.dstPort));
    return this.listeners6.has(`${addr}|${src ? pkt.srcPort : pkt.dstPort}`);
  }

  private directionOf(c: TcpConnection, pkt: DecodedPacket): Dir {
    if (c.ipVersion === 4) return c.clientAddr4 === pkt.src4 && c.clientPort === pkt.srcPort ? 0 : 1;
    return c.clientAddress6 === this.src6 && c.clientPort === pkt.srcPort ? 0 : 1;
  }

  private isDuplicate(h: HalfStream, rec: PacketRecord, pkt: DecodedPacket): boolean {
    const ts = this.ts;
    // 32-bit values are kept signed (`| 0`, the same bits: see HalfStream); a flag says whether
    // there was a timestamp option, as tsVal -1 (none) and 0xffffffff are alike then.
    const dupFlags = pkt.tsVal >= 0 ? pkt.flags | 0x100 : pkt.flags;
    const same =
      h.dupSec >= 0 && ts - (h.dupSec + h.dupNsec / 1e9) <= this.limits.duplicateWindow &&
      h.dupIpId === pkt.ipId && h.dupSeq === (pkt.seq | 0) && h.dupAck === (pkt.ack | 0) && h.dupLen === pkt.payloadLength &&
      h.dupFlags === dupFlags && h.dupChecksum === pkt.tcpChecksum && h.dupWindow === pkt.window && h.dupTsVal === (pkt.tsVal | 0);
    // IPv6 has no IP ID: without a TCP timestamp two identical packets cannot be told from a retransmission.
    if (same && (pkt.ipId >= 0 || pkt.tsVal >= 0)) return true;
    h.dupSec = rec.tsSec;
    h.dupNsec = rec.tsNsec;
    h.dupIpId = pkt.ipId;
    h.dupSeq = pkt.seq | 0;
    h.dupAck = pkt.ack | 0;
    h.dupLen = pkt.payloadLength;
    h.dupFlags = dupFlags;
    h.dupChecksum = pkt.tcpChecksum;
    h.dupWindow = pkt.window;
    h.dupTsVal = pkt.tsVal | 0;
    return false;
  }

  // ---------------------------------------------------------------- one segment

  private segment(c: TcpConnection, dir: Dir, rec: PacketRecord, pkt: DecodedPacket): void {
    const ts = this.ts;
    const h = (dir === 0 ? c.h0 : c.h1);
    const peer = (dir === 0 ? c.h1 : c.h0);
    const f = pkt.flags;
    const syn = (f & TCP_SYN) !== 0;
    const fin = (f & TCP_FIN) !== 0;
    const rst = (f & TCP_RST) !== 0;
    const ack = (f & TCP_ACK) !== 0;

    if ((syn && (fin || rst))) {
      c.addAnomaly(fin ? 'syn_fin' : 'syn_rst');
    } else if (fin && rst) {
      c.addAnomaly('fin_rst');
    }

    if (syn) {
      if (!h.synSeen) {
        h.synSeen = true;
        h.isn32 = pkt.seq | 0;
        h.mss = pkt.mss;
        h.windowScale = pkt.windowScale;
        h.sackPermitted = pkt.sackPermitted;
        if (!h.baseSet) {
          h.baseSet = true;
          h.nextSeq = (pkt.seq + 1) | 0;
        }
      }
      if (h.state === 'inactive' || h.state === 'partial') {
        if (ack && dir === 1) {
          // Zeek: the responder's SYN-ACK establishes it, and an originator waiting in syn_sent.
          h.state = 'established';
          if (peer.state === 'syn_sent') peer.state = 'established';
        } else {
          h.state = ack ? 'syn_ack_sent' : 'syn_sent';
        }
      }
      if (!ack && c.synTime < 0) c.synTime = ts;
      if (ack && c.synAckTime < 0) c.synAckTime = ts;
      if (pkt.payloadLength > 0) c.addAnomaly('syn_with_data');
    } else if (!h.baseSet) {
      h.baseSet = true;
      h.nextSeq = pkt.seq | 0;
      if (!c.h0.synSeen && !c.h1.synSeen && h.packets === 1 && peer.packets === 0) c.addAnomaly('midstream_start');
    }

    const segSeq = syn ? (pkt.seq + 1) >>> 0 : pkt.seq;
    const offset = h.nextOffset + seqDiff(segSeq, h.nextSeq);
    const keepAlive = !syn && !fin && !rst && pkt.payloadLength === 1 && offset === h.nextOffset - 1;

    // Zeek's update_history, before anything else as in Zeek: a packet with two of SYN/FIN/RST
    // is q only (i for FIN+RST); with one of them s/h, f or r only (no d even with payload); d
    // and a only for packets with none. A FIN's sequence number is the one after its payload.
    const controls = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (controls > 1) c.historyOnce(dir, fin && rst ? 'i' : 'q');
    else if (syn) c.historyFlag(dir, ack ? 'h' : 's', pkt.seq);
    else if (fin) c.historyFlag(dir, 'f', (pkt.seq + pkt.payloadLength) >>> 0);
    else if (rst) c.historyFlag(dir, 'r', pkt.seq);
    else if (pkt.payloadLength > 0) {
      if (!keepAlive) c.historyOnce(dir, 'd');
    } else if (ack) c.historyOnce(dir, 'a');

    // Zeek ignores zero windows with or after a RST, and once the peer has closed.
    if (pkt.window === 0 && !syn && !rst && h.state !== 'reset' && peer.state !== 'closed') {
      h.zeroWindows++;
      c.historyLog(dir, 'w');
    }
    if (ack && !rst) this.acknowledge(c, dir === 0 ? 1 : 0, pkt.ack);

    // Zeek's endpoint state machine, reduced to what conn_state reads.
    if (!syn && !rst && !fin) {
      // Zeek: an ACK from an inactive endpoint whose peer is established (SYN missed) establishes it.
      if (h.state === 'inactive') h.state = ack && peer.state === 'established' ? 'established' : 'partial';
      else if ((h.state === 'syn_sent' || h.state === 'syn_ack_sent') && ack) {
        h.state = 'established';
        if (peer.state === 'syn_ack_sent' || peer.state === 'syn_sent') peer.state = 'established';
      }
    }
    if (dir === 0 && ack && !syn && !rst && c.handshakeAckTime < 0 && c.synAckTime >= 0) c.handshakeAckTime = ts;

    if (pkt.payloadLength > 0) {
      if (rst) {
        // RFC 1122 lets a RST carry diagnostic text: the receiver never delivers it to the application.
        c.addAnomaly('rst_with_data');
      } else if (keepAlive) {
        h.keepAlives++; // keep-alive or zero-window probe: one old byte, not data
      } else {
        h.payloadPackets++;
        if (h.firstDataTime < 0) h.firstDataTime = ts;
        h.lastDataTime = ts;
        this.data(c, dir, offset, rec.buf, pkt.payloadOffset, pkt.capturedPayloadLength, pkt.payloadLength);
      }
    }

    if (fin) {
      const finOffset = offset + pkt.payloadLength;
      if (h.finOffset < 0) {
        h.finOffset = finOffset;
        h.finTime = ts;
      }
      if (h.state !== 'reset') h.state = 'closed';
      // Zeek: the peer's FIN-then-RST was a normal close after all once this side closes too.
      if (!rst && peer.state === 'reset' && peer.finOffset >= 0 && peer.finTime <= peer.rstTime) peer.state = 'closed';
      if (peer.finOffset >= 0 && c.closedAt < 0) c.closedAt = ts;
    }
    if (rst) {
      if (h.rstTime < 0) h.rstTime = ts;
      // Zeek: after a FIN exchange (both closed) a RST no longer changes the state.
      if (!(h.state === 'closed' && peer.state === 'closed')) h.state = 'reset';
      if (c.closedAt < 0) c.closedAt = ts;
      // After a reset nothing is retransmitted: the kept bytes can go back to the pool now.
      h.releaseKept();
      peer.releaseKept();
    }
  }

  /** The peer acknowledged `ackSeq` of direction `dir`. */
  private acknowledge(c: TcpConnection, dir: Dir, ackSeq: number): void {
    const ts = this.ts;
    const h = (dir === 0 ? c.h0 : c.h1);
    if (!h.baseSet) return;
    const rel = seqDiff(ackSeq, h.nextSeq);
    // An ACK more than 1 GiB away from what we know is garbage, not evidence.
    if (rel > 0x40000000 || rel < -0x40000000) return;
    let off = h.nextOffset + rel;
    if (h.finOffset >= 0 && off > h.finOffset) off = h.finOffset;
    if (off <= h.ackedOffset) return;
    h.ackedOffset = off;
    if (off >= h.highestEnd) h.lastAckTime = ts;
    h.forgetBelow(off);
    // The receiver has bytes the capture has not shown: a hole below the ACK never fills.
    if (h.ooo !== null && off > h.nextOffset) this.skipTo(c, dir, Math.min(off, h.highestEnd), ts);
  }

  // ---------------------------------------------------------------- stream delivery

  private data(c: TcpConnection, dir: Dir, offset: number, frame: Uint8Array, at: number, captured: number, length: number): void {
    const ts = this.ts;
    const h = (dir === 0 ? c.h0 : c.h1);
    const end = offset + length;
    if (h.finOffset >= 0 && end > h.finOffset) {
      c.addAnomaly('data_after_fin');
      if (offset >= h.finOffset) return;
    }
    if (h.state === 'reset' && offset >= h.nextOffset) c.addAnomaly('data_after_rst');
    if (end > h.highestEnd) h.highestEnd = end;

    if (offset < h.nextOffset) {
      // Retransmission (whole or partial): the first copy wins, a different copy is reported.
      const old = Math.min(end, h.nextOffset) - offset;
      h.retransmittedBytes += old;
      c.historyLog(dir, 't');
      this.compareRetained(c, h, offset, frame, at, Math.min(captured, old));
      if (end <= h.nextOffset) return;
      at += old;
      captured = Math.max(0, captured - old);
      length -= old;
      offset += old;
    }
    if (offset > h.nextOffset) {
      if (h.ackedOffset >= offset) {
        // The hole was already acknowledged: its bytes passed where the capture could not see them.
        this.hole(c, dir, h.nextOffset, offset, ts);
      } else {
        this.buffer(c, dir, offset, frame, at, captured, length, ts);
        return;
      }
    }
    const held = h.ooo?.[0];
    if (held !== undefined && offset + length > held.offset) {
      // A held segment arrived first and wins where this one overlaps it: deliver up to it, and
      // let the rest meet the buffer like any out-of-order segment (compared, counted, cut).
      const cut = held.offset - offset;
      this.deliver(c, dir, offset, frame, at, Math.min(captured, cut), cut);
      this.buffer(c, dir, held.offset, frame, at + cut, Math.max(0, captured - cut), length - cut, ts);
    } else {
      this.deliver(c, dir, offset, frame, at, captured, length);
    }
    if (h.ooo !== null) this.drain(c, dir);
  }

  /** Delivers in order, as seen at this.ts. */
  private deliver(c: TcpConnection, dir: Dir, offset: number, frame: Uint8Array, at: number, captured: number, length: number): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    const take = Math.min(captured, length);
    if (take > 0) {
      const handler = this.handler;
      if (handler.dataIn) handler.dataIn(c, dir, offset, frame, at, at + take, this.ts);
      else if (handler.data) handler.data(c, dir, offset, frame.subarray(at, at + take), this.ts);
      if (h.ackedOffset < offset + take && h.keep(offset, frame, at, take, this.limits.maxRetainedBytesPerDirection)) {
        this.referencing[this.referencingCount++] = h;
      }
    }
    // offset === h.nextOffset here: delivery is in order.
    h.nextSeq = (h.nextSeq + (offset + take - h.nextOffset)) | 0;
    h.nextOffset = offset + take;
    if (take < length) this.gap(c, dir, offset + take, length - take, 'snaplen', this.ts);
  }

  private gap(c: TcpConnection, dir: Dir, offset: number, length: number, reason: GapReason, ts: number): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    this.handler.gap?.(c, dir, offset, length, reason, ts);
    h.missedBytes += length;
    c.historyLog(dir, 'g');
    h.nextSeq = (h.nextSeq + (offset + length - h.nextOffset)) | 0;
    h.nextOffset = offset + length;
  }

  /** Announces [from, to) as missing, split by what the receiver acknowledged. */
  private hole(c: TcpConnection, dir: Dir, from: number, to: number, ts: number): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    if (to <= from) return;
    const acked = Math.min(to, Math.max(from, h.ackedOffset));
    if (acked > from) this.gap(c, dir, from, acked - from, 'not_captured', ts);
    if (to > acked) this.gap(c, dir, acked, to - acked, 'unacknowledged', ts);
  }

  /** Gives up on everything below `target`: holes become gaps, buffered data is delivered. */
  private skipTo(c: TcpConnection, dir: Dir, target: number, ts: number): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    while (h.nextOffset < target) {
      const first = h.ooo?.[0];
      const holeEnd = first ? Math.min(first.offset, target) : target;
      this.hole(c, dir, h.nextOffset, holeEnd, first?.ts ?? ts);
      if (!first || first.offset > target) break;
      this.drain(c, dir);
    }
  }

  private buffer(c: TcpConnection, dir: Dir, offset: number, frame: Uint8Array, at: number, captured: number, length: number, ts: number): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    const end = offset + length;
    // Cut the new segment around what is already buffered (first copy wins).
    let cursor = offset;
    let i = 0;
    const pieces: HeldSegment[] = [];
    const ooo = (h.ooo ??= []);
    for (; i < ooo.length && cursor < end; i++) {
      const s = ooo[i]!;
      const sEnd = s.offset + s.length;
      if (sEnd <= cursor) continue;
      if (s.offset >= end) break;
      if (s.offset > cursor) pieces.push(this.piece(frame, at, captured, offset, cursor, s.offset, ts));
      const ovFrom = Math.max(cursor, s.offset);
      const ovTo = Math.min(end, sEnd);
      h.retransmittedBytes += ovTo - ovFrom;
      if (!sameBytes(s.data, ovFrom - s.offset, frame, at + (ovFrom - offset), Math.min(ovTo, offset + captured, s.offset + s.data.length) - ovFrom)) {
        c.addAnomaly('overlap_different_bytes');
      }
      cursor = Math.max(cursor, sEnd);
    }
    if (cursor > offset) c.historyLog(dir, 't');
    if (cursor < end) pieces.push(this.piece(frame, at, captured, offset, cursor, end, ts));
    for (const p of pieces) {
      insertSorted(ooo, p);
      h.oooBytes += p.data.length;
      this.oooTotal += p.data.length;
    }
    if (ooo.length === 0) {
      h.ooo = null;
      return;
    }
    if (h.oooBytes > this.limits.maxBufferedBytesPerDirection || this.oooTotal > this.limits.maxBufferedBytesTotal) {
      c.addAnomaly('reassembly_buffer_overflow');
      const first = ooo[0];
      if (first) this.skipTo(c, dir, first.offset, ts);
    }
  }

  private piece(frame: Uint8Array, at: number, captured: number, segOffset: number, from: number, to: number, ts: number): HeldSegment {
    const capFrom = Math.min(from - segOffset, captured);
    const capTo = Math.min(to - segOffset, captured);
    // A copy: `frame` is the reader's buffer, overwritten by the next chunk.
    return { offset: from, data: Uint8Array.prototype.slice.call(frame, at + capFrom, at + capTo), length: to - from, ts };
  }

  /** Delivers buffered segments that have become contiguous. */
  private drain(c: TcpConnection, dir: Dir): void {
    const h = (dir === 0 ? c.h0 : c.h1);
    const ooo = h.ooo;
    if (ooo === null) return;
    while (ooo.length > 0) {
      const s = ooo[0]!;
      if (s.offset > h.nextOffset) break;
      ooo.shift();
      h.oooBytes -= s.data.length;
      this.oooTotal -= s.data.length;
      const skip = h.nextOffset - s.offset;
      if (skip >= s.length) continue;
      const now = this.ts;
      this.ts = s.ts;
      this.deliver(c, dir, h.nextOffset, s.data, skip, Math.max(0, s.data.length - skip), s.length - skip);
      this.ts = now;
    }
    if (ooo.length === 0 && h.ooo === ooo) h.ooo = null;
  }

  private compareRetained(c: TcpConnection, h: HalfStream, offset: number, frame: Uint8Array, at: number, n: number): void {
    if (!h.keptMatches(offset, frame, at, n)) c.addAnomaly('overlap_different_bytes');
  }

  // ---------------------------------------------------------------- completion and expiry

  private expire(): void {
    this.lastExpiry = this.now;
    for (let c = this.table.oldestClosed(); c && this.now - c.end > this.limits.closeLinger; c = this.table.oldestClosed()) {
      this.complete(c);
    }
    for (let c = this.table.oldestOpen(); c && this.now - c.end > this.limits.idleTimeout; c = this.table.oldestOpen()) {
      c.addAnomaly('expired_idle');
      this.complete(c);
    }
  }

  /** Flushes one direction at completion: what never arrived becomes gaps. */
  private endDirection(c: TcpConnection, dir: Dir): void {
    const h = dir === 0 ? c.h0 : c.h1;
    const peer = dir === 0 ? c.h1 : c.h0;
    // A FIN the capture missed (a kernel drop at the capture point): the receiver ACKed exactly one
    // sequence number past every byte seen, the sender neither FINed nor reset in the capture, and
    // the receiver closed too. That number is the FIN, not a byte of data never captured.
    if (h.finOffset < 0 && h.rstTime < 0 && h.ooo === null && h.nextOffset === h.highestEnd && h.ackedOffset === h.highestEnd + 1 && peer.finOffset >= 0) {
      h.finOffset = h.highestEnd;
      h.finTime = h.lastAckTime;
      if (h.state !== 'reset') h.state = 'closed';
      c.addAnomaly('fin_not_captured');
    }
    // A FIN proves every byte before it was sent, ACKed or not.
    const limit = h.finOffset >= 0 ? h.finOffset : Math.max(h.highestEnd, h.ackedOffset);
    if (h.nextOffset < limit) this.skipTo(c, dir, limit, c.end);
    if (h.ooo !== null) {
      for (const s of h.ooo) this.oooTotal -= s.data.length;
      h.ooo = null;
      h.oooBytes = 0;
    }
    h.releaseKept();
  }

  private complete(c: TcpConnection): void {
    if (c.completed) return;
    this.endDirection(c, 0);
    this.endDirection(c, 1);
    c.state = c.computeState();
    c.completed = true;
    this.table.remove(c);
    this.views?.close(c.seq);
    this.handler.close?.(c);
    if (this.recycle && this.free.length < 65536) this.free.push(c);
  }
}

/** The 4-tuple in an order both directions share (roles may be decided differently at each point). */
function canonicalKey4(pkt: DecodedPacket): string {
  const a = pkt.src4 * 65536 + pkt.srcPort;
  const b = pkt.dst4 * 65536 + pkt.dstPort;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

function insertSorted(list: HeldSegment[], s: HeldSegment): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.offset > s.offset) i--;
  list.splice(i, 0, s);
}
