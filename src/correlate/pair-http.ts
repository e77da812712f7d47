/**
 * http-mode pairing, per request rather than per connection: keep-alive client connections are
 * spread over several server connections and reused server connections carry requests of
 * several clients (http-reuse, nginx upstream keepalive).
 *
 * A client request and a server request are compatible when: same method; the server request
 * starts after the client's header block was complete and before the client got its answer
 * (give or take SKEW); a PROXY header or X-Forwarded-For / X-Real-IP / Forwarded on the server
 * side, when present, names this client; a server connection's first request belongs to a client
 * request complete before the proxy opened that connection (give or take SKEW); bodies agree
 * when both were seen whole; the responses agree (status; body unless the proxy re-encoded it;
 * the client's answer not before the server's); and most end-to-end headers reappear.
 * Pass 1 also requires equal target and Host; pass 2 tolerates a path rewrite (prefix added or
 * stripped) and a Host rewrite for what pass 1 left over.
 *
 * Among compatible pairs the best evidence wins, then the smallest proxy delay (request forwarded
 * soon after it arrived, response relayed soon after it came back), then time order (FIFO), so
 * identical requests — from one client in sequence, or from several at the same moment — pair
 * as the proxy served them. A request left without a counterpart gets one through a short chain
 * of reassignments when there is one.
 */
import { headerValue, headText, type HttpRequest, type HttpResponse } from '../app/http/index.js';
import type { AttemptAnchor, AttemptPool } from './connect-attempts.js';
import {
  compareBodies, forwardingNamesClient, headerSimilarity, normalizeHost, requestKey, targetsRelated, type NamesClient,
} from './http-match.js';
import type { Leg, PairingEvidence } from './model.js';
import { EPS, requestReady, responseTo, splitEndpoint, synTime } from './leg-util.js';

/** How long after its client connection ended an unanswered request may still be forwarded (seconds). */
const QUEUE_SLACK = 1;
/**
 * Tolerated disorder between timestamps of packets of different connections: under load a
 * capture's timestamps are taken on several CPUs and can run backwards by a millisecond or so.
 */
const SKEW = 0.002;
const SCAN_LIMIT = 512;
const MAX_COMPATIBLE = 8;
const AUGMENT_DEPTH = 8;
/** A swap must make the squared delays smaller by more than (10 µs)²: not a rounding difference. */
const UNCROSS_MARGIN = 1e-10;
/** How much more a microsecond of backward time costs than one of delay, in the greedy order. */
const BACKWARD_WEIGHT = 10;
/** Backward time below this (1 µs) is a rounding difference. */
const BACKWARDS_MARGIN = 1e-6;

export interface HttpPairing {
  client: Leg;
  request: HttpRequest;
  /** The client's response (the final one when there is one): the proxy's own or the server's, relayed. */
  response: HttpResponse | null;
  server: Leg | null;
  serverRequest: HttpRequest | null;
  serverResponse: HttpResponse | null;
  /** Bare connect attempts made for this request (failures before the server leg, or instead of one). */
  attempts: Leg[];
  evidence: PairingEvidence[];
  confidence: number;
}

interface CReq {
  leg: Leg;
  req: HttpRequest;
  resp: HttpResponse | null;
  /** resp when it is final (not interim), else null. */
  final: HttpResponse | null;
  ready: number;
  upper: number;
  /** Lower-case addresses the forwarding headers may name: the peer, and a PROXY header's source. */
  addresses: string[];
  /** `addresses` joined: the memo key of forwarding verdicts. */
  addressKey: string;
  endpoints: string[];
  /** The request's header block text (compact messages), for memoised comparisons. */
  head: string | undefined;
  match: SReq | null;
  fit: Fit | null;
}

interface SReq {
  leg: Leg;
  req: HttpRequest;
  resp: HttpResponse | null;
  final: HttpResponse | null;
  t: number;
  /** The source a PROXY header of the server leg names (command PROXY), else null. */
  ppSource: string | null;
  head: string | undefined;
  owner: CReq | null;
}

