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
import { headerValue, headText, type HttpMessage, type HttpRequest, type HttpResponse } from '../app/http/index.js';
import type { AttemptAnchor, AttemptPool } from './connect-attempts.js';
import {
  compareBodies, forwardingNamesClient, headerSimilarity, normalizeHost, requestKey, targetsRelated, type NamesClient,
} from './http-match.js';
import type { Leg, PairingEvidence } from './model.js';
import { EPS, inOrderResponses, order, requestReady, responseTo, splitEndpoint, synTime } from './leg-util.js';

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
  attempts: readonly Leg[];
  /** Shared between pairings (read-only). */
  evidence: readonly PairingEvidence[];
  confidence: number;
}

interface CReq {
  leg: Leg;
  req: HttpRequest;
  resp: HttpResponse | null;
  /** resp when it is final (not interim), else null. */
  final: HttpResponse | null;
  /** The final response's status and first byte time (-1 and NaN without one): read in every window. */
  status: number;
  finalTs: number;
  ready: number;
  upper: number;
  /** synTime(leg): the second key of the order client requests are taken in. */
  syn: number;
  /** The leg's end: how late a competing server request may come for the pair to be ambiguous. */
  legEnd: number;
  /** Lower-case addresses the forwarding headers may name: the peer, and a PROXY header's source. */
  addresses: string[];
  endpoints: string[];
  /** requestKey(req), and req.method. */
  key: string;
  method: string;
  /** Header facts memo of (head, addresses); null without a head text. */
  profile: Profile | null;
  /** Content-Encoding of the final response, read on first need (null: not yet). */
  enc: string | undefined | null;
  /** Its signature id (what scoreOf reads of it but the timing and endpoints), -1: none. */
  sig: number;
  match: SReq | null;
  /** The matched candidate's slot while its pass runs; its FIT_* bits after. */
  slot: number;
  fit: number;
  /** This pass's candidate list (-1: none). */
  rank: number;
}

interface SReq {
  leg: Leg;
  req: HttpRequest;
  resp: HttpResponse | null;
  final: HttpResponse | null;
  status: number;
  finalTs: number;
  t: number;
  /** The leg's SYN when this is its first request (the connection was opened for it), else Infinity. */
  firstSyn: number;
  /** synTime(leg); and the same when this is its first request, else NaN (compares false). */
  syn: number;
  opened: number;
  /** The source a PROXY header of the server leg names (command PROXY), else null. */
  ppSource: string | null;
  /** requestKey(req), and req.method. */
  key: string;
  method: string;
  /** The head text's id in the header facts memo (-1: no head text). */
  headId: number;
  enc: string | undefined | null;
  /** Its signature id (what scoreOf reads of it but the timing and PROXY source), -1: none. */
  sig: number;
  /** Its place in this call's sorted list (what candidate slots hold). */
  idx: number;
  owner: CReq | null;
  /** Stamp of the last augmenting search that visited it. */
  visit: number;
}

/** What a pairing rests on, as bits (a candidate's, then its client request's). */
const FIT_FWD = 1;
const FIT_PP = 2;
const FIT_RESP = 4;
const FIT_BODY = 8;
const FIT_AMBIGUOUS = 16;
const FIT_RELAXED = 32;

/** `taken`: server requests already paired (by an earlier window of the streaming engine): not offered again. */
export function pairHttp(clientLegs: readonly Leg[], serverLegs: readonly Leg[], pool: AttemptPool, taken?: ReadonlySet<HttpRequest>): HttpPairing[] {
  startFactCall();
  const creqs: CReq[] = [];
  for (const leg of clientLegs) clientRequests(leg, creqs);
  creqs.sort((a, b) => order(a.ready, b.ready) || order(a.syn, b.syn) || a.req.index - b.req.index);

  const sreqs: SReq[] = [];
  for (const leg of serverLegs) serverRequests(leg, taken, sreqs);
  sreqs.sort((a, b) => order(a.t, b.t));
  fillServerScratch(sreqs);
  const byKey = groupSorted(sreqs, (s) => s.key);
  // Pass 2 only for what pass 1 left over: often nothing.
  let byMethod: Map<string, number[]> | null = null;

  const pass = new Pass(creqs, sreqs);
  pass.run((c) => byKey.get(c.key), false);
  pass.run((c) => (byMethod ??= groupSorted(sreqs, (s) => s.method)).get(c.method), true);
  trimScratch();

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
    } else if (s.opened > c.ready) {
      anchor = { kind: 'syn', t: s.opened };
    } else {
      look = false;
    }
    const attempts = look ? pool.claim(c.ready, anchor) : NO_ATTEMPTS;
    out.push({
      client: c.leg, request: c.req, response: c.resp,
      server: s?.leg ?? null, serverRequest: s?.req ?? null, serverResponse: s?.resp ?? null,
      attempts,
      evidence: s !== null ? evidenceOf(c, s) : attempts.length > 0 ? TIMING_ONLY : NO_EVIDENCE,
      confidence: s !== null ? confidenceOf(c.fit) : attempts.length > 0 ? 0.4 : 0,
    });
  }
  return out;
}

