/**
 * The clock-offset estimator on synthetic capture points: hosts with known clock offsets, links
 * with known delays and queueing noise, each packet handed to every point that sees it (through
 * the same SightingCollector the pipeline feeds), at the time that point's clock reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newDecodedPacket, TCP_ACK, TCP_PSH, TCP_SYN } from '../src/decode/decoded-packet.js';
import type { TcpConnection } from '../src/tcp/connection.js';
import { SightingCollector, type CapturePointPackets } from '../src/clock/sightings.js';
import { estimateFromSamples, estimateOffsets, type ClockEstimate } from '../src/clock/estimate.js';
import { matchPoints } from '../src/clock/match.js';
import { parseClockOffset } from '../src/clock/override.js';
import { UsageError } from '../src/errors.js';
import { prng } from './helpers/prng.js';

const T0 = 1_700_000_000;

interface Link {
  /** One-way delay client→server and server→client, seconds (before noise). */
  up: number;
  down: number;
  /** Extra queueing delay, exponential with this mean, on a fraction of the packets, per direction. */
  upNoise?: { mean: number; share: number };
  downNoise?: { mean: number; share: number };
}

interface PacketSpec {
  fromClient: boolean;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  ipId: number;
  tsVal: number;
}

class World {
  readonly collectors = new Map<string, SightingCollector>();
  private readonly clocks = new Map<string, number | ((t: number) => number)>();
  private readonly rand: () => number;
  private port = 40000;

  constructor(points: Record<string, number | ((t: number) => number)>, opts: { seed?: number; maxSightings?: Record<string, number> } = {}) {
    this.rand = prng(opts.seed ?? 1);
    for (const [name, clock] of Object.entries(points)) {
      this.clocks.set(name, clock);
      const max = opts.maxSightings?.[name];
      this.collectors.set(name, new SightingCollector(max !== undefined ? { maxSightings: max } : {}));
    }
  }

  private clock(point: string, t: number): number {
    const c = this.clocks.get(point)!;
    return typeof c === 'number' ? c : c(t);
  }

  /**
   * A connection between a client host and a server host. Points listed in `clientSide` see its
   * packets where the client sends them (and receive the server's after the link's delay);
   * `serverSide` points the other way round. Returns a function that sends one packet.
   */
  connection(clientSide: string[], serverSide: string[], link: Link, ips: { client?: string; server?: string; clientPort?: number } = {}) {
    const client = `${ips.client ?? '10.0.0.1'}:${ips.clientPort ?? this.port++}`;
    const server = `${ips.server ?? '10.0.0.2'}:80`;
    const conns = new Map<string, TcpConnection>();
    for (const p of [...clientSide, ...serverSide]) {
      const c = { client, server } as unknown as TcpConnection;
      conns.set(p, c);
      this.collectors.get(p)!.open(c);
    }
    const noise = (n?: { mean: number; share: number }): number => (n && this.rand() < n.share ? -Math.log(1 - this.rand()) * n.mean : 0);
    const pkt = newDecodedPacket();
    /** Sends at true time t; `seenBy` limits which points capture it (default all). */
    return (t: number, spec: PacketSpec, seenBy?: string[]): void => {
      const delay = spec.fromClient ? link.up + noise(link.upNoise) : link.down + noise(link.downNoise);
      const senders = spec.fromClient ? clientSide : serverSide;
      const receivers = spec.fromClient ? serverSide : clientSide;
      pkt.seq = spec.seq >>> 0;
      pkt.ack = spec.ack >>> 0;
      pkt.flags = spec.flags;
      pkt.payloadLength = spec.len;
      pkt.ipId = spec.ipId;
      pkt.tsVal = spec.tsVal;
      const dir = spec.fromClient ? 0 : 1;
      for (const p of senders) if (!seenBy || seenBy.includes(p)) this.collectors.get(p)!.packet(conns.get(p)!, dir, pkt, t + this.clock(p, t));
      for (const p of receivers) if (!seenBy || seenBy.includes(p)) this.collectors.get(p)!.packet(conns.get(p)!, dir, pkt, t + delay + this.clock(p, t + delay));
    };
  }

