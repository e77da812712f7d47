/**
 * One capture point's TCP packets, reduced to what identifies a packet across captures and when
 * this point saw it: a compact, bounded "sighting" per packet.
 *
 * A sighting is 32 bytes in typed arrays (struct of arrays): connection, side, seq, ack, flags,
 * payload length, IPv4 ID, TCP TSval and the capture time. Memory is bounded by `maxSightings`:
 * when full, the collector keeps one packet in two by a hash of the packet's identity (its
 * connection, side, seq, ack, flags, length), and so on. The hash does not depend on the file, so
 * two captures keep the same packets: a packet kept at a sampling level is kept at every lower
 * one, and matching two points filters both to the higher level of the two (`keeps`).
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';
import type { TcpConnection } from '../tcp/connection.js';
import type { StreamHandler } from '../tcp/reassembler.js';
import type { Dir } from '../tcp/types.js';

/** One capture point (one file): its sampled TCP sightings. */
export interface CapturePointPackets {
  /** The file as given. */
  file: string;
  /**
   * Connections with at least one sighting, each as its two endpoints in a fixed order
   * ("lo|hi", the lexicographically smaller "addr:port" first): the same string in every capture.
   * Each string once (connections reusing a 4-tuple share it: seq and ack tell their packets apart).
   */
  connections: string[];
  /** Hash of each connection string (see connectionHash). */
  connectionHashes: Uint32Array;
  /** Sightings in use: index 0 .. count - 1 of the arrays below. */
  count: number;
  /** Index into `connections`. */
  conn: Uint32Array;
  /** Bits 0-7: TCP flags; bit 8: side (0 = sent by the "lo" endpoint, 1 = by "hi"); bit 9: has a TSval. */
  meta: Uint16Array;
  seq: Uint32Array;
  ack: Uint32Array;
  /** TCP payload length (from the IP length field). */
  len: Uint16Array;
  /** IPv4 identification, -1 for IPv6. */
  ipId: Int32Array;
  /** TCP timestamp value (valid when meta bit 9 is set). */
  tsVal: Uint32Array;
  /** Capture time, epoch seconds, as this point's clock read it. */
  time: Float64Array;
  /** A packet is kept when the low `sampleLevel` bits of its hash are zero (1 in 2^level). */
  sampleLevel: number;
  /** TCP packets the pipeline handed over (before sampling). */
  tcpPackets: number;
  /** Capture faults (what came before each was still read). */
  errors: string[];
}

export const SIDE_BIT = 0x100;
export const TSVAL_BIT = 0x200;
/** Default bound: 2^18 sightings, 8 MiB per capture point. */
export const DEFAULT_MAX_SIGHTINGS = 1 << 18;

/** FNV-1a of a connection string. */
export function connectionHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x85ebca6b);
  return ((h << 13) | (h >>> 19)) >>> 0;
}