/** Appends the requests of a client leg to `out`. */
function clientRequests(leg: Leg, out: CReq[]): void {
  const ppSource = leg.proxyProtocol?.source ?? null;
  const endpoints = ppSource !== null ? [leg.client, ppSource] : [leg.client];
  const addresses = endpoints.map((e) => splitEndpoint(e).address.toLowerCase());
  // With the head text, what the header facts depend on.
  const addressKey = addresses.join(',');
  const inOrder = inOrderResponses(leg);
  for (const req of leg.http?.requests ?? []) {
    const resp = inOrder !== null ? inOrder[req.index] ?? null : responseTo(leg, req);
    const final = resp !== null && !resp.interim ? resp : null;
    const head = headText(req);
    const c: CReq = {
      leg, req, resp, final, status: final?.status ?? -1, finalTs: final?.firstByteTs ?? NaN, ready: requestReady(req), syn: synTime(leg), legEnd: leg.end, addresses, endpoints,
      key: requestKey(req), method: req.method, profile: null, enc: null, sig: -1,
      match: null, slot: -1, fit: 0, rank: -1,
      upper: final !== null ? final.firstByteTs + SKEW : leg.end + QUEUE_SLACK,
    };
    if (head !== undefined) {
      const p = (c.profile = profileOf(head, addressKey));
      c.sig = clientSigOf(p.id, c);
    }
    out.push(c);
  }
}

/** Appends the requests of a server leg not taken yet to `out`. */
function serverRequests(leg: Leg, taken: ReadonlySet<HttpRequest> | undefined, out: SReq[]): void {
  const pp = leg.proxyProtocol;
  const ppSource = pp !== null && pp.command === 'PROXY' && pp.source !== null ? pp.source : null;
  const inOrder = inOrderResponses(leg);
  for (const req of leg.http?.requests ?? []) {
    if (taken !== undefined && taken.has(req)) continue;
    const resp = inOrder !== null ? inOrder[req.index] ?? null : responseTo(leg, req);
    const final = resp !== null && !resp.interim ? resp : null;
    const head = headText(req);
    const s: SReq = {
      leg, req, resp, final, status: final?.status ?? -1, finalTs: final?.firstByteTs ?? NaN, t: req.firstByteTs,
      firstSyn: req.index === 0 && leg.synTs !== null ? leg.synTs : Infinity,
      syn: synTime(leg), opened: req.index === 0 ? synTime(leg) : NaN, ppSource, key: requestKey(req), method: req.method,
      headId: head !== undefined ? headIdOf(head) : -1, enc: null, sig: -1, idx: 0, owner: null, visit: 0,
    };
    if (s.headId >= 0) s.sig = serverSigOf(s);
    out.push(s);
  }
}

/**
 * Candidate pairs of one matching pass, as parallel arrays rather than objects (there are
 * millions under load): list `r` (one client request's few best candidates, best first) takes
 * slots r*MAX_COMPATIBLE onwards, so a slot's number orders candidates as list order does.
 * Reused from pass to pass (grown when needed).
 */
let slotS = new Int32Array(0);
let slotTier = new Float64Array(0);
let slotCost = new Float64Array(0);
let slotT = new Float64Array(0);
let slotFit = new Uint8Array(0);
let listLen = new Uint8Array(0);
let listC = new Int32Array(0);
/** Per list: its client request's ready time (the third key of the preference order). */
let listReady = new Float64Array(0);
let heapSlots = new Int32Array(0);
/** Per list: its client request's match (a server request's idx), -1: none. */
let listMatch = new Int32Array(0);
/** Per list: its client request's final response time, and whether it has one (uncross reads them). */
let listFinalTs = new Float64Array(0);
let listAnswered = new Uint8Array(0);
/**
 * Per server request of the call (by idx, its place in time order), what the window scan reads
 * of every one it passes: in arrays rather than the scattered records. sOwned: owner !== null.
 */
let sOwned = new Uint8Array(0);
let sT = new Float64Array(0);
let sStatus = new Float64Array(0);
let sFinalTs = new Float64Array(0);
let sFirstSyn = new Float64Array(0);
let sSig = new Int32Array(0);
/** The list of its owner in this pass, -1: none (or an owner of an earlier pass). */
let sOwnerList = new Int32Array(0);
/** S_FINAL: it has a final response; S_PP: its leg has a PROXY header naming a source. */
let sFlags = new Uint8Array(0);
const S_FINAL = 1;
const S_PP = 2;
/** Scratch beyond this many lists is let go after the call: a huge batch does not pin it. */
const KEEP_LISTS = 1 << 16;
let visitStamp = 0;

function ensureScratch(lists: number): void {
  if (listLen.length >= lists) return;
  allocScratch(Math.max(lists, 2 * listLen.length, 1024));
}