  /** A connection with `count` packets alternating client/server, `gap` apart, from true time t. */
  exchange(clientSide: string[], serverSide: string[], link: Link, t: number, count: number, gap = 0.002, ipIds = true): void {
    const send = this.connection(clientSide, serverSide, link);
    let cseq = 1000;
    let sseq = 900000;
    for (let i = 0; i < count; i++) {
      const fromClient = i % 2 === 0;
      const len = i === 0 ? 0 : 10 + i;
      send(t + i * gap, {
        fromClient, seq: fromClient ? cseq : sseq, ack: fromClient ? sseq : cseq,
        flags: i === 0 ? TCP_SYN : TCP_ACK | (len ? TCP_PSH : 0), len,
        ipId: ipIds ? (fromClient ? 100 + i : 5000 + i) : -1, tsVal: ipIds ? 7000 + i : -1,
      });
      if (fromClient) cseq += len || 1;
      else sseq += len;
    }
  }

  points(...names: string[]): CapturePointPackets[] {
    return names.map((n) => this.collectors.get(n)!.result(n));
  }
}

function offsetOf(r: ClockEstimate, file: string): number {
  const o = r.offsets.find((x) => x.file === file)!;
  assert.notEqual(o.offsetSeconds, null, `${file} has an offset`);
  return o.offsetSeconds!;
}

test('known offsets through a proxy, asymmetric queueing noise: NTP-style minimum-delay estimate', () => {
  // client clock 250 ms behind the proxy's, server 350 ms ahead; 2 ms and 0.5 ms links, with
  // heavy queueing on the client's uplink and light noise elsewhere.
  const w = new World({ client: -0.25, proxy: 0, server: 0.35 }, { seed: 7 });
  const front: Link = { up: 0.002, down: 0.002, upNoise: { mean: 0.005, share: 0.7 }, downNoise: { mean: 0.0002, share: 0.5 } };
  const back: Link = { up: 0.0005, down: 0.0005, upNoise: { mean: 0.0001, share: 0.5 }, downNoise: { mean: 0.003, share: 0.6 } };
  for (let k = 0; k < 6; k++) {
    w.exchange(['client'], ['proxy'], front, T0 + k * 0.1, 12, 0.005);
    w.exchange(['proxy'], ['server'], back, T0 + k * 0.1 + 0.003, 12, 0.005);
  }
  const r = estimateOffsets(w.points('client', 'proxy', 'server'));
  assert.equal(r.reference, 1, 'the proxy (shares connections with both others) is the reference');
  const errC = offsetOf(r, 'client') + 0.25;
  const errS = offsetOf(r, 'server') - 0.35;
  assert.ok(Math.abs(errC) < 100e-6, `client error ${errC}`);
  assert.ok(Math.abs(errS) < 100e-6, `server error ${errS}`);
  for (const o of r.offsets) {
    assert.equal(o.evidence, 'strong', o.file);
    assert.ok(o.residualsMs && o.residualsMs.max >= o.residualsMs.median, o.file);
    if (o.file === 'proxy') continue;
    assert.equal(o.source, 'estimate');
    assert.ok(o.uncertaintySeconds! > 0 && o.uncertaintySeconds! < 0.001, `${o.file} ±${o.uncertaintySeconds}`);
    assert.ok(o.samples >= 50, `${o.file}: ${o.samples} samples`); // of 66 pairs sent: queueing reorders a few
  }
  // Queueing shows in the residuals (all samples), not in the estimate (lowest delays).
  const client = r.offsets[0]!;
  assert.ok(client.residualsMs!.max > 1, `client residual max ${client.residualsMs!.max} ms`);
  // The causal bounds hold the truth.
  const cp = r.pairs.find((p) => p.fileA === 'client' && p.fileB === 'proxy')!;
  assert.ok(cp.bounds && cp.bounds.lo <= 0.25 && 0.25 <= cp.bounds.hi, JSON.stringify(cp.bounds));
  assert.ok(Math.abs(cp.delaySeconds! - 0.002) < 0.0002, `min delay ${cp.delaySeconds}`);
  const cs = r.pairs.find((p) => p.fileA === 'client' && p.fileB === 'server')!;
  assert.equal(cs.evidence, 'none');
  assert.match(cs.note, /no TCP connection in common/);
  assert.deepEqual(r.warnings.filter((x) => !/equal delays both ways/.test(x)), []);
});

