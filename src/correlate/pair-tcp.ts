/**
 * tcp-mode pairing: one server leg per client leg. A server leg pairs with a client leg when it
 * was opened while the client leg was open and the client's bytes reappear in order at the start
 * of its client→server stream (after any PROXY header), the server's bytes on the client leg —
 * the shorter stream a prefix of the longer, since either side may have been cut. A PROXY header
 * naming the client endpoint is decisive (and one naming another client excludes the pair).
 * Without bytes, only a prompt connect (within 50 ms of the accept) pairs, on timing alone.
 *
 * Client legs that parse as HTTP take part only when their whole request stream reappears
 * byte-for-byte on a connection opened before the request came (a tcp-mode proxy carrying HTTP).
 */
import { AttemptPool } from './connect-attempts.js';
import type { Leg, PairingEvidence } from './model.js';
import { EPS, isConnectOnly, order, payloadBytes, payloadHead, prefixAgreement, readyTime, synTime, lowerBound } from './leg-util.js';

const TIGHT = 0.05;

export interface TcpPairing {
  client: Leg;
  /** The connection that carried the session's bytes, or null. */
  server: Leg | null;
  /** Bare connect attempts before it (retries), in order. */
  attempts: Leg[];
  evidence: PairingEvidence[];
  confidence: number;
}

interface Candidate {
  x: Leg;
  y: Leg;
  score: number;
  evidence: PairingEvidence[];
  confidence: number;
}

/**
 * Pairs client legs with server legs in tcp mode. Returns a pairing for every client leg that got
 * a server leg or connect attempts; `attempts` are claimed from the pool.
 */
export function pairTcp(clientLegs: readonly Leg[], serverLegs: readonly Leg[], pool: AttemptPool): TcpPairing[] {
  const servers = serverLegs.filter((y) => !isConnectOnly(y) || y.establishedTs !== null)
    .sort((a, b) => order(synTime(a), synTime(b)));
  const starts = servers.map(synTime);
  const cands: Candidate[] = [];
  for (const x of clientLegs) {
    const from = (x.synAckTs ?? synTime(x)) - EPS;
    // An HTTP client leg only pairs here with a connection opened before its first request byte
    // (see judge): the scan can stop there.
    let until = x.end + EPS;
    if (x.http !== null) {
      const first = x.dirs[0].firstDataTs;
      if (first === null) continue;
      until = Math.min(until, first);
    }
    for (let i = lowerBound(starts, from); i < servers.length && starts[i]! <= until; i++) {
      const c = judge(x, servers[i]!);
      if (c !== null) cands.push(c);
    }
  }
  // Best evidence first; among equals the server leg opened closest to the client's accept.
  cands.sort((a, b) => b.score - a.score || (synTime(a.y) - readyTime(a.x)) - (synTime(b.y) - readyTime(b.x)));
  const takenX = new Map<Leg, Candidate>();
  const takenY = new Set<Leg>();
  for (const c of cands) {
    if (takenX.has(c.x) || takenY.has(c.y)) continue;
    takenX.set(c.x, c);
    takenY.add(c.y);
  }
  for (const c of uncross([...takenX.values()], cands)) takenX.set(c.x, c);

  const out: TcpPairing[] = [];
  for (const x of [...clientLegs].sort((a, b) => order(synTime(a), synTime(b)))) {
    const c = takenX.get(x);
    if (c === undefined && x.http !== null) continue; // left to http pairing
    const closedByProxy = x.dirs[1].finTs ?? x.dirs[1].rstTs;
    const anchor = c !== undefined ? { kind: 'syn' as const, t: synTime(c.y) }
      : closedByProxy !== null ? { kind: 'answer' as const, t: closedByProxy } : null;
    const attempts = pool.claim(readyTime(x), anchor);
    if (c === undefined && attempts.length === 0) continue;
    out.push({
      client: x,
      server: c?.y ?? null,
      attempts,
      evidence: c?.evidence ?? ['timing'],
      confidence: c?.confidence ?? 0.4,
    });
  }
  return out;
}