function allocScratch(n: number): void {
  const slots = n * MAX_COMPATIBLE;
  slotS = new Int32Array(slots);
  slotTier = new Float64Array(slots);
  slotCost = new Float64Array(slots);
  slotT = new Float64Array(slots);
  slotFit = new Uint8Array(slots);
  listLen = new Uint8Array(n);
  listC = new Int32Array(n);
  listReady = new Float64Array(n);
  heapSlots = new Int32Array(n);
  listMatch = new Int32Array(n);
  listFinalTs = new Float64Array(n);
  listAnswered = new Uint8Array(n);
}

function trimScratch(): void {
  if (listLen.length > KEEP_LISTS) allocScratch(0);
  if (sOwned.length > KEEP_LISTS * MAX_COMPATIBLE) allocServerScratch(0);
}

function allocServerScratch(n: number): void {
  sOwned = new Uint8Array(n);
  sT = new Float64Array(n);
  sStatus = new Float64Array(n);
  sFinalTs = new Float64Array(n);
  sFirstSyn = new Float64Array(n);
  sSig = new Int32Array(n);
  sOwnerList = new Int32Array(n);
  sFlags = new Uint8Array(n);
}

/** Numbers the server requests (sorted) and copies what the scan reads into the arrays. */
function fillServerScratch(sreqs: readonly SReq[]): void {
  const n = sreqs.length;
  if (sOwned.length < n) allocServerScratch(Math.max(n, 2 * sOwned.length));
  for (let i = 0; i < n; i++) {
    const s = sreqs[i]!;
    s.idx = i;
    sOwned[i] = 0;
    sT[i] = s.t;
    sStatus[i] = s.status;
    sFinalTs[i] = s.finalTs;
    sFirstSyn[i] = s.firstSyn;
    sSig[i] = s.sig;
    sFlags[i] = (s.final !== null ? S_FINAL : 0) | (s.ppSource !== null ? S_PP : 0);
  }
}

class Pass {
  private readonly creqs: readonly CReq[];
  private readonly sreqs: readonly SReq[];
  private relaxed = false;
  /** Lists of this pass. */
  private lists = 0;

  constructor(creqs: readonly CReq[], sreqs: readonly SReq[]) {
    this.creqs = creqs;
    this.sreqs = sreqs;
  }

  /**
   * One matching pass: every compatible (client request, free server request) pair in each client
   * request's window, then taken best first — higher score tier, then lower cost (forwarding plus
   * relaying delay), then FIFO; then augmenting paths for those left without a counterpart.
   */
  run(listOf: (c: CReq) => number[] | undefined, relaxed: boolean): void {
    this.relaxed = relaxed;
    const creqs = this.creqs;
    ensureScratch(creqs.length);
    sOwnerList.fill(-1, 0, this.sreqs.length);
    let lists = 0;
    for (let ci = 0; ci < creqs.length; ci++) {
      const c = creqs[ci]!;
      c.rank = -1;
      if (c.match !== null) continue;
      const list = listOf(c);
      if (list === undefined) continue;
      if (this.scan(c, list, lists)) {
        c.rank = lists;
        listMatch[lists] = -1;
        listFinalTs[lists] = c.finalTs;
        listAnswered[lists] = c.final !== null ? 1 : 0;
        listReady[lists] = c.ready;
        listC[lists++] = ci;
      }
    }
    this.lists = lists;
    this.greedy();
    // Concurrent identical requests: a greedy choice can leave one without a counterpart that a
    // short chain of reassignments frees (an augmenting path, as in bipartite matching).
    for (let r = 0; r < lists; r++) {
      const c = creqs[listC[r]!]!;
      if (c.match !== null) continue;
      visitStamp++;
      if (this.augment(c, AUGMENT_DEPTH)) {
        for (let k = r * MAX_COMPATIBLE, end = k + listLen[r]!; k < end; k++) slotFit[k]! |= FIT_AMBIGUOUS;
      }
    }
    this.uncross();
    // Candidates do not outlive the pass: what the matched ones rest on goes to their requests.
    const extra = relaxed ? FIT_RELAXED : 0;
    for (let r = 0; r < lists; r++) {
      const c = creqs[listC[r]!]!;
      if (c.match !== null) c.fit = slotFit[c.slot]! | extra;
    }
  }

