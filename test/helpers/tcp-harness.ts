/**
 * Test harness for the tcp stage: build TCP conversations packet by packet (with frames.ts),
 * write them to a real pcap file, run the whole pipeline (capture → decode → tcp) with a
 * recording StreamHandler, and get back per connection what the stage reported.
 *
 * The recorder also checks the stream contract on every run (offsets contiguous per direction,
 * exactly one close, nothing after close); violations make `runCapture` throw unless
 * `allowViolations` is set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { frame, tcpFlags, tcpPacket, type TcpOptionsSpec, type TcpPacketSpec } from './frames.js';
import { writePcap } from './pcap-writer.js';
import { runPipeline, type PipelineResult } from '../../src/pipeline.js';
import type { StreamHandler } from '../../src/tcp/reassembler.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import type { ConnState, Dir, GapReason, StreamLimits } from '../../src/tcp/types.js';

/** Capture time of relative time 0 (relative times keep float error small). */
export const T0 = 1_700_000_000;

/** One captured frame. `ts` is seconds relative to T0. */
export interface TestPacket {
  ts: number;
  /** The whole frame as sent on the wire (Ethernet). */
  frame: Uint8Array;
  /** Bytes of the frame the capture kept (snap length); default all. */
  snap?: number;
  /** For reading failures: who sent it and what. */
  label: string;
}

export interface StreamEvent {
  kind: 'data' | 'gap';
  dir: Dir;
  offset: number;
  length: number;
  reason?: GapReason;
  /** Relative capture time the stage gave the event (µs precision). */
  ts: number;
}

export interface ConnResult {
  id: string;
  client: string;
  server: string;
  state: ConnState;
  history: string;
  flipped: boolean;
  /** Delivered bytes per direction, concatenated (gaps left out: see `events`). */
  data: [Buffer, Buffer];
  /** data and gap events of both directions, in the order they were reported. */
  events: StreamEvent[];
  missedBytes: [number, number];
  retransmittedBytes: [number, number];
  /** Bytes in sequence space (half.nextOffset after close). */
  bytes: [number, number];
  packets: [number, number];
  keepAlives: [number, number];
  zeroWindows: [number, number];
  anomalies: Record<string, number>;
  /** Seconds, rounded to the µs, or null. */
  handshakeRtt: number | null;
  closes: number;
  /** packet callbacks received. */
  packetCallbacks: number;
  /** The live object, for anything else. */
  conn: TcpConnection;
}

export interface RunResult {
  conns: ConnResult[];
  /** Global callback order: "open <id>" / "close <id>". */
  order: string[];
  stats: PipelineResult['stats'];
  errors: PipelineResult['errors'];
  violations: string[];
}

export interface RunOptions {
  limits?: Partial<StreamLimits>;
  allowViolations?: boolean;
}

/** Relative time (µs precision) of an absolute capture time. */
export function rel(ts: number): number {
  return Math.round((ts - T0) * 1e6) / 1e6;
}