/**
 * Sessions that the bytes cannot tell apart (identical streams at once) are paired in the order
 * the proxy handled them: HAProxy connects for its accepted connections first in, first out, so
 * of two such pairs whose accepts and connects cross, the uncrossed pairs are the likely ones
 * (nearness in time alone would swap them when the second accept falls between the first's
 * accept and connect). Swaps adjacent pairs, in accept order, while both swapped pairs are
 * candidates as good; each swap removes a crossing, so this ends.
 */
function uncross(chosen: Candidate[], cands: readonly Candidate[]): Candidate[] {
  const byPair = new Map<Leg, Map<Leg, Candidate>>();
  for (const c of cands) {
    let m = byPair.get(c.x);
    if (m === undefined) byPair.set(c.x, (m = new Map()));
    m.set(c.y, c);
  }
  chosen.sort((a, b) => order(readyTime(a.x), readyTime(b.x)));
  for (let swapped = true; swapped; ) {
    swapped = false;
    for (let i = 0; i + 1 < chosen.length; i++) {
      const p = chosen[i]!;
      const q = chosen[i + 1]!;
      if (synTime(p.y) <= synTime(q.y) || p.score !== q.score) continue;
      const p2 = byPair.get(p.x)?.get(q.y);
      const q2 = byPair.get(q.x)?.get(p.y);
      if (p2 === undefined || q2 === undefined || p2.score !== p.score || q2.score !== q.score) continue;
      chosen[i] = p2;
      chosen[i + 1] = q2;
      swapped = true;
    }
  }
  return chosen;
}

/** Whether y can be x's server leg, and how strongly; null when excluded. */
function judge(x: Leg, y: Leg): Candidate | null {
  const evidence: PairingEvidence[] = [];
  let score = 0;
  let confidence = 0;
  const pp = y.proxyProtocol;
  if (pp !== null && pp.command === 'PROXY' && pp.source !== null) {
    if (pp.source !== x.client) return null;
    evidence.push('proxy-protocol');
    score += 100;
    confidence = 1;
  }
  const up = prefixAgreement(payloadHead(x, 0), payloadHead(y, 0));
  const down = prefixAgreement(payloadHead(x, 1), payloadHead(y, 1));
  if (up < 0 || down < 0) return null;
  if (x.http !== null) {
    // An HTTP client leg pairs here only when its request stream went through untouched, over a
    // connection opened on accept (before the request came), as a tcp-mode proxy does; an
    // http-mode proxy that changes nothing connects after reading the request.
    const whole = payloadBytes(x, 0);
    if (whole === 0 || whole !== payloadBytes(y, 0) || up !== payloadHead(x, 0).length || down === 0) return null;
    if (x.dirs[0].firstDataTs === null || synTime(y) >= x.dirs[0].firstDataTs) return null;
  }
  if (up > 0 || down > 0) {
    evidence.push('bytes');
    score += Math.min(up, 64) + Math.min(down, 64);
    const both = up > 0 && down > 0;
    confidence = Math.max(confidence, both ? (up + down >= 16 ? 0.95 : 0.85) : up >= 16 || down >= 16 ? 0.85 : 0.7);
  } else {
    // Nothing to compare: only a prompt connect counts.
    const dt = synTime(y) - readyTime(x);
    const firstData = x.dirs[0].firstDataTs;
    const prompt = (dt >= -EPS && dt <= TIGHT) || (firstData !== null && synTime(y) >= firstData - EPS && synTime(y) - firstData <= TIGHT);
    if (!prompt && evidence.length === 0) return null;
    if (y.http !== null) return null;
    confidence = Math.max(confidence, 0.5);
  }
  evidence.push('timing');
  return { x, y, score, evidence, confidence };
}