  /**
   * Fills list `r` with the likeliest few candidates of c, best first: kept sorted as they come
   * (a stable insertion, as a stable sort of all of them would order them). False when none.
   */
  private scan(c: CReq, list: readonly number[], r: number): boolean {
    const base = r * MAX_COMPATIBLE;
    let len = 0;
    const answered = c.final !== null;
    const ready = c.ready;
    const lowest = ready - SKEW;
    const upper = c.upper;
    const status = c.status;
    const finalTs = c.finalTs;
    const cs = c.sig;
    for (let i = lowerBound(list, lowest), n = 0; i < list.length && n < SCAN_LIMIT; i++, n++) {
      const x = list[i]!;
      const t = sT[x]!;
      if (t > upper) break;
      if (sOwned[x] !== 0) continue;
      // The cheapest exclusions, inline: different answers, or the client's came first.
      const hasFinal = (sFlags[x]! & S_FINAL) !== 0;
      if (answered && hasFinal && (status !== sStatus[x] || finalTs < sFinalTs[x]! - SKEW)) continue;
      // A connection's first request is the one the proxy opened it for: ready before its SYN.
      if (sFirstSyn[x]! < lowest) continue;
      const ss = sSig[x]!;
      let fit: number;
      if (cs >= 0 && ss >= 0 && (sFlags[x]! & S_PP) === 0 && !this.relaxed) {
        // What the two requests' signatures say, worked out once per pair of signatures.
        fit = this.sigFitOf(c, x, cs, ss);
        if (fit < 0) continue;
      } else {
        fit = this.scoreOf(c, this.sreqs[x]!);
        if (fit < 0) continue;
      }
      const score = fitScore[0]!;
      const tier = Math.round(score * 10);
      const cost = costAt(c, x, hasFinal);
      // Most compatible pairs rank below a full list: they are dropped at once.
      if (len >= MAX_COMPATIBLE) {
        const last = base + MAX_COMPATIBLE - 1;
        if ((tier - slotTier[last]! || slotCost[last]! - cost || ready - ready || slotT[last]! - t) <= 0) continue;
      }
      // After its equals (preference(list[i - 1], k) > 0 moves it up).
      let i2 = len;
      while (i2 > 0) {
        const a = base + i2 - 1;
        if (!((tier - slotTier[a]! || slotCost[a]! - cost || ready - ready || slotT[a]! - t) > 0)) break;
        i2--;
      }
      if (i2 >= MAX_COMPATIBLE) continue;
      const top = Math.min(len, MAX_COMPATIBLE - 1);
      for (let j = top; j > i2; j--) {
        const to = base + j;
        slotS[to] = slotS[to - 1]!;
        slotTier[to] = slotTier[to - 1]!;
        slotCost[to] = slotCost[to - 1]!;
        slotT[to] = slotT[to - 1]!;
        slotFit[to] = slotFit[to - 1]!;
      }
      const at = base + i2;
      slotS[at] = x;
      slotTier[at] = tier;
      slotCost[at] = cost;
      slotT[at] = t;
      slotFit[at] = fit;
      if (len < MAX_COMPATIBLE) len++;
    }
    listLen[r] = len;
    return len > 0;
  }

  /**
   * Best first over all candidates — preference, then list order — assigning when both sides
   * are free. Each list is sorted, so only each list's best remaining candidate needs to be in
   * the heap: a candidate skipped because its server request was taken yields its successor.
   */
  private greedy(): void {
    const creqs = this.creqs;
    const sreqs = this.sreqs;
    let size = 0;
    for (let r = 0; r < this.lists; r++) size = heapPush(size, r * MAX_COMPATIBLE);
    while (size > 0) {
      const k = heapSlots[0]!;
      size = heapPop(size);
      const r = (k / MAX_COMPATIBLE) | 0;
      // A list has one candidate in the heap at a time and none once its request is matched:
      // only the server request can be taken (read from the flags, not the scattered records).
      if (sOwned[slotS[k]!] !== 0) {
        if (k + 1 < r * MAX_COMPATIBLE + listLen[r]!) size = heapPush(size, k + 1);
        continue;
      }
      const c = creqs[listC[r]!]!;
      const s = sreqs[slotS[k]!]!;
      // Another candidate as good and as prompt, within the client's connection: a guess.
      const tier = slotTier[k]!;
      const near = slotCost[k]! + 0.001;
      const late = c.legEnd + EPS;
      let ambiguous = false;
      for (let x = r * MAX_COMPATIBLE, end = x + listLen[r]!; x < end; x++) {
        if (x !== k && slotTier[x] === tier && slotCost[x]! < near && slotT[x]! <= late) {
          ambiguous = true;
          break;
        }
      }
      if (ambiguous) slotFit[k]! |= FIT_AMBIGUOUS;
      else slotFit[k]! &= ~FIT_AMBIGUOUS;
      assign(c, s, k);
    }
  }