/** The sampling hash of a packet: its identity only, never the capture time or the file. */
export function sightingHash(connHash: number, side: number, seq: number, ack: number, flags: number, len: number): number {
  let h = mix(connHash, side);
  h = mix(h, seq);
  h = mix(h, ack);
  h = mix(h, (flags << 16) | (len & 0xffff));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether a packet with this hash is kept at this sampling level. */
export function keeps(hash: number, level: number): boolean {
  return level === 0 || (hash & ((2 ** level - 1) >>> 0)) === 0;
}

interface OpenConn {
  key: string;
  hash: number;
  /** The connection's client endpoint is the "lo" one. */
  clientIsLo: boolean;
  /** Index in `connections`, -1 while it has no sighting. */
  index: number;
}

/**
 * A StreamHandler that records a sighting per TCP packet (the `packet` hook). Works with
 * `recycleConnections` (it keeps no connection object after `close`).
 */
export class SightingCollector implements StreamHandler {
  private readonly max: number;
  private readonly open_ = new Map<TcpConnection, OpenConn>();
  private connections: string[] = [];
  private connHashes: number[] = [];
  /** Index of each string in `connections`: connections reusing a 4-tuple share one. */
  private connIndex = new Map<string, number>();
  private level = 0;
  private count = 0;
  private tcpPackets = 0;
  private conn: Uint32Array;
  private meta: Uint16Array;
  private seq: Uint32Array;
  private ack: Uint32Array;
  private len: Uint16Array;
  private ipId: Int32Array;
  private tsVal: Uint32Array;
  private time: Float64Array;

  constructor(options: { maxSightings?: number } = {}) {
    this.max = Math.max(16, options.maxSightings ?? DEFAULT_MAX_SIGHTINGS);
    const n = Math.min(this.max, 4096);
    this.conn = new Uint32Array(n);
    this.meta = new Uint16Array(n);
    this.seq = new Uint32Array(n);
    this.ack = new Uint32Array(n);
    this.len = new Uint16Array(n);
    this.ipId = new Int32Array(n);
    this.tsVal = new Uint32Array(n);
    this.time = new Float64Array(n);
  }

  open(c: TcpConnection): void {
    const client = c.client;
    const server = c.server;
    const clientIsLo = client < server;
    const key = clientIsLo ? `${client}|${server}` : `${server}|${client}`;
    this.open_.set(c, { key, hash: connectionHash(key), clientIsLo, index: -1 });
  }

  close(c: TcpConnection): void {
    this.open_.delete(c);
  }

  packet(c: TcpConnection, dir: Dir, pkt: DecodedPacket, ts: number): void {
    this.tcpPackets++;
    const oc = this.open_.get(c);
    if (oc === undefined) return;
    const side = (dir === 0) === oc.clientIsLo ? 0 : 1;
    const len = pkt.payloadLength & 0xffff;
    const flags = pkt.flags & 0xff;
    const h = sightingHash(oc.hash, side, pkt.seq, pkt.ack, flags, len);
    if (!keeps(h, this.level)) return;
    if (this.count === this.max) {
      this.resample();
      if (!keeps(h, this.level)) return;
    }
    if (this.count === this.conn.length) this.grow();
    if (oc.index < 0) {
      let k = this.connIndex.get(oc.key);
      if (k === undefined) {
        k = this.connections.length;
        this.connections.push(oc.key);
        this.connHashes.push(oc.hash);
        this.connIndex.set(oc.key, k);
      }
      oc.index = k;
    }
    const i = this.count++;
    this.conn[i] = oc.index;
    this.meta[i] = flags | (side ? SIDE_BIT : 0) | (pkt.tsVal >= 0 ? TSVAL_BIT : 0);
    this.seq[i] = pkt.seq;
    this.ack[i] = pkt.ack;
    this.len[i] = len;
    this.ipId[i] = pkt.ipId;
    this.tsVal[i] = pkt.tsVal >= 0 ? pkt.tsVal : 0;
    this.time[i] = ts;
  }

  /** The sightings so far (copies trimmed to `count`). */
  result(file: string, errors: string[] = []): CapturePointPackets {
    const n = this.count;
    return {
      file,
      connections: this.connections.slice(),
      connectionHashes: Uint32Array.from(this.connHashes),
      count: n,
      conn: this.conn.slice(0, n),
      meta: this.meta.slice(0, n),
      seq: this.seq.slice(0, n),
      ack: this.ack.slice(0, n),
      len: this.len.slice(0, n),
      ipId: this.ipId.slice(0, n),
      tsVal: this.tsVal.slice(0, n),
      time: this.time.slice(0, n),
      sampleLevel: this.level,
      tcpPackets: this.tcpPackets,
      errors,
    };
  }

  private grow(): void {
    const n = Math.min(this.max, this.conn.length * 2);
    const g = <T extends Uint32Array | Uint16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.conn = g(this.conn, (k) => new Uint32Array(k));
    this.meta = g(this.meta, (k) => new Uint16Array(k));
    this.seq = g(this.seq, (k) => new Uint32Array(k));
    this.ack = g(this.ack, (k) => new Uint32Array(k));
    this.len = g(this.len, (k) => new Uint16Array(k));
    this.ipId = g(this.ipId, (k) => new Int32Array(k));
    this.tsVal = g(this.tsVal, (k) => new Uint32Array(k));
    this.time = g(this.time, (k) => new Float64Array(k));
  }

  /** Full: raise the sampling level until at most 3/4 of the bound is used; drop connections left without sightings. */
  private resample(): void {
    let n = this.count;
    while (n > (this.max * 3) / 4) {
      this.level++;
      let w = 0;
      for (let i = 0; i < n; i++) {
        const m = this.meta[i]!;
        const h = sightingHash(this.connHashes[this.conn[i]!]!, m & SIDE_BIT ? 1 : 0, this.seq[i]!, this.ack[i]!, m & 0xff, this.len[i]!);
        if (!keeps(h, this.level)) continue;
        this.conn[w] = this.conn[i]!;
        this.meta[w] = m;
        this.seq[w] = this.seq[i]!;
        this.ack[w] = this.ack[i]!;
        this.len[w] = this.len[i]!;
        this.ipId[w] = this.ipId[i]!;
        this.tsVal[w] = this.tsVal[i]!;
        this.time[w] = this.time[i]!;
        w++;
      }
      n = w;
    }
    this.count = n;
    // Renumber the connections still referenced.
    const remap = new Int32Array(this.connections.length).fill(-1);
    const conns: string[] = [];
    const hashes: number[] = [];
    for (let i = 0; i < n; i++) {
      const old = this.conn[i]!;
      if (remap[old] === -1) {
        remap[old] = conns.length;
        conns.push(this.connections[old]!);
        hashes.push(this.connHashes[old]!);
      }
      this.conn[i] = remap[old]!;
    }
    for (const oc of this.open_.values()) if (oc.index >= 0) oc.index = remap[oc.index]!;
    this.connections = conns;
    this.connHashes = hashes;
    this.connIndex = new Map(conns.map((k, i) => [k, i]));
  }
}
