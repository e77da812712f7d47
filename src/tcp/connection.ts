import { formatEndpoint, formatIPv4 } from '../decode/format-address.js';
import { HALF_TIMES, HalfStream, newTimes } from './half-stream.js';
import type { AnomalyCode, ConnState, Dir } from './types.js';

export interface ConnectionInit {
  /** Connection number, in order of first packet from 1. */
  seq: number;
  ipVersion: 4 | 6;
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  clientAddr4: number;
  serverAddr4: number;
  key6: string;
  start: number;
  flipped: boolean;
}

/**
 * One TCP connection: its 4-tuple plus its ISN (a reused port is a new connection), both
 * directions, and what Zeek would write in conn.log for it.
 */
export class TcpConnection {
  // Every field starts with a value of its type (numbers as numbers, not undefined): a field
  // first holding undefined holds any later number boxed, a new heap allocation per store.
  // Fields are laid out in declaration order: those every packet reads come first, so that
  // they share a few cache lines (the table lookup's, then the per-packet ones).

  // Connection table links (owned by ConnectionTable), and what the lookup compares.
  hashNext: TcpConnection | null = null;
  /** IPv4 addresses as numbers (0 for IPv6), for fast matching. */
  clientAddr4 = 0;
  serverAddr4 = 0;
  clientPort = 0;
  serverPort = 0;
  ipVersion: 4 | 6 = 4;
  /**
   * Capture times (seconds): start, end, synTime, synAckTime, handshakeAckTime, closedAt, then
   * h0's and h1's (see HalfStream), behind accessors. In one array of doubles (V8 keeps them
   * unboxed there) because a number field that holds fractions holds each in a heap number of
   * its own: 18 more objects per connection, for the garbage collector to copy and the packet
   * path to reach. (A typed array would cost an ArrayBuffer and, past 64 bytes, a malloc.)
   */
  readonly times: number[] = newTimes(6 + 2 * HALF_TIMES);
  /** Client→server and server→client, as fields: the per-packet path reads them without an array. */
  readonly h0 = new HalfStream(this.times, 6);
  readonly h1 = new HalfStream(this.times, 6 + HALF_TIMES);
  /** Capture files (bit per source index, first 31) in which packets of this connection were seen. */
  sources = 0;
  inClosedList = false;
  lruPrev: TcpConnection | null = null;
  lruNext: TcpConnection | null = null;
  /** Bits of once-only history letters already written, per direction (a, d, i, q). */
  onceLetters = 0;
  /** Index of the history string in the shared table (see appendHistory). */
  historyId = 0;

  /** Connection number, in order of first packet from 1 (a number on the hot path; `id` is its text). */
  seq = 0;
  /** Its ConnectionTable hash (IPv4). */
  hash4 = 0;
  /** Table key of an IPv6 connection ('' for IPv4). */
  key6 = '';
  /** IPv6 addresses (IPv4 ones are formatted from the numbers when asked for: not per connection). */
  clientAddress6 = '';
  serverAddress6 = '';
  /** [client→server, server→client] (h0, h1). */
  readonly half: readonly [HalfStream, HalfStream] = [this.h0, this.h1];
  /** The first packet seen came from the server (SYN-ACK first, or the midstream heuristic said so). */
  flipped = false;
  anomalies: Map<AnomalyCode, number> | null = null;
  completed = false;
  state: ConnState = 'OTH';
  /** Occurrence counts of the logarithmic letters (c, g, t, w), per direction. */
  logCounts: number[] | null = null;

  constructor(init: ConnectionInit) {
    this.identify(init);
  }