  private augment(c: CReq, depth: number): boolean {
    const r = c.rank;
    if (r < 0) return false;
    for (let k = r * MAX_COMPATIBLE, end = k + listLen[r]!; k < end; k++) {
      const s = this.sreqs[slotS[k]!]!;
      if (s.visit === visitStamp) continue;
      s.visit = visitStamp;
      const other = s.owner;
      if (other === null || (depth > 0 && other.rank >= 0 && this.augment(other, depth - 1))) {
        assign(c, s, k);
        return true;
      }
    }
    return false;
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
  private uncross(): void {
    const creqs = this.creqs;
    const sreqs = this.sreqs;
    // Lists by rank, taken from the end.
    const work: number[] = [];
    for (let r = 0; r < this.lists; r++) work.push(r);
    let budget = 4 * this.lists;
    // (Read from the arrays: most lists hold only candidates of another tier or nothing to swap.)
    for (let r = work.pop(); r !== undefined && budget > 0; r = work.pop()) {
      const len = listLen[r]!;
      const si = listMatch[r]!;
      if (si < 0 || len < 2) continue;
      const base = r * MAX_COMPATIBLE;
      const cur = slotOf(r, si);
      if (cur < 0) continue;
      const tier = slotTier[cur]!;
      for (let k = base; k < base + len; k++) {
        if (k === cur || slotTier[k] !== tier) continue;
        const ki = slotS[k]!;
        const o = sOwnerList[ki]!;
        if (o < 0 || o === r) continue;
        // Fewer impossibilities first (forwarded before it came, relayed before it came back),
        // then more even delays (tested first: it rules out most swaps without reading o's list).
        const before = backwardsAt(r, si) + backwardsAt(o, ki);
        const after = backwardsAt(r, ki) + backwardsAt(o, si);
        if (after > before - BACKWARDS_MARGIN && (after > before + BACKWARDS_MARGIN || spreadAt(r, ki) + spreadAt(o, si) >= spreadAt(r, si) + spreadAt(o, ki) - UNCROSS_MARGIN)) continue;
        // Their candidates for what each has now (the first such, as a search from the top finds).
        let cur2 = -1;
        let alt2 = -1;
        for (let x = o * MAX_COMPATIBLE, end = x + listLen[o]!; x < end; x++) {
          const xs = slotS[x]!;
          if (cur2 < 0 && xs === ki) cur2 = x;
          else if (alt2 < 0 && xs === si) alt2 = x;
        }
        if (cur2 < 0 || alt2 < 0 || slotTier[cur2] !== tier || slotTier[alt2] !== tier) continue;
        const c = creqs[listC[r]!]!;
        const other = creqs[listC[o]!]!;
        assign(c, sreqs[ki]!, k);
        assign(other, sreqs[si]!, alt2);
        slotFit[k]! |= FIT_AMBIGUOUS;
        slotFit[alt2]! |= FIT_AMBIGUOUS;
        work.push(r, o);
        budget--;
        break;
      }
    }
  }

  /**
   * scoreOf for a server request (by idx) without a PROXY source, outside pass 2, whose first
   * SYN test passed: the rest depends on the two signatures only, so it is memoised by them.
   */
  private sigFitOf(c: CReq, x: number, cs: number, ss: number): number {
    const key = cs * MAX_SIGS + ss;
    // A direct-mapped cache in front of the map: a window sees few pairs of signatures.
    const h = (ss ^ Math.imul(cs, 0x9e3779b1)) & (SIG_CACHE - 1);
    let at = sigCacheKey[h] === key ? sigCacheSlot[h] : sigPairs.get(key);
    if (at !== undefined) {
      sigCacheKey[h] = key;
      sigCacheSlot[h] = at;
      fitScore[0] = sigPairScore[at]!;
      return sigPairFit[at]!;
    }
    const fit = this.scoreOf(c, this.sreqs[x]!);
    if (sigPairs.size < MAX_SIG_PAIRS) {
      at = sigPairs.size;
      sigPairs.set(key, at);
      sigPairFit[at] = fit;
      sigPairScore[at] = fit < 0 ? 0 : fitScore[0]!;
    }
    return fit;
  }

  /**
   * Compatibility of a client request with a server request of its window (scan: sent within
   * [ready - SKEW, upper], answers of one status in order): its FIT_* bits (its score in
   * `fitScore[0]`), -1 when excluded.
   */
  private scoreOf(c: CReq, s: SReq): number {
    // Cheapest tests first: this runs for every request in every window.
    if (s.method !== c.method) return -1;
    // A connection's first request is the one the proxy opened it for: ready before its SYN.
    if (s.firstSyn < c.ready - SKEW) return -1;
    let respMatch = false;
    const cr = c.final;
    const sr = s.final;
    if (cr !== null && sr !== null) {
      const rb = compareBodies(sr, cr);
      // Another body is another response, unless the proxy compressed it.
      if (rb === 'changed' && encodingOf(s, sr) === encodingOf(c, cr)) return -1;
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
    if (this.relaxed) {
      if (!targetsRelated(c.req.target, s.req.target)) return -1;
      if (normalizeHost(c.req) !== null && normalizeHost(s.req) === null) return -1;
    }
    if (hf.total >= 3 && hf.common / hf.total < 0.34) return -1;
    const bodyMatch = (body === 'same' || body === 'reframed') && c.req.body.length > 0;
    fitScore[0] = (hf.total > 0 ? hf.common / hf.total : 1) + (fwd === 'yes' ? 1 : 0) + (ppNamed ? 2 : 0)
      + (respMatch ? 0.5 : 0) + (bodyMatch ? 0.5 : 0);
    return (fwd === 'yes' ? FIT_FWD : 0) | (ppNamed ? FIT_PP : 0) | (respMatch ? FIT_RESP : 0) | (bodyMatch ? FIT_BODY : 0);
  }
}

/** The score scoreOf found (a typed slot: a number variable would box every score). */
const fitScore = new Float64Array(1);

/** The slot of list r that holds server request `idx`, or -1. */
function slotOf(r: number, idx: number): number {
  for (let k = r * MAX_COMPATIBLE, end = k + listLen[r]!; k < end; k++) if (slotS[k] === idx) return k;
  return -1;
}

/** Content-Encoding of a request's final response, read once. */
function encodingOf(x: CReq | SReq, final: HttpResponse): string | undefined {
  if (x.enc === null) x.enc = headerValue(final.headers, 'content-encoding');
  return x.enc;
}

/** Whether candidate slot x comes before slot y: preference order, then list order (the slot numbers). */
function slotLess(x: number, y: number): boolean {
  const p = slotTier[y]! - slotTier[x]! || slotCost[x]! - slotCost[y]! || listReady[(x / MAX_COMPATIBLE) | 0]! - listReady[(y / MAX_COMPATIBLE) | 0]! || slotT[x]! - slotT[y]!;
  return p !== 0 ? p < 0 : x < y;
}

function heapPush(size: number, k: number): number {
  const a = heapSlots;
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!slotLess(k, a[parent]!)) break;
    a[i] = a[parent]!;
    i = parent;
  }
  a[i] = k;
  return size + 1;
}