interface Fit {
  score: number;
  fwd: NamesClient;
  pp: boolean;
  relaxed: boolean;
  respMatch: boolean;
  bodyMatch: boolean;
  ambiguous: boolean;
}

/** `taken`: server requests already paired (by an earlier window of the streaming engine): not offered again. */
export function pairHttp(clientLegs: readonly Leg[], serverLegs: readonly Leg[], pool: AttemptPool, taken?: ReadonlySet<HttpRequest>): HttpPairing[] {
  const creqs: CReq[] = [];
  for (const leg of clientLegs) {
    const ppSource = leg.proxyProtocol?.source ?? null;
    const endpoints = ppSource !== null ? [leg.client, ppSource] : [leg.client];
    const addresses = endpoints.map((e) => splitEndpoint(e).address.toLowerCase());
    const addressKey = addresses.join(',');
    for (const req of leg.http?.requests ?? []) {
      const resp = responseTo(leg, req);
      const final = resp !== null && !resp.interim ? resp : null;
      creqs.push({
        leg, req, resp, final, ready: requestReady(req), addresses, addressKey, endpoints, head: headText(req), match: null, fit: null,
        upper: final !== null ? final.firstByteTs + SKEW : leg.end + QUEUE_SLACK,
      });
    }
  }
  creqs.sort((a, b) => a.ready - b.ready || synTime(a.leg) - synTime(b.leg) || a.req.index - b.req.index);

  const sreqs: SReq[] = [];
  for (const leg of serverLegs) {
    const pp = leg.proxyProtocol;
    const ppSource = pp !== null && pp.command === 'PROXY' && pp.source !== null ? pp.source : null;
    for (const req of leg.http?.requests ?? []) {
      if (taken !== undefined && taken.has(req)) continue;
      const resp = responseTo(leg, req);
      sreqs.push({ leg, req, resp, final: resp !== null && !resp.interim ? resp : null, t: req.firstByteTs, ppSource, head: headText(req), owner: null });
    }
  }
  sreqs.sort((a, b) => a.t - b.t);
  const byKey = groupSorted(sreqs, (s) => requestKey(s.req));
  const byMethod = groupSorted(sreqs, (s) => s.req.method);

  matchPass(creqs, (c) => byKey.get(requestKey(c.req)), false);
  matchPass(creqs, (c) => byMethod.get(c.req.method), true);

  const out: HttpPairing[] = [];
  for (const c of creqs) {
    const s = c.match;
    const final = c.final;
    // Connect attempts: for a request no server saw, or before the connection opened for it;
    // none when an already open connection carried it.
    let anchor: AttemptAnchor | null = null;
    let look = true;
    if (s === null) {
      const closed = c.leg.dirs[1].finTs ?? c.leg.dirs[1].rstTs;
      if (final !== null) anchor = { kind: 'answer', t: final.firstByteTs };
      else if (closed !== null && closed >= c.ready) anchor = { kind: 'answer', t: closed };
    } else if (s.req.index === 0 && synTime(s.leg) > c.ready) {
      anchor = { kind: 'syn', t: synTime(s.leg) };
    } else {
      look = false;
    }
    const attempts = look ? pool.claim(c.ready, anchor) : [];
    out.push({
      client: c.leg, request: c.req, response: c.resp,
      server: s?.leg ?? null, serverRequest: s?.req ?? null, serverResponse: s?.resp ?? null,
      attempts,
      evidence: s !== null ? evidenceOf(c, s) : attempts.length > 0 ? ['timing'] : [],
      confidence: s !== null ? confidenceOf(c.fit!) : attempts.length > 0 ? 0.4 : 0,
    });
  }
  return out;
}

interface Candidate {
  c: CReq;
  s: SReq;
  fit: Fit;
  /** Seconds the proxy would have held the request and the response: the true pair's are small. */
  cost: number;
  tier: number;
  /** Which client request's list it is in (creqs order), and its place in that list. */
  rank: number;
  next: number;
}