  /**
   * Makes a completed connection a new one: the reassembler recycles connection objects when
   * its handler does not keep them after close, which spares the garbage collector most of its work.
   */
  reset(init: ConnectionInit): this {
    this.historyId = 0;
    this.flipped = false;
    this.anomalies = null;
    this.sources = 0;
    const t = this.times;
    // A loop, not fill(): Array.prototype.fill is a call into the runtime.
    for (let i = 0; i < 6; i++) t[i] = -1;
    this.completed = false;
    this.state = 'OTH';
    this.onceLetters = 0;
    this.logCounts = null;
    this.hashNext = null;
    this.hash4 = 0;
    this.lruPrev = null;
    this.lruNext = null;
    this.inClosedList = false;
    this.h0.reset();
    this.h1.reset();
    this.identify(init);
    return this;
  }

  /** The per-connection identity: 4-tuple, id, first packet time, roles. */
  private identify(init: ConnectionInit): void {
    this.seq = init.seq;
    this.ipVersion = init.ipVersion;
    this.clientPort = init.clientPort;
    this.serverPort = init.serverPort;
    this.clientAddress6 = init.ipVersion === 6 ? init.clientAddress : '';
    this.serverAddress6 = init.ipVersion === 6 ? init.serverAddress : '';
    this.clientAddr4 = init.clientAddr4;
    this.serverAddr4 = init.serverAddr4;
    this.key6 = init.key6;
    this.start = init.start;
    this.end = init.start;
    this.flipped = init.flipped;
    if (init.flipped) this.historyId = FLIPPED_HISTORY;
  }

  /** Capture time of the first packet. */
  get start(): number {
    return this.times[0]!;
  }
  set start(t: number) {
    this.times[0] = t;
  }
  /** Capture time of the last packet. */
  get end(): number {
    return this.times[1]!;
  }
  set end(t: number) {
    this.times[1] = t;
  }
  /** The client's SYN; -1 until seen. */
  get synTime(): number {
    return this.times[2]!;
  }
  set synTime(t: number) {
    this.times[2] = t;
  }
  get synAckTime(): number {
    return this.times[3]!;
  }
  set synAckTime(t: number) {
    this.times[3] = t;
  }
  /** The client's ACK of the SYN-ACK. */
  get handshakeAckTime(): number {
    return this.times[4]!;
  }
  set handshakeAckTime(t: number) {
    this.times[4] = t;
  }
  /** Capture time at which it became closed (FIN both ways, or a RST); -1 while open. */
  get closedAt(): number {
    return this.times[5]!;
  }
  set closedAt(t: number) {
    this.times[5] = t;
  }

  get clientAddress(): string {
    return this.ipVersion === 4 ? formatIPv4(this.clientAddr4) : this.clientAddress6;
  }

  get serverAddress(): string {
    return this.ipVersion === 4 ? formatIPv4(this.serverAddr4) : this.serverAddress6;
  }

  /** "ip:port" or "[v6]:port". */
  get client(): string {
    return formatEndpoint(this.clientAddress, this.clientPort);
  }

  get server(): string {
    return formatEndpoint(this.serverAddress, this.serverPort);
  }

  addAnomaly(code: AnomalyCode): void {
    const m = (this.anomalies ??= new Map());
    m.set(code, (m.get(code) ?? 0) + 1);
  }

  /** Handshake round trip (SYN to the client's ACK of the SYN-ACK), seconds, or null. */
  get handshakeRtt(): number | null {
    return this.synTime >= 0 && this.handshakeAckTime >= 0 ? this.handshakeAckTime - this.synTime : null;
  }

  // --- Zeek history letters: upper case from the originator (client), lower case from the responder.

  /** a (pure ACK), d (data), i (inconsistent), q (multi-flag): once per direction. */
  historyOnce(dir: Dir, letter: 'a' | 'd' | 'i' | 'q'): void {
    const bit = (ONCE_BITS[letter] ?? 0) << (dir * 4);
    if (this.onceLetters & bit) return;
    this.onceLetters |= bit;
    this.appendHistory(letter.charCodeAt(0) - (dir === 0 ? 32 : 0));
  }