/** Removes the top (a[0]); returns the new size. */
function heapPop(size: number): number {
  const a = heapSlots;
  const n = size - 1;
  if (n <= 0) return 0;
  const last = a[n]!;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const m = r < n && slotLess(a[r]!, a[l]!) ? r : l;
    if (!slotLess(a[m]!, last)) break;
    a[i] = a[m]!;
    i = m;
  }
  a[i] = last;
  return n;
}

/**
 * How far a pair (list r's client request, server request x) has the proxy act before it could (seconds): forward the request before the
 * client had sent it, or relay the answer before the server's came. Only timestamp skew allows
 * it (SKEW), so of two ways to pair the one with less of it is the likelier.
 */
function backwardsAt(r: number, x: number): number {
  const relay = listAnswered[r] !== 0 && (sFlags[x]! & S_FINAL) !== 0 ? listFinalTs[r]! - sFinalTs[x]! : 0;
  return Math.max(0, listReady[r]! - sT[x]!) + Math.max(0, -relay);
}

/** Squared forward and relay delays of a pair (list r's client request, server request x) (seconds²). */
function spreadAt(r: number, x: number): number {
  const forward = sT[x]! - listReady[r]!;
  const relay = listAnswered[r] !== 0 && (sFlags[x]! & S_FINAL) !== 0 ? listFinalTs[r]! - sFinalTs[x]! : 0;
  return forward * forward + relay * relay;
}

/** The cost of pairing c with server request x (by idx; hasFinal: it has a final response). */
function costAt(c: CReq, x: number, hasFinal: boolean): number {
  const forward = sT[x]! - c.ready; // negative only by timestamp skew
  const relay = c.final !== null && hasFinal ? c.finalTs - sFinalTs[x]! : 0;
  // Backward time (skew, or the wrong pair) weighs more than delay: a proxy waits, it never anticipates.
  return Math.abs(forward) + Math.abs(relay) + BACKWARD_WEIGHT * (Math.max(0, -forward) + Math.max(0, -relay));
}

/** (c has a list in this pass: its rank.) */
function assign(c: CReq, s: SReq, slot: number): void {
  c.match = s;
  c.slot = slot;
  s.owner = c;
  sOwned[s.idx] = 1;
  sOwnerList[s.idx] = c.rank;
  listMatch[c.rank] = s.idx;
}

interface HeaderFacts {
  /** headerSimilarity of the two header lists. */
  common: number;
  total: number;
  /** forwardingNamesClient for the client's addresses. */
  fwd: NamesClient;
}

/** A client (head text, addresses) pair's header facts against each server head text, by its id. */
interface Profile {
  /** Its number (for signatures). */
  id: number;
  facts: Map<number, HeaderFacts>;
}

/**
 * What the header lists say about a pair depends on the two header blocks only (and the client's
 * addresses), and under load the same few blocks come again and again: memoised per client
 * profile and server block id. Bounded: when full it starts over, at the start of a call only,
 * so that ids never change while a call runs.
 */
const MAX_FACT_IDS = 1 << 14;
const MAX_FACTS = 1 << 16;
let headIds = new Map<string, number>();
let profiles = new Map<string, Map<string, Profile>>();
let profileCount = 0;
let factCount = 0;

function startFactCall(): void {
  if (headIds.size < MAX_FACT_IDS && profileCount < MAX_FACT_IDS && factCount < MAX_FACTS
    && clientSigs.size < MAX_SIGS && serverSigs.size < MAX_SIGS && sigPairs.size < MAX_SIG_PAIRS && encodings.size < MAX_ENCODINGS) return;
  headIds = new Map();
  profiles = new Map();
  profileCount = 0;
  factCount = 0;
  clientSigs = new SigTable();
  serverSigs = new SigTable();
  encodings = new Map();
  encodingByHead = new Map();
  sigPairs = new Map();
  sigCacheKey.fill(-1);
}