/**
 * One matching pass: every compatible (client request, free server request) pair in each client
 * request's window, then taken best first — higher score tier, then lower cost (forwarding plus
 * relaying delay), then FIFO; then augmenting paths for those left without a counterpart.
 */
function matchPass(creqs: readonly CReq[], listOf: (c: CReq) => SReq[] | undefined, relaxed: boolean): void {
  const byC = new Map<CReq, Candidate[]>();
  /** Each client request's candidate list, in creqs order (the tie-break of the greedy order). */
  const lists: Candidate[][] = [];
  for (const c of creqs) {
    if (c.match !== null) continue;
    const list = listOf(c);
    if (list === undefined) continue;
    // The likeliest few, best first: kept sorted as they come (a stable insertion, as a stable
    // sort of all of them would order them), so the rest are never allocated.
    let mine: Candidate[] | null = null;
    const cf = c.final;
    const lowest = c.ready - SKEW;
    for (let i = lowerBound(list, lowest), n = 0; i < list.length && n < SCAN_LIMIT; i++, n++) {
      const s = list[i]!;
      if (s.t > c.upper) break;
      if (s.owner !== null) continue;
      // The cheapest exclusions of fitOf, inline: different answers, or the client's came first.
      const sf = s.final;
      if (cf !== null && sf !== null && (cf.status !== sf.status || cf.firstByteTs < sf.firstByteTs - SKEW)) continue;
      const score = scoreOf(c, s, relaxed);
      if (score < 0) continue;
      const tier = Math.round(score * 10);
      const cost = costOf(c, s);
      // Most compatible pairs rank below a full list: they are dropped before anything is built.
      if (mine !== null && mine.length >= MAX_COMPATIBLE && preferenceTo(mine[MAX_COMPATIBLE - 1]!, tier, cost, c.ready, s.t) <= 0) continue;
      const k: Candidate = { c, s, fit: fitFromScratch(score, relaxed), cost, tier, rank: 0, next: 0 };
      if (mine === null) mine = [k];
      else insertBounded(mine, k);
    }
    if (mine === null) continue;
    byC.set(c, mine);
    for (const k of mine) k.rank = lists.length;
    lists.push(mine);
  }
  // Best first over all candidates — preference, then list order — assigning when both sides
  // are free. Each list is sorted, so only each list's best remaining candidate needs to be in
  // the queue: a candidate skipped because its server request was taken yields its successor.
  const heap = new CandidateHeap();
  for (const mine of lists) heap.push(mine[0]!);
  for (let k = heap.pop(); k !== undefined; k = heap.pop()) {
    if (k.c.match !== null) continue;
    if (k.s.owner !== null) {
      const mine = lists[k.rank]!;
      const next = mine[k.next + 1];
      if (next !== undefined) heap.push(next);
      continue;
    }
    k.fit.ambiguous = byC.get(k.c)!.some((r) => r !== k && r.tier === k.tier && r.cost < k.cost + 0.001 && r.s.t <= k.c.leg.end + EPS);
    assign(k.c, k.s, k.fit);
  }
  // Concurrent identical requests: a greedy choice can leave one without a counterpart that a
  // short chain of reassignments frees (an augmenting path, as in bipartite matching).
  for (const [c, mine] of byC) {
    if (c.match !== null) continue;
    if (augment(c, byC, AUGMENT_DEPTH, new Set())) mine.forEach((k) => (k.fit.ambiguous = true));
  }
  uncross(byC);
}

