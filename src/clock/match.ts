/**
 * The same packet seen at two capture points, and the delay-symmetric (NTP-style) samples that
 * pairs of such packets give.
 *
 * A packet is identified by its connection (both endpoints), its side (which endpoint sent it),
 * seq, ack, flags and payload length; IPv4 ID and TCP TSval, when both captures have them, must
 * agree too, which tells a retransmission from its original. A key that stays ambiguous is left
 * out rather than guessed.
 *
 * For two points A and B and clock offset θ = clock(B) − clock(A): a packet going A→B has
 * tB − tA = δ + θ, one going B→A has tA − tB = δ' − θ (δ, δ' ≥ 0 the one-way delays between the
 * points). With x = tB − tA of a packet sent by one endpoint and y = tA − tB of the next packet
 * sent by the other: θ = (x − y)/2 + (δ' − δ)/2 and |x + y| = δ + δ'. So each such pair gives an
 * offset, exact when the two delays are equal, and a delay (x + y)/2 that bounds the error;
 * whichever point is nearer which endpoint, the formula is the same (the sign of x + y says
 * which). Time spent inside either host cancels out.
 */
import { SIDE_BIT, TSVAL_BIT, keeps, sightingHash, type CapturePointPackets } from './sightings.js';

export interface PairSample {
  /** Index of the connection in PointMatch.connections. */
  connection: number;
  /** When (on A's clock) the second packet of the pair was seen at A. */
  timeA: number;
  /** Offset of B's clock from A's (B − A) that this pair gives, seconds. */
  offset: number;
  /** Mean one-way delay between the points over the pair (half the round trip), seconds; ≥ 0 when causal. */
  delay: number;
}

export interface PointMatch {
  /** Connections (as "lo|hi" endpoint strings) with sightings at both points. */
  connections: string[];
  /** Connections with at least one sample. */
  connectionsWithSamples: number;
  /** Connections with matched packets in one direction only (no sample: nothing to pair with). */
  oneWayConnections: number;
  matchedPackets: number;
  /** Keys left out because several packets fit them. */
  ambiguous: number;
  /** Pair samples in both directions, all connections, in connection then time order. */
  samples: PairSample[];
  /** Samples whose delay was negative (impossible with consistent timestamps): left out of `samples`. */
  acausal: number;
  /**
   * The offset interval every matched packet allows, assuming only that a packet reaches the
   * second point after the first: [lo, hi] (lo > hi means the timestamps contradict each other:
   * clock drift, a step, or a wrong match). null without packets in both directions.
   */
  bounds: { lo: number; hi: number } | null;
}

interface Matched {
  side: number;
  tA: number;
  tB: number;
}

/** Tolerance for "negative" delays: timestamps have microsecond resolution. */
const CAUSAL_EPS = 2e-6;