/**
 * Signatures: everything scoreOf reads of a request but its timing and a PROXY source — its
 * header block (method, target, headers; with the client's addresses for a client request),
 * what compareBodies reads of its body and of its final response's, and that response's
 * Content-Encoding. Two requests with the same signature score alike against any other, so the
 * outcome (an exclusion, mostly: another backend's body, forwarding headers naming another
 * client) is worked out once per pair of signatures. A signature is a few numbers (no text is
 * built or hashed per request); a request without one (no head text, a chunked or oddly hashed
 * body) is scored in full. Numbered per side; bounded as the facts.
 */
const MAX_SIGS = 1 << 15;
const MAX_SIG_PAIRS = 1 << 17;
const MAX_ENCODINGS = 256;
/** Numbers in a signature: block id, request body (code, length, hash), final response (code, length, hash, encoding). */
const SIG_WIDTH = 8;

/** Signatures of one side: open addressing over their numbers. */
class SigTable {
  size = 0;
  private keys = new Float64Array(64 * SIG_WIDTH);
  private index = new Int32Array(128).fill(-1);

  /** The id of the signature in `sigKey`, -1 once the ids ran out (until the next reset). */
  idOf(): number {
    const k = sigKey;
    let h = 0;
    for (let i = 0; i < SIG_WIDTH; i++) h = Math.imul(h ^ (k[i]! | 0), 0x9e3779b1) ^ (h >>> 15);
    const mask = this.index.length - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const id = this.index[at]!;
      if (id < 0) break;
      if (this.equals(id)) return id;
    }
    if (this.size >= MAX_SIGS) return -1;
    const id = this.size++;
    if (this.keys.length < this.size * SIG_WIDTH) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys.set(k, id * SIG_WIDTH);
    if (this.size * 2 > this.index.length) this.rehash(this.index.length * 2);
    else this.insert(id, h);
    return id;
  }

  private equals(id: number): boolean {
    const base = id * SIG_WIDTH;
    for (let i = 0; i < SIG_WIDTH; i++) if (this.keys[base + i] !== sigKey[i]) return false;
    return true;
  }

  private insert(id: number, h: number): void {
    const mask = this.index.length - 1;
    let at = h & mask;
    while (this.index[at]! >= 0) at = (at + 1) & mask;
    this.index[at] = id;
  }

  private rehash(n: number): void {
    this.index = new Int32Array(n).fill(-1);
    for (let id = 0; id < this.size; id++) {
      let h = 0;
      for (let i = 0; i < SIG_WIDTH; i++) h = Math.imul(h ^ (this.keys[id * SIG_WIDTH + i]! | 0), 0x9e3779b1) ^ (h >>> 15);
      this.insert(id, h);
    }
  }
}

/** The signature being looked up. */
const sigKey = new Float64Array(SIG_WIDTH);
let clientSigs = new SigTable();
let serverSigs = new SigTable();
/** Content-Encoding values (of final responses) by number, and by response header block. */
let encodings = new Map<string, number>();
let encodingByHead = new Map<string, number>();
/** Pair of signatures (client * MAX_SIGS + server) → its slot in the two arrays. */
let sigPairs = new Map<number, number>();
const sigPairFit = new Int8Array(MAX_SIG_PAIRS);
const SIG_CACHE = 1024;
/** Pair of signatures → slot, for the last pair seen at each place (-1: none). */
const sigCacheKey = new Int32Array(SIG_CACHE).fill(-1);
const sigCacheSlot = new Int32Array(SIG_CACHE);
const sigPairScore = new Float64Array(MAX_SIG_PAIRS);

function clientSigOf(profileId: number, c: CReq): number {
  return sigOf(clientSigs, profileId, c, c.final);
}

function serverSigOf(s: SReq): number {
  return sigOf(serverSigs, s.headId, s, s.final);
}

function sigOf(table: SigTable, block: number, x: CReq | SReq, final: HttpResponse | null): number {
  sigKey[0] = block;
  if (!bodySig(x.req, 1)) return -1;
  if (final === null) {
    sigKey[4] = -1;
    sigKey[5] = sigKey[6] = sigKey[7] = 0;
  } else {
    if (!bodySig(final, 4)) return -1;
    const enc = encodingId(x, final);
    if (enc < -1) return -1;
    sigKey[7] = enc;
  }
  return table.idOf();
}

const FRAMINGS = ['none', 'content-length', 'chunked', 'close', 'tunnel'];

/**
 * What compareBodies reads of a message, as three numbers of sigKey from `at`: false when they
 * cannot say it (chunk sizes, a hash that is not 8 hex digits).
 */