/**
 * Identical concurrent requests, told apart by timing alone: when every server request comes
 * after both client requests and every relayed answer after both server answers, the forward
 * plus relay delays of two pairs add up to the same total whether they cross or not, so the
 * greedy order (smallest single delay first) picks crossing pairs as often as not. The proxy
 * forwards in arrival order and relays answers as they come: two pairs of the same tier are
 * swapped when that makes the delays more even (smaller sum of squares, which the
 * order-keeping assignment minimises). But never into pairs the skew tolerance alone allows
 * (a request forwarded before it came, an answer relayed before the server's), and always out
 * of them: the greedy costs count such a delay as positive. Each swap lowers (backward time,
 * sum of squares), so this ends; the bound is only a guard.
 */
function uncross(byC: ReadonlyMap<CReq, Candidate[]>): void {
  const work = [...byC.keys()];
  let budget = 4 * work.length;
  for (let c = work.pop(); c !== undefined && budget > 0; c = work.pop()) {
    const s = c.match;
    const mine = byC.get(c)!;
    if (s === null || mine.length < 2) continue;
    const cur = mine.find((k) => k.s === s);
    if (cur === undefined) continue;
    for (const k of mine) {
      const other = k.s.owner;
      if (k === cur || k.tier !== cur.tier || other === null || other === c) continue;
      const theirs = byC.get(other);
      const cur2 = theirs?.find((x) => x.s === k.s);
      const alt2 = theirs?.find((x) => x.s === s);
      if (cur2 === undefined || alt2 === undefined || cur2.tier !== cur.tier || alt2.tier !== cur.tier) continue;
      // Fewer impossibilities first (forwarded before it came, relayed before it came back),
      // then more even delays.
      const before = backwards(cur) + backwards(cur2);
      const after = backwards(k) + backwards(alt2);
      if (after > before - BACKWARDS_MARGIN && (after > before + BACKWARDS_MARGIN || spread(k) + spread(alt2) >= spread(cur) + spread(cur2) - UNCROSS_MARGIN)) continue;
      assign(c, k.s, k.fit);
      assign(other, s, alt2.fit);
      k.fit.ambiguous = alt2.fit.ambiguous = true;
      work.push(c, other);
      budget--;
      break;
    }
  }
}

/**
 * How far a pair has the proxy act before it could (seconds): forward the request before the
 * client had sent it, or relay the answer before the server's came. Only timestamp skew allows
 * it (SKEW), so of two ways to pair the one with less of it is the likelier.
 */
function backwards(k: Candidate): number {
  const cr = k.c.final;
  const sr = k.s.final;
  const relay = cr !== null && sr !== null ? cr.firstByteTs - sr.firstByteTs : 0;
  return Math.max(0, k.c.ready - k.s.t) + Math.max(0, -relay);
}

/** Squared forward and relay delays of a pair (seconds²). */
function spread(k: Candidate): number {
  const forward = k.s.t - k.c.ready;
  const cr = k.c.final;
  const sr = k.s.final;
  const relay = cr !== null && sr !== null ? cr.firstByteTs - sr.firstByteTs : 0;
  return forward * forward + relay * relay;
}

/** A binary heap of candidates: preference order, then list order (their place in a stable sort). */
class CandidateHeap {
  private readonly a: Candidate[] = [];

  private static less(x: Candidate, y: Candidate): boolean {
    const p = preference(x, y);
    return p !== 0 ? p < 0 : x.rank !== y.rank ? x.rank < y.rank : x.next < y.next;
  }

  push(k: Candidate): void {
    const a = this.a;
    let i = a.length;
    a.push(k);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!CandidateHeap.less(k, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = k;
  }

  pop(): Candidate | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const m = r < a.length && CandidateHeap.less(a[r]!, a[l]!) ? r : l;
      if (!CandidateHeap.less(a[m]!, last)) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = last;
    return top;
  }
}

/** Inserts k into a preference-sorted list after its equals, keeping at most MAX_COMPATIBLE. */
function insertBounded(list: Candidate[], k: Candidate): void {
  let i = list.length;
  while (i > 0 && preference(list[i - 1]!, k) > 0) i--;
  if (i >= MAX_COMPATIBLE) return;
  list.splice(i, 0, k);
  if (list.length > MAX_COMPATIBLE) list.length = MAX_COMPATIBLE;
  for (let j = i; j < list.length; j++) list[j]!.next = j;
}