test('asymmetric path: the error is half the asymmetry, within the reported delay, and said', () => {
  const w = new World({ a: 0, b: 0.1 });
  for (let k = 0; k < 4; k++) w.exchange(['a'], ['b'], { up: 0.003, down: 0.001 }, T0 + k, 10);
  const r = estimateOffsets(w.points('a', 'b'));
  assert.equal(r.reference, 0, 'two files, both tied to each other: the first is the reference');
  const err = offsetOf(r, 'b') - 0.1;
  // estimate = θ + (δup − δdown)/2 = 0.1 + (0.003 − 0.001)/2
  assert.ok(Math.abs(err - 0.001) < 1e-6, `error ${err}`);
  const pair = r.pairs[0]!;
  assert.ok(Math.abs(err) <= pair.delaySeconds!, 'within the delay bound');
  assert.ok(pair.bounds!.lo <= 0.1 && 0.1 <= pair.bounds!.hi);
  assert.ok(r.warnings.some((x) => /equal delays both ways/.test(x) && /2\.000 ms/.test(x)), r.warnings.join('\n'));
});

test('no common connection: evidence none, no offset, a warning; never a guess', () => {
  const w = new World({ client: 0.2, server: -0.1, proxy: 0 });
  // The proxy is not among the files: client and server saw different connections.
  for (let k = 0; k < 3; k++) {
    w.exchange(['client'], ['proxy'], { up: 0.001, down: 0.001 }, T0 + k, 10);
    w.exchange(['proxy'], ['server'], { up: 0.001, down: 0.001 }, T0 + k, 10);
  }
  const r = estimateOffsets(w.points('client', 'server'));
  assert.equal(r.reference, 0);
  const s = r.offsets[1]!;
  assert.equal(s.evidence, 'none');
  assert.equal(s.source, 'none');
  assert.equal(s.offsetSeconds, null);
  assert.equal(s.uncertaintySeconds, null);
  assert.equal(s.residualsMs, null);
  assert.equal(s.estimatedOffsetSeconds, null);
  assert.equal(r.pairs[0]!.evidence, 'none');
  assert.equal(r.pairs[0]!.commonConnections, 0);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /^server: offset unknown, not guessed: no TCP connection in common with client \(the reference\)/);
});

test('thin evidence: few samples on one connection are used, and flagged', () => {
  const w = new World({ a: 0, b: 0.05 });
  w.exchange(['a'], ['b'], { up: 0.0005, down: 0.0005 }, T0, 4);
  const r = estimateOffsets(w.points('a', 'b'));
  const b = r.offsets[1]!;
  assert.equal(b.evidence, 'thin');
  assert.equal(b.samples, 3);
  assert.ok(Math.abs(b.offsetSeconds! - 0.05) < 1e-6);
  assert.match(r.pairs[0]!.note, /3 sample\(s\) \(< 8\); one connection only/);
  assert.ok(r.warnings.some((x) => /^b: thin evidence for the offset \+0\.050000 s/.test(x)), r.warnings.join('\n'));
});