/** Writes `packets` (in array order = capture order) to a temp pcap and runs the pipeline over it. */
export async function runCapture(packets: readonly TestPacket[], opts: RunOptions = {}): Promise<RunResult> {
  const records = packets.map((p) => {
    const whole = Math.floor(p.ts);
    let sec = T0 + whole;
    let nsec = Math.round((p.ts - whole) * 1e9);
    if (nsec >= 1e9) {
      sec += 1;
      nsec -= 1e9;
    }
    const data = p.snap !== undefined ? p.frame.subarray(0, p.snap) : p.frame;
    return { tsSec: sec, tsNsec: nsec, data, origLen: p.frame.length };
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-tcp-'));
  const file = path.join(dir, 'trace.pcap');
  fs.writeFileSync(file, writePcap({ linkType: 1, nanosecond: true, records }));

  const byConn = new Map<TcpConnection, ConnResult & { cursor: [number, number]; chunks: [Buffer[], Buffer[]] }>();
  const order: string[] = [];
  const violations: string[] = [];
  const rec = (c: TcpConnection, what: string) => {
    const r = byConn.get(c);
    if (!r) violations.push(`${what} for a connection never opened (${c.id})`);
    else if (r.closes > 0) violations.push(`${what} after close on connection ${c.id}`);
    return r;
  };
  const handler: StreamHandler = {
    open(c) {
      order.push(`open ${c.id}`);
      if (byConn.has(c)) violations.push(`open twice for ${c.id}`);
      byConn.set(c, {
        id: c.id, client: c.client, server: c.server, state: c.state, history: '', flipped: c.flipped,
        data: [Buffer.alloc(0), Buffer.alloc(0)], events: [], missedBytes: [0, 0], retransmittedBytes: [0, 0],
        bytes: [0, 0], packets: [0, 0], keepAlives: [0, 0], zeroWindows: [0, 0], anomalies: {}, handshakeRtt: null,
        closes: 0, packetCallbacks: 0, conn: c, cursor: [0, 0], chunks: [[], []],
      });
    },
    data(c, d, offset, bytes, ts) {
      const r = rec(c, 'data');
      if (!r) return;
      if (bytes.length === 0) violations.push(`empty data event on ${c.id} dir ${d} at ${offset}`);
      if (offset !== r.cursor[d]) violations.push(`data on ${c.id} dir ${d} at ${offset}, expected ${r.cursor[d]}`);
      r.cursor[d] = offset + bytes.length;
      r.chunks[d].push(Buffer.from(bytes)); // valid only during the call: copy
      r.events.push({ kind: 'data', dir: d, offset, length: bytes.length, ts: rel(ts) });
    },
    gap(c, d, offset, length, reason, ts) {
      const r = rec(c, 'gap');
      if (!r) return;
      if (length <= 0) violations.push(`gap of ${length} bytes on ${c.id} dir ${d}`);
      if (offset !== r.cursor[d]) violations.push(`gap on ${c.id} dir ${d} at ${offset}, expected ${r.cursor[d]}`);
      r.cursor[d] = offset + length;
      r.events.push({ kind: 'gap', dir: d, offset, length, reason, ts: rel(ts) });
    },
    packet(c) {
      const r = rec(c, 'packet');
      if (r) r.packetCallbacks++;
    },
    close(c) {
      order.push(`close ${c.id}`);
      const r = byConn.get(c);
      if (!r) return void violations.push(`close for a connection never opened (${c.id})`);
      r.closes++;
      if (r.closes > 1) return void violations.push(`close called ${r.closes} times for ${c.id}`);
      r.state = c.state;
      r.history = c.history;
      r.flipped = c.flipped;
      const h = c.half;
      r.missedBytes = [h[0].missedBytes, h[1].missedBytes];
      r.retransmittedBytes = [h[0].retransmittedBytes, h[1].retransmittedBytes];
      r.bytes = [h[0].nextOffset, h[1].nextOffset];
      r.packets = [h[0].packets, h[1].packets];
      r.keepAlives = [h[0].keepAlives, h[1].keepAlives];
      r.zeroWindows = [h[0].zeroWindows, h[1].zeroWindows];
      r.anomalies = Object.fromEntries(c.anomalies ?? []);
      const rtt = c.handshakeRtt;
      r.handshakeRtt = rtt === null ? null : Math.round(rtt * 1e6) / 1e6;
      for (const d of [0, 1] as const) {
        if (r.cursor[d] !== h[d].nextOffset) violations.push(`${c.id} dir ${d}: events end at ${r.cursor[d]}, nextOffset ${h[d].nextOffset}`);
      }
    },
  };

  let result: PipelineResult;
  try {
    result = await runPipeline({ files: [file], handler, ...(opts.limits ? { limits: opts.limits } : {}) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const conns: ConnResult[] = [];
  for (const r of byConn.values()) {
    if (r.closes !== 1) violations.push(`connection ${r.id} closed ${r.closes} times`);
    const { cursor: _cursor, chunks, ...rest } = r;
    conns.push({ ...rest, data: [Buffer.concat(chunks[0]), Buffer.concat(chunks[1])] });
  }
  conns.sort((a, b) => Number(a.id) - Number(b.id));
  if (!opts.allowViolations) assert.deepEqual(violations, [], 'stream contract violations');
  assert.deepEqual(result.errors, [], 'capture errors');
  return { conns, order, stats: result.stats, errors: result.errors, violations };
}

/** Runs and returns the only connection (asserting there is exactly one). */
export async function runOne(packets: readonly TestPacket[], opts: RunOptions = {}): Promise<ConnResult & { run: RunResult }> {
  const run = await runCapture(packets, opts);
  assert.equal(run.conns.length, 1, `expected one connection, got ${run.conns.length}`);
  return { ...run.conns[0]!, run };
}

// ------------------------------------------------------------------ building conversations

/** Deterministic filler bytes (distinct per seed). */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x21 + ((i * 7 + seed * 13 + (i >> 8)) % 90);
  return b;
}

/** "10.0.0.1:51000" or "[2001:db8::1]:443". */
export function parseEndpoint(text: string): { ip: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`bad endpoint ${text}`);
  return { ip: m[1]!, port: Number(m[2]) };
}

export interface SendOptions {
  /** Sequence number (default: the sender's next). */
  seq?: number;
  /** Ack number (default: the peer's next, when flags include A). */
  ack?: number;
  window?: number;
  options?: TcpOptionsSpec;
  /** Seconds after the previous packet (default: the conversation's step). */
  dt?: number;
  /** Absolute relative time (overrides dt). */
  at?: number;
  /** Sent but not captured: advances sequence numbers and time, records no packet. */
  drop?: boolean;
  /** Captured length of the frame (snap length). */
  snap?: number;
  /** IP identification (default: a per-direction counter). */
  ipId?: number;
}

/**
 * One TCP conversation between a client and a server. Tracks each side's next sequence number
 * (so the default seq/ack are those of a well-behaved stack) and the time.
 */
export class Conversation {
  readonly client: { ip: string; port: number };
  readonly server: { ip: string; port: number };
  readonly isn: [number, number];
  /** Next sequence number each side sends (unsigned 32-bit). */
  readonly next: [number, number];
  /** Relative time of the last packet. */
  t: number;
  step: number;
  readonly packets: TestPacket[] = [];
  /** What each side sent in order (payload), for comparing with the reassembled stream. */
  readonly sent: [Buffer[], Buffer[]] = [[], []];
  private readonly ipIds: [number, number] = [0x100, 0x8100];

  constructor(client: string, server: string, isnC: number, isnS: number, opts: { t0?: number; step?: number } = {}) {
    this.client = parseEndpoint(client);
    this.server = parseEndpoint(server);
    this.isn = [isnC >>> 0, isnS >>> 0];
    this.next = [isnC >>> 0, isnS >>> 0];
    this.t = opts.t0 ?? 0;
    this.step = opts.step ?? 0.001;
  }

  /** Builds (without recording) a packet from `dir`. */
  make(dir: Dir, flags: string, payload: Uint8Array | string = '', o: SendOptions = {}): TestPacket {
    const from = dir === 0 ? this.client : this.server;
    const to = dir === 0 ? this.server : this.client;
    const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    const seq = o.seq ?? this.next[dir];
    const ackFlag = flags.includes('A');
    const spec: TcpPacketSpec = {
      src: from.ip, dst: to.ip, sport: from.port, dport: to.port,
      seq: seq >>> 0, ack: ackFlag ? (o.ack ?? this.next[dir === 0 ? 1 : 0]) >>> 0 : (o.ack ?? 0) >>> 0,
      flags, payload: body, window: o.window ?? 65535,
      ipId: o.ipId ?? this.ipIds[dir],
      ...(o.options ? { options: o.options } : {}),
    };
    const ts = o.at ?? this.t + (o.dt ?? this.step);
    const pkt: TestPacket = {
      ts: Math.round(ts * 1e6) / 1e6,
      frame: frame(1, tcpPacket(spec)),
      label: `${dir === 0 ? 'C>S' : 'S>C'} ${flags} seq=${spec.seq} ack=${spec.ack} len=${body.length}`,
    };
    if (o.snap !== undefined) pkt.snap = o.snap;
    return pkt;
  }

  /**
   * Sends a packet from `dir`: records it (unless dropped), advances time, the IP ID and the
   * sender's next sequence number (if this segment reaches further).
   */
  send(dir: Dir, flags: string, payload: Uint8Array | string = '', o: SendOptions = {}): TestPacket {
    const pkt = this.make(dir, flags, payload, o);
    this.t = pkt.ts;
    if (o.ipId === undefined) this.ipIds[dir] = (this.ipIds[dir] + 1) & 0xffff;
    const bits = tcpFlags(flags);
    const len = typeof payload === 'string' ? payload.length : payload.length;
    const seq = (o.seq ?? this.next[dir]) >>> 0;
    // RST payload is not in sequence space.
    const span = (bits & 0x04 ? 0 : len) + (bits & 0x02 ? 1 : 0) + (bits & 0x01 ? 1 : 0);
    const end = (seq + span) >>> 0;
    if (((end - this.next[dir]) | 0) > 0) this.next[dir] = end;
    if (!o.drop) this.packets.push(pkt);
    return pkt;
  }

  /** Records a packet again, byte for byte (the same frame captured twice, or a copy later). */
  repeat(pkt: TestPacket, dt: number): TestPacket {
    const copy: TestPacket = { ...pkt, ts: Math.round((this.t + dt) * 1e6) / 1e6, label: `${pkt.label} (copy)` };
    this.t = copy.ts;
    this.packets.push(copy);
    return copy;
  }

  syn(o: SendOptions = {}): TestPacket {
    return this.send(0, 'S', '', { options: { mss: 1460, sackPermitted: true, wscale: 7 }, ...o });
  }

  synAck(o: SendOptions = {}): TestPacket {
    return this.send(1, 'SA', '', { options: { mss: 1460, sackPermitted: true, wscale: 7 }, ...o });
  }

  ack(dir: Dir, o: SendOptions = {}): TestPacket {
    return this.send(dir, 'A', '', o);
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(o: { dt?: number } = {}): this {
    this.syn(o);
    this.synAck(o);
    this.ack(0, o);
    return this;
  }

  /** A data segment (PSH-ACK), remembered in `sent` unless o.seq rewinds (a retransmission). */
  data(dir: Dir, payload: Uint8Array | string, o: SendOptions = {}): TestPacket {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload);
    if (o.seq === undefined) this.sent[dir].push(body);
    return this.send(dir, 'PA', body, o);
  }

  fin(dir: Dir, o: SendOptions = {}): TestPacket {
    return this.send(dir, 'FA', '', o);
  }

  rst(dir: Dir, o: SendOptions & { flags?: 'R' | 'RA' } = {}): TestPacket {
    return this.send(dir, o.flags ?? 'R', '', o);
  }

  /** FIN from the client, FIN-ACK from the server, last ACK from the client. */
  close(): this {
    this.fin(0);
    this.fin(1);
    this.ack(0);
    return this;
  }

  /** Everything each side sent with `data` (no retransmissions), concatenated. */
  sentBytes(dir: Dir): Buffer {
    return Buffer.concat(this.sent[dir]);
  }
}

/** A conversation after a full handshake (SYN, SYN-ACK, ACK, one step apart). */
export function handshake(client: string, server: string, isnC: number, isnS: number, opts: { t0?: number; step?: number } = {}): Conversation {
  return new Conversation(client, server, isnC, isnS, opts).handshake();
}

/**
 * Appends `rounds` request/response exchanges: the client sends `reqSize` bytes in one segment,
 * the server ACKs it and answers with `respSize` bytes in segments of at most `mss`, the client
 * ACKs. Payload differs per round (pattern seeds).
 */
export function converse(conv: Conversation, rounds: number, reqSize: number, respSize: number, mss = 1448): Conversation {
  for (let i = 0; i < rounds; i++) {
    conv.data(0, pattern(reqSize, 2 * i));
    conv.ack(1);
    const resp = pattern(respSize, 2 * i + 1);
    for (let at = 0; at < resp.length; at += mss) conv.data(1, resp.subarray(at, at + mss));
    conv.ack(0);
  }
  return conv;
}

/** Packets of several conversations merged by time (stable: ties keep argument order). */
export function merge(...convs: Conversation[]): TestPacket[] {
  return convs
    .flatMap((c, ci) => c.packets.map((p, i) => ({ p, ci, i })))
    .sort((a, b) => a.p.ts - b.p.ts || a.ci - b.ci || a.i - b.i)
    .map((x) => x.p);
}

/** Events of one direction, without timestamps (for deepEqual). */
export function eventsOf(r: ConnResult, dir: Dir): Omit<StreamEvent, 'ts' | 'dir'>[] {
  return r.events.filter((e) => e.dir === dir).map(({ ts: _ts, dir: _dir, ...e }) => e);
}