function augment(c: CReq, byC: ReadonlyMap<CReq, Candidate[]>, depth: number, visited: Set<SReq>): boolean {
  for (const k of byC.get(c) ?? []) {
    if (visited.has(k.s)) continue;
    visited.add(k.s);
    const other = k.s.owner;
    if (other === null || (depth > 0 && byC.has(other) && augment(other, byC, depth - 1, visited))) {
      assign(c, k.s, k.fit);
      return true;
    }
  }
  return false;
}

function preference(a: Candidate, b: Candidate): number {
  return b.tier - a.tier || a.cost - b.cost || a.c.ready - b.c.ready || a.s.t - b.s.t;
}

/** preference(a, b) for a b not built yet, from its parts. */
function preferenceTo(a: Candidate, tier: number, cost: number, ready: number, t: number): number {
  return tier - a.tier || a.cost - cost || a.c.ready - ready || a.s.t - t;
}

function costOf(c: CReq, s: SReq): number {
  const forward = s.t - c.ready; // negative only by timestamp skew
  const cr = c.final;
  const sr = s.final;
  const relay = cr !== null && sr !== null ? cr.firstByteTs - sr.firstByteTs : 0;
  // Backward time (skew, or the wrong pair) weighs more than delay: a proxy waits, it never anticipates.
  return Math.abs(forward) + Math.abs(relay) + BACKWARD_WEIGHT * (Math.max(0, -forward) + Math.max(0, -relay));
}

function assign(c: CReq, s: SReq, fit: Fit): void {
  c.match = s;
  c.fit = fit;
  s.owner = c;
}

/** What scoreOf found besides the score, read by fitFromScratch right after (no Fit per compatible pair). */
const scratch: { fwd: NamesClient; pp: boolean; respMatch: boolean; bodyMatch: boolean } = { fwd: 'absent', pp: false, respMatch: false, bodyMatch: false };

function fitFromScratch(score: number, relaxed: boolean): Fit {
  return { score, fwd: scratch.fwd, pp: scratch.pp, relaxed, respMatch: scratch.respMatch, bodyMatch: scratch.bodyMatch, ambiguous: false };
}

/** Compatibility of a client request with a server request, scored (the rest in `scratch`); -1 when excluded. */
function scoreOf(c: CReq, s: SReq, relaxed: boolean): number {
  // Cheapest tests first: this runs for every request in every window.
  if (s.req.method !== c.req.method || s.t < c.ready - SKEW || s.t > c.upper) return -1;
  // A connection's first request is the one the proxy opened it for: ready before its SYN.
  if (s.req.index === 0 && s.leg.synTs !== null && s.leg.synTs < c.ready - SKEW) return -1;
  let respMatch = false;
  const cr = c.final;
  const sr = s.final;
  if (cr !== null && sr !== null) {
    if (cr.status !== sr.status || cr.firstByteTs < sr.firstByteTs - SKEW) return -1;
    const rb = compareBodies(sr, cr);
    // Another body is another response, unless the proxy compressed it.
    if (rb === 'changed' && headerValue(sr.headers, 'content-encoding') === headerValue(cr.headers, 'content-encoding')) return -1;
    respMatch = rb === 'same' || rb === 'reframed';
  }
  const body = compareBodies(c.req, s.req);
  if (body === 'changed') return -1;
  let ppNamed = false;
  if (s.ppSource !== null) {
    if (!c.endpoints.includes(s.ppSource)) return -1;
    ppNamed = true;
  }
  const hf = headerFacts(c, s);
  const fwd = hf.fwd;
  if (fwd === 'no') return -1;
  if (relaxed) {
    if (!targetsRelated(c.req.target, s.req.target)) return -1;
    if (normalizeHost(c.req) !== null && normalizeHost(s.req) === null) return -1;
  }
  if (hf.total >= 3 && hf.common / hf.total < 0.34) return -1;
  const bodyMatch = (body === 'same' || body === 'reframed') && c.req.body.length > 0;
  scratch.fwd = fwd;
  scratch.pp = ppNamed;
  scratch.respMatch = respMatch;
  scratch.bodyMatch = bodyMatch;
  return (hf.total > 0 ? hf.common / hf.total : 1) + (fwd === 'yes' ? 1 : 0) + (ppNamed ? 2 : 0)
    + (respMatch ? 0.5 : 0) + (bodyMatch ? 0.5 : 0);
}