export function matchPoints(a: CapturePointPackets, b: CapturePointPackets): PointMatch {
  const level = Math.max(a.sampleLevel, b.sampleLevel);
  // Connection strings common to both, numbered; each point's connection indices mapped to them.
  const common = new Map<string, number>();
  const connections: string[] = [];
  const inA = new Set(a.connections);
  const bCommon = Int32Array.from(b.connections, (k) => {
    if (!inA.has(k)) return -1;
    let c = common.get(k);
    if (c === undefined) {
      c = connections.length;
      common.set(k, c);
      connections.push(k);
    }
    return c;
  });
  const aCommon = Int32Array.from(a.connections, (k) => common.get(k) ?? -1);
  const empty: PointMatch = { connections, connectionsWithSamples: 0, oneWayConnections: 0, matchedPackets: 0, ambiguous: 0, samples: [], acausal: 0, bounds: null };
  if (connections.length === 0) return empty;

  const keyOf = (p: CapturePointPackets, i: number, c: number): string => {
    const m = p.meta[i]!;
    return `${c},${m & (SIDE_BIT | 0xff)},${p.seq[i]},${p.ack[i]},${p.len[i]}`;
  };
  const kept = (p: CapturePointPackets, i: number): boolean => {
    if (level === 0) return true;
    const m = p.meta[i]!;
    return keeps(sightingHash(p.connectionHashes[p.conn[i]!]!, m & SIDE_BIT ? 1 : 0, p.seq[i]!, p.ack[i]!, m & 0xff, p.len[i]!), level);
  };

  // A's sightings of common connections, by key.
  const byKey = new Map<string, number | number[]>();
  for (let i = 0; i < a.count; i++) {
    const c = aCommon[a.conn[i]!]!;
    if (c < 0 || !kept(a, i)) continue;
    const k = keyOf(a, i, c);
    const prev = byKey.get(k);
    if (prev === undefined) byKey.set(k, i);
    else if (typeof prev === 'number') byKey.set(k, [prev, i]);
    else prev.push(i);
  }
  const sameTag = (i: number, j: number): boolean => {
    const ia = a.ipId[i]!;
    const ib = b.ipId[j]!;
    if (ia >= 0 && ib >= 0 && ia !== ib) return false;
    if (a.meta[i]! & TSVAL_BIT && b.meta[j]! & TSVAL_BIT && a.tsVal[i] !== b.tsVal[j]) return false;
    return true;
  };

  // B's sightings against them: a unique fit on both sides, or nothing.
  const perConn: Matched[][] = connections.map(() => []);
  /** How many of B's sightings fit each of A's. */
  const fitCount = new Uint32Array(a.count);
  let ambiguous = 0;
  let matchedPackets = 0;
  const bIdx: number[] = [];
  const aIdx: number[] = [];
  for (let j = 0; j < b.count; j++) {
    const c = bCommon[b.conn[j]!]!;
    if (c < 0 || !kept(b, j)) continue;
    const k = keyOf(b, j, c);
    const cand = byKey.get(k);
    if (cand === undefined) continue;
    let fit = -1;
    let fits = 0;
    if (typeof cand === 'number') {
      if (sameTag(cand, j)) { fit = cand; fits = 1; }
    } else {
      for (const i of cand) if (sameTag(i, j)) { fit = i; fits++; }
    }
    if (fits > 1) { ambiguous++; continue; }
    if (fits === 0) continue;
    fitCount[fit] = fitCount[fit]! + 1;
    bIdx.push(j);
    aIdx.push(fit);
  }
  for (let n = 0; n < bIdx.length; n++) {
    const i = aIdx[n]!;
    const j = bIdx[n]!;
    // The same A sighting fitting two of B's: neither is trusted.
    if (fitCount[i]! > 1) { ambiguous++; continue; }
    perConn[bCommon[b.conn[j]!]!]!.push({ side: b.meta[j]! & SIDE_BIT ? 1 : 0, tA: a.time[i]!, tB: b.time[j]! });
    matchedPackets++;
  }

  const samples: PairSample[] = [];
  let connectionsWithSamples = 0;
  let oneWayConnections = 0;
  let acausal = 0;
  let lo = -Infinity;
  let hi = Infinity;
  let bothWays = false;
  perConn.forEach((list, c) => {
    if (list.length === 0) return;
    list.sort((p, q) => p.tA - q.tA);
    // x - y and x + y for each consecutive pair of packets from opposite sides.
    const own: { timeA: number; offset: number; sum: number }[] = [];
    for (let n = 1; n < list.length; n++) {
      const p = list[n - 1]!;
      const q = list[n]!;
      if (p.side === q.side) continue;
      const s0 = p.side === 0 ? p : q;
      const s1 = p.side === 0 ? q : p;
      const x = s0.tB - s0.tA;
      const y = s1.tA - s1.tB;
      own.push({ timeA: q.tA, offset: (x - y) / 2, sum: x + y });
    }
    if (own.length === 0) {
      oneWayConnections++;
      return;
    }
    // Which point is nearer the "lo" endpoint: the sign most pairs agree on.
    const positive = own.filter((s) => s.sum > 0).length;
    const orient = positive * 2 >= own.length ? 1 : -1;
    let added = 0;
    for (const s of own) {
      const delay = (orient * s.sum) / 2;
      if (delay < -CAUSAL_EPS) { acausal++; continue; }
      samples.push({ connection: c, timeA: s.timeA, offset: s.offset, delay: Math.max(0, delay) });
      added++;
    }
    if (added > 0) connectionsWithSamples++;
    // Per packet: going A→B, θ ≤ tB − tA; going B→A, θ ≥ tB − tA.
    bothWays = true;
    for (const m of list) {
      const d = m.tB - m.tA;
      const aToB = (m.side === 0) === (orient > 0);
      if (aToB) hi = Math.min(hi, d);
      else lo = Math.max(lo, d);
    }
  });
  return {
    connections,
    connectionsWithSamples,
    oneWayConnections,
    matchedPackets,
    ambiguous,
    samples,
    acausal,
    bounds: bothWays && Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi } : null,
  };
}