function bodySig(m: HttpMessage, at: number): boolean {
  if (m.damaged) {
    sigKey[at] = -2;
    sigKey[at + 1] = sigKey[at + 2] = 0;
    return true;
  }
  const b = m.body;
  const framing = FRAMINGS.indexOf(b.framing);
  const hash = hex8(b.hash);
  if (framing < 0 || b.framing === 'chunked' || hash < 0) return false;
  sigKey[at] = framing * 2 + (m.complete ? 1 : 0);
  sigKey[at + 1] = b.length;
  sigKey[at + 2] = hash;
  return true;
}

/** An 8-hex-digit string's value, -1 for anything else. */
function hex8(h: string): number {
  if (h.length !== 8) return -1;
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const ch = h.charCodeAt(i);
    const d = ch >= 48 && ch <= 57 ? ch - 48 : ch >= 97 && ch <= 102 ? ch - 87 : ch >= 65 && ch <= 70 ? ch - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * The number of a final response's Content-Encoding (-1: none), read once per response header
 * block; -2 when there is no block or too many values.
 */
function encodingId(x: CReq | SReq, final: HttpResponse): number {
  const head = headText(final);
  if (head === undefined) return -2;
  let id = encodingByHead.get(head);
  if (id === undefined) {
    const enc = encodingOf(x, final);
    if (enc === undefined) id = -1;
    else {
      id = encodings.get(enc);
      if (id === undefined) {
        if (encodings.size >= MAX_ENCODINGS) return -2;
        encodings.set(enc, (id = encodings.size));
      }
    }
    if (encodingByHead.size >= MAX_FACT_IDS) encodingByHead = new Map();
    encodingByHead.set(head, id);
  }
  return id;
}

function headIdOf(head: string): number {
  let id = headIds.get(head);
  if (id === undefined) headIds.set(head, (id = headIds.size));
  return id;
}

function profileOf(head: string, addressKey: string): Profile {
  let byHead = profiles.get(addressKey);
  if (byHead === undefined) profiles.set(addressKey, (byHead = new Map()));
  let p = byHead.get(head);
  if (p === undefined) {
    byHead.set(head, (p = { id: profileCount++, facts: new Map() }));
  }
  return p;
}

function headerFacts(c: CReq, s: SReq): HeaderFacts {
  const p = c.profile;
  if (p === null || s.headId < 0) return factsOf(c, s);
  let f = p.facts.get(s.headId);
  if (f === undefined) {
    p.facts.set(s.headId, (f = factsOf(c, s)));
    factCount++;
  }
  return f;
}

function factsOf(c: CReq, s: SReq): HeaderFacts {
  const sim = headerSimilarity(c.req.headers, s.req.headers);
  return { common: sim.common, total: sim.total, fwd: forwardingNamesClient(s.req, c.req, c.addresses) };
}

/** Every pairing's evidence is one of a few lists: shared, not built per request. */
const NO_ATTEMPTS: readonly Leg[] = Object.freeze([]);
const NO_EVIDENCE: readonly PairingEvidence[] = Object.freeze([]);
const TIMING_ONLY: readonly PairingEvidence[] = Object.freeze(['timing']);
/** By bits: 1 forwarded-for, 2 proxy-protocol, 4 timing. */
const MATCHED_EVIDENCE: readonly (readonly PairingEvidence[])[] = Array.from({ length: 8 }, (_, bits) => {
  const ev: PairingEvidence[] = ['request'];
  if ((bits & 1) !== 0) ev.push('forwarded-for');
  if ((bits & 2) !== 0) ev.push('proxy-protocol');
  if ((bits & 4) !== 0) ev.push('timing');
  return Object.freeze(ev);
});

function evidenceOf(c: CReq, s: SReq): readonly PairingEvidence[] {
  const f = c.fit;
  const opened = s.syn;
  const timing = opened >= c.syn - EPS && opened <= c.legEnd + EPS;
  return MATCHED_EVIDENCE[((f & FIT_FWD) !== 0 ? 1 : 0) | ((f & FIT_PP) !== 0 ? 2 : 0) | (timing ? 4 : 0)]!;
}

function confidenceOf(f: number): number {
  if ((f & FIT_PP) !== 0) return 1;
  let v = (f & FIT_RELAXED) !== 0 ? 0.45 : 0.7;
  if ((f & FIT_FWD) !== 0) v += 0.15;
  if ((f & FIT_RESP) !== 0) v += 0.1;
  if ((f & FIT_BODY) !== 0) v += 0.05;
  if ((f & FIT_AMBIGUOUS) !== 0) v -= 0.15;
  return Math.round(Math.min(1, Math.max(0.1, v)) * 100) / 100;
}

/** Server requests (by idx, so in time order) grouped by a key. */
function groupSorted(list: readonly SReq[], key: (s: SReq) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const s of list) {
    const k = key(s);
    const g = m.get(k);
    if (g) g.push(s.idx);
    else m.set(k, [s.idx]);
  }
  return m;
}

/** The first place in a group whose server request was sent at or after t. */
function lowerBound(list: readonly number[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sT[list[mid]!]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