interface HeaderFacts {
  /** headerSimilarity of the two header lists. */
  common: number;
  total: number;
  /** forwardingNamesClient for the client's addresses. */
  fwd: NamesClient;
}

interface PairMemo {
  common: number;
  total: number;
  fwd: Map<string, NamesClient>;
}

/**
 * What the header lists say about a pair: both depend on the two header blocks only (and the
 * client's addresses), and under load the same few blocks come again and again, so they are
 * memoised per pair of block texts (bounded).
 */
let pairMemo = new Map<string, Map<string, PairMemo>>();
let pairMemoSize = 0;
const MAX_PAIR_MEMO = 1 << 16;

/** headerFacts' answer: one object, overwritten by every call (asked for every compatible pair). */
const facts: HeaderFacts = { common: 0, total: 0, fwd: 'absent' };

function headerFacts(c: CReq, s: SReq): HeaderFacts {
  if (c.head === undefined || s.head === undefined) {
    const sim = headerSimilarity(c.req.headers, s.req.headers);
    facts.common = sim.common;
    facts.total = sim.total;
    facts.fwd = forwardingNamesClient(s.req, c.req, c.addresses);
    return facts;
  }
  let inner = pairMemo.get(c.head);
  if (inner === undefined) {
    if (pairMemoSize >= MAX_PAIR_MEMO) {
      pairMemo = new Map();
      pairMemoSize = 0;
    }
    pairMemo.set(c.head, (inner = new Map()));
  }
  let m = inner.get(s.head);
  if (m === undefined) {
    const sim = headerSimilarity(c.req.headers, s.req.headers);
    m = { common: sim.common, total: sim.total, fwd: new Map() };
    inner.set(s.head, m);
    pairMemoSize++;
  }
  let fwd = m.fwd.get(c.addressKey);
  if (fwd === undefined) {
    fwd = forwardingNamesClient(s.req, c.req, c.addresses);
    m.fwd.set(c.addressKey, fwd);
  }
  facts.common = m.common;
  facts.total = m.total;
  facts.fwd = fwd;
  return facts;
}

function evidenceOf(c: CReq, s: SReq): PairingEvidence[] {
  const f = c.fit!;
  const ev: PairingEvidence[] = ['request'];
  if (f.fwd === 'yes') ev.push('forwarded-for');
  if (f.pp) ev.push('proxy-protocol');
  const opened = synTime(s.leg);
  if (opened >= synTime(c.leg) - EPS && opened <= c.leg.end + EPS) ev.push('timing');
  return ev;
}

function confidenceOf(f: Fit): number {
  if (f.pp) return 1;
  let v = f.relaxed ? 0.45 : 0.7;
  if (f.fwd === 'yes') v += 0.15;
  if (f.respMatch) v += 0.1;
  if (f.bodyMatch) v += 0.05;
  if (f.ambiguous) v -= 0.15;
  return Math.round(Math.min(1, Math.max(0.1, v)) * 100) / 100;
}

function groupSorted(list: readonly SReq[], key: (s: SReq) => string): Map<string, SReq[]> {
  const m = new Map<string, SReq[]>();
  for (const s of list) {
    const k = key(s);
    const g = m.get(k);
    if (g) g.push(s);
    else m.set(k, [s]);
  }
  return m;
}

function lowerBound(list: readonly SReq[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