test('packets matched in one direction only give no delay-symmetric sample: none', () => {
  const w = new World({ a: 0, b: 0.05 });
  const send = w.connection(['a'], ['b'], { up: 0.001, down: 0.001 });
  for (let i = 0; i < 10; i++) {
    // b's capture filter kept only what the server received; a saw both directions.
    send(T0 + i * 0.01, { fromClient: true, seq: 100 + i, ack: 5, flags: TCP_ACK, len: 1, ipId: i, tsVal: i });
    send(T0 + i * 0.01 + 0.005, { fromClient: false, seq: 5, ack: 101 + i, flags: TCP_ACK, len: 0, ipId: 50 + i, tsVal: i }, ['a']);
  }
  const r = estimateOffsets(w.points('a', 'b'));
  assert.equal(r.offsets[1]!.evidence, 'none');
  assert.match(r.pairs[0]!.note, /10 packet\(s\) seen at both points, in one direction only/);
  assert.match(r.warnings[0]!, /offset unknown, not guessed/);
});

test('a retransmission is told from its original by IP ID / TSval; without them the key is left out', () => {
  for (const tagged of [true, false]) {
    const w = new World({ a: 0, b: 0.02 });
    w.exchange(['a'], ['b'], { up: 0.001, down: 0.001 }, T0, 10, 0.002, tagged);
    const send = w.connection(['a'], ['b'], { up: 0.001, down: 0.001 });
    const id = (n: number): number => (tagged ? n : -1);
    send(T0 + 1, { fromClient: true, seq: 1, ack: 1, flags: TCP_ACK | TCP_PSH, len: 50, ipId: id(10), tsVal: id(1) }, ['a']); // lost after a
    send(T0 + 1.2, { fromClient: true, seq: 1, ack: 1, flags: TCP_ACK | TCP_PSH, len: 50, ipId: id(11), tsVal: id(201) }); // the retransmission
    send(T0 + 1.21, { fromClient: false, seq: 1, ack: 51, flags: TCP_ACK, len: 0, ipId: id(90), tsVal: id(9) });
    const [a, b] = w.points('a', 'b');
    const m = matchPoints(a!, b!);
    if (tagged) {
      assert.equal(m.ambiguous, 0);
      assert.equal(m.matchedPackets, 12);
      const r = estimateOffsets([a!, b!]);
      assert.ok(Math.abs(offsetOf(r, 'b') - 0.02) < 1e-6);
      // Matched to the original (0.2 s earlier), the retransmission would have broken causality.
      assert.ok(r.pairs[0]!.bounds!.lo <= r.pairs[0]!.bounds!.hi);
      assert.ok(r.pairs[0]!.residualsMs!.max < 0.005, 'residuals under 5 µs');
    } else {
      assert.equal(m.ambiguous, 1, 'two candidates at a, nothing to choose between them');
      assert.equal(m.matchedPackets, 11);
    }
  }
});

test('bounded sightings: hash sampling keeps the same packets at every point', () => {
  const w = new World({ client: -0.3, proxy: 0, server: 0.125 }, { seed: 3, maxSightings: { client: 64, server: 150 } });
  const link: Link = { up: 0.001, down: 0.001, upNoise: { mean: 0.001, share: 0.3 }, downNoise: { mean: 0.001, share: 0.3 } };
  for (let k = 0; k < 40; k++) {
    w.exchange(['client'], ['proxy'], link, T0 + k * 0.05, 10);
    w.exchange(['proxy'], ['server'], link, T0 + k * 0.05 + 0.002, 10);
  }
  const pts = w.points('client', 'proxy', 'server');
  assert.ok(pts[0]!.count <= 64 && pts[0]!.sampleLevel >= 3, `client: ${pts[0]!.count} at level ${pts[0]!.sampleLevel}`);
  assert.ok(pts[2]!.count <= 150 && pts[2]!.sampleLevel >= 1);
  assert.equal(pts[1]!.sampleLevel, 0);
  assert.equal(pts[0]!.tcpPackets, 400);
  // Every connection string still in use is referenced, and only those.
  const used = new Set(pts[0]!.conn);
  assert.equal(used.size, pts[0]!.connections.length);
  const r = estimateOffsets(pts);
  const cp = r.pairs.find((p) => p.fileA === 'client' && p.fileB === 'proxy')!;
  assert.ok(cp.matchedPackets > 0 && cp.matchedPackets <= pts[0]!.count);
  assert.ok(Math.abs(offsetOf(r, 'client') + 0.3) < 200e-6, `client ${offsetOf(r, 'client')}`);
  assert.ok(Math.abs(offsetOf(r, 'server') - 0.125) < 200e-6, `server ${offsetOf(r, 'server')}`);
});