  /** s/h, f, r: again only when the sequence number differs from the last packet with that flag. */
  historyFlag(dir: Dir, letter: 's' | 'h' | 'f' | 'r', seq: number): void {
    const h = (dir === 0 ? this.h0 : this.h1);
    // Signed, with a bit saying it is set (see HalfStream's 32-bit fields).
    const s = seq | 0;
    if (letter === 'f') {
      if (h.flagSeqs & 2 && h.lastFinSeq === s) return;
      h.lastFinSeq = s;
      h.flagSeqs |= 2;
    } else if (letter === 'r') {
      if (h.flagSeqs & 4 && h.lastRstSeq === s) return;
      h.lastRstSeq = s;
      h.flagSeqs |= 4;
    } else {
      if (h.flagSeqs & 1 && h.lastSynSeq === s) return;
      h.lastSynSeq = s;
      h.flagSeqs |= 1;
    }
    this.appendHistory(letter.charCodeAt(0) - (dir === 0 ? 32 : 0));
  }

  /** c, g, t, w: written at the 1st, 10th, 100th, ... occurrence. */
  historyLog(dir: Dir, letter: 'c' | 'g' | 't' | 'w'): void {
    const i = (LOG_INDEX[letter] ?? 0) + dir * 4;
    const counts = (this.logCounts ??= [0, 0, 0, 0, 0, 0, 0, 0]);
    const n = (counts[i] ?? 0) + 1;
    counts[i] = n;
    if (isPowerOfTen(n)) this.appendHistory(letter.charCodeAt(0) - (dir === 0 ? 32 : 0));
  }

  /** The connection's id as users see it: "1", "2", ... */
  get id(): string {
    return String(this.seq);
  }

  /** Zeek's history letters so far. */
  get history(): string {
    return HISTORIES[this.historyId]!;
  }

  /**
   * Most connections share a handful of histories, so histories are interned: a connection holds
   * an index, and appending a letter is a lookup in a transition table, not a new string.
   */
  private appendHistory(code: number): void {
    // A letter's code, not the letter: upper-casing a string per packet would allocate one.
    const slot = this.historyId * 128 + code;
    let next = slot < TRANSITIONS.length ? TRANSITIONS[slot]! : 0;
    if (next === 0) {
      const text = HISTORIES[this.historyId]! + String.fromCharCode(code);
      next = HISTORY_IDS.get(text) ?? 0;
      if (next === 0) {
        next = HISTORIES.length;
        HISTORIES.push(text);
        HISTORY_IDS.set(text, next);
      }
      if (slot < TRANSITIONS.length) TRANSITIONS[slot] = next;
    }
    this.historyId = next;
  }

  /** Zeek's conn_state, from the two endpoint states (base/protocols/conn/main.zeek). */
  computeState(): ConnState {
    const os = this.h0.state;
    const rs = this.h1.state;
    const oInactive = os === 'inactive' || os === 'partial';
    const rInactive = rs === 'inactive' || rs === 'partial';
    if (rs === 'reset') {
      if (os === 'syn_sent' || os === 'syn_ack_sent' || (os === 'reset' && this.h0.highestEnd === 0 && this.h1.highestEnd === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === 'reset') {
      if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(this.history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === 'closed' && os === 'closed') return 'SF';
    if (os === 'closed') return rInactive ? 'SH' : 'S2';
    if (rs === 'closed') return oInactive ? 'SHR' : 'S3';
    if (os === 'syn_sent' && rs === 'inactive') return 'S0';
    if (os === 'established' && rs === 'established') return 'S1';
    return 'OTH';
  }
}

/** Interned history strings; index 0 is the empty history. */
const HISTORIES: string[] = ['', '^'];
const HISTORY_IDS = new Map<string, number>([['', 0], ['^', 1]]);
const FLIPPED_HISTORY = 1;
/** TRANSITIONS[id * 128 + letter code]: the id after appending the letter (0: not computed yet). */
const TRANSITIONS = new Int32Array(4096 * 128);
const ONCE_BITS: Record<string, number> = { a: 1, d: 2, i: 4, q: 8 };
const LOG_INDEX: Record<string, number> = { c: 0, g: 1, t: 2, w: 3 };

function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}