test('bounded sightings, connections open across resamples and a reused 4-tuple: each connection string once, every sighting matches', () => {
  const w = new World({ a: 0, b: 0.01 }, { maxSightings: { a: 32 } });
  const link: Link = { up: 0.0002, down: 0.0002 };
  // 20 connections open at once, then two more on the 4-tuple of the first (new incarnations).
  const senders = Array.from({ length: 20 }, () => w.connection(['a'], ['b'], link));
  for (let n = 0; n < 2; n++) senders.push(w.connection(['a'], ['b'], link, { clientPort: 40000 }));
  for (let i = 0; i < 30; i++) {
    senders.forEach((send, k) => send(T0 + i * 0.01 + k * 1e-4, { fromClient: i % 2 === 0, seq: 1000 * k + i, ack: 5000 * k + i, flags: TCP_ACK, len: 1, ipId: i, tsVal: i }));
  }
  const [a, b] = w.points('a', 'b');
  assert.ok(a!.sampleLevel >= 4, `level ${a!.sampleLevel}`);
  assert.equal(new Set(a!.connections).size, a!.connections.length);
  assert.equal(b!.connections.length, 20, 'the reused 4-tuple is one connection string');
  assert.equal(matchPoints(a!, { ...a!, file: 'copy' }).matchedPackets, a!.count);
  assert.equal(matchPoints(a!, b!).matchedPackets, a!.count, 'b (level 0) holds every packet a kept');
  assert.ok(Math.abs(offsetOf(estimateOffsets([a!, b!]), 'b') - 0.01) < 1e-6);
});

test('a clock step inside a capture: no single offset is causal, evidence thin', () => {
  // b's clock steps forward by 5 ms half-way through.
  const w = new World({ a: 0, b: (t: number) => (t < T0 + 1 ? 0.2 : 0.205) });
  for (let k = 0; k < 10; k++) w.exchange(['a'], ['b'], { up: 0.0005, down: 0.0005 }, T0 + k * 0.2, 10);
  const r = estimateOffsets(w.points('a', 'b'));
  const pair = r.pairs[0]!;
  assert.ok(pair.bounds!.lo > pair.bounds!.hi);
  assert.equal(pair.evidence, 'thin');
  assert.match(pair.note, /contradictory timestamps/);
  assert.ok(r.warnings.some((x) => /^b: thin evidence/.test(x)));
});

test('estimateFromSamples: the lowest-delay quarter decides, the rest only shows in residuals', () => {
  const samples = [
    ...Array.from({ length: 30 }, (_, i) => ({ offset: 0.1 + (i % 2 ? 0.004 : -0.003), delay: 0.005 + i * 1e-4 })),
    { offset: 0.1000, delay: 0.001 }, { offset: 0.1001, delay: 0.0011 }, { offset: 0.0999, delay: 0.0012 },
    { offset: 0.1002, delay: 0.0013 }, { offset: 0.0998, delay: 0.0014 }, { offset: 0.1000, delay: 0.0015 },
    { offset: 0.1000, delay: 0.0016 }, { offset: 0.1003, delay: 0.0017 }, { offset: 0.0997, delay: 0.0018 },
    { offset: 0.1000, delay: 0.0019 },
  ];
  const e = estimateFromSamples(samples)!;
  assert.equal(e.used, 10);
  assert.ok(Math.abs(e.offset - 0.1) < 1e-9, `${e.offset}`);
  assert.ok(Math.abs(e.uncertainty - 0.0003) < 1e-9, `${e.uncertainty}`);
  assert.equal(e.delay, 0.001);
  assert.equal(estimateFromSamples([]), null);
  assert.equal(estimateFromSamples([{ offset: 1, delay: 0 }])!.uncertainty, 1e-6, 'floored at the timestamp resolution');
});

test('--clock-offset: parsing', () => {
  assert.deepEqual(parseClockOffset('web1.pcap=+0.350'), { file: 'web1.pcap', offsetSeconds: 0.35 });
  assert.deepEqual(parseClockOffset('dir/a=b.pcap=-0.25'), { file: 'dir/a=b.pcap', offsetSeconds: -0.25 });
  assert.equal(parseClockOffset('x=350ms').offsetSeconds, 0.35);
  assert.ok(Math.abs(parseClockOffset('x=-1200us').offsetSeconds + 0.0012) < 1e-15);
  assert.equal(parseClockOffset('x=.5').offsetSeconds, 0.5);
  for (const bad of ['web1.pcap', '=0.3', 'x=', 'x=abc', 'x=1.2.3', 'x=5min', 'x=+']) {
    assert.throws(() => parseClockOffset(bad), UsageError, bad);
  }
});

test('--clock-offset wins over the estimate, anchors what is tied only to it, and is checked against the captures', () => {
  const w = new World({ c: 0, p: 0.04, s: 0.1 });
  const link: Link = { up: 0.0005, down: 0.0005 };
  for (let k = 0; k < 5; k++) w.exchange(['p'], ['s'], link, T0 + k * 0.1, 10);
  // c shares nothing with p or s; reference c: only an override can tie them.
  const pts = w.points('c', 'p', 's');
  const none = estimateOffsets(pts, { reference: 'c' });
  assert.equal(none.offsets[1]!.evidence, 'none');
  assert.equal(none.offsets[2]!.evidence, 'none');
  assert.equal(none.warnings.length, 2);

  const r = estimateOffsets(pts, { reference: 'c', overrides: [parseClockOffset('p=+0.040')] });
  const [c, p, s] = r.offsets;
  assert.equal(c!.source, 'reference');
  assert.equal(p!.source, 'override');
  assert.equal(p!.offsetSeconds, 0.04);
  assert.equal(p!.uncertaintySeconds, 0);
  assert.equal(p!.evidence, 'none', 'the captures alone say nothing about p against c');
  assert.equal(s!.source, 'estimate');
  assert.deepEqual(s!.via, ['p']);
  assert.ok(Math.abs(s!.offsetSeconds! - 0.1) < 1e-6, `${s!.offsetSeconds}`);
  assert.ok(s!.residualsMs!.max < 0.01);
  assert.deepEqual(r.warnings, []);

  // An override the packets contradict: it still wins, the residuals and a warning show it.
  const wrong = estimateOffsets(pts, { reference: 'p', overrides: [parseClockOffset('s=+0.070')] });
  const so = wrong.offsets[2]!;
  assert.equal(so.source, 'override');
  assert.equal(so.offsetSeconds, 0.07);
  assert.ok(Math.abs(so.estimatedOffsetSeconds! - 0.06) < 1e-6);
  assert.ok(Math.abs(so.residualsMs!.median - 10) < 0.01, `${so.residualsMs!.median} ms`);
  assert.ok(wrong.warnings.some((x) => /^s: --clock-offset \+0\.070000 s wins over the estimate \+0\.060000 s/.test(x)), wrong.warnings.join('\n'));

  // Overriding the reference is ignored with a warning; unknown files are a usage error.
  assert.ok(estimateOffsets(pts, { reference: 'p', overrides: [{ file: 'p', offsetSeconds: 1 }] }).warnings.some((x) => /is the reference/.test(x)));
  assert.throws(() => estimateOffsets(pts, { overrides: [{ file: 'nope.pcap', offsetSeconds: 1 }] }), UsageError);
  assert.throws(() => estimateOffsets(pts, { reference: 7 }), UsageError);
});
