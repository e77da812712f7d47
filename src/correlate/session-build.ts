/**
 * Assembles Sessions from pairings: the server legs a client leg used (in connect order), one
 * Exchange per client request with its timings and rewrites, and the forwarding ledger.
 * `haproxy` and `drops` are left for the verdict stage.
 */
import type { HttpResponse } from '../app/http/index.js';
import type { HttpPairing } from './pair-http.js';
import type { TcpPairing } from './pair-tcp.js';
import { exchangeLedger, tcpLedger, type LedgerDetail } from './ledger.js';
import type { Exchange, LedgerEntry, Leg, PairingEvidence, ProxyMode, ServerLegRef, Session } from './model.js';
import { compareMessages } from './rewrites.js';
import { synTime } from './leg-util.js';

/** Server legs used by more than one session: their bytes are counted per message, not whole. */
export interface SharedLegs {
  has(leg: Leg): boolean;
}

interface LegUse {
  leg: Leg;
  /** In first-seen order, each once (a few at most: a list beats a Set); handed to the ref as it is. */
  evidence: PairingEvidence[];
  confidence: number;
  /** Bytes of this session's messages on the leg (for shared legs). */
  up: number;
  down: number;
  /** Its index in session.serverLegs (set by indexLegs). */
  index: number;
}

function baseSession(client: Leg, mode: ProxyMode): Session {
  return {
    id: client.id, mode, client: client.client, frontend: client.server,
    start: client.start, end: client.end,
    bytes: { clientToProxy: client.dirs[0].bytes, proxyToClient: client.dirs[1].bytes },
    serverLegs: [], exchanges: [], haproxy: null, drops: [], ledger: [],
  };
}

function legRef(u: LegUse, shared: SharedLegs): ServerLegRef {
  const l = u.leg;
  const pp = l.proxyProtocol;
  return {
    leg: l.id, source: l.client, server: l.server,
    bytes: shared.has(l) ? { proxyToServer: u.up, serverToProxy: u.down } : { proxyToServer: l.dirs[0].bytes, serverToProxy: l.dirs[1].bytes },
    proxyProtocol: pp === null ? null : { version: pp.version, source: pp.source, destination: pp.destination },
    evidence: u.evidence,
    confidence: u.confidence,
  };
}

/** Orders the used legs by connect time, gives each its index (LegUse.index), returns their refs in that order. */
function indexLegs(uses: Map<Leg, LegUse>, shared: SharedLegs): ServerLegRef[] {
  const ordered = [...uses.values()];
  if (ordered.length > 1) ordered.sort((a, b) => synTime(a.leg) - synTime(b.leg));
  const refs = new Array<ServerLegRef>(ordered.length);
  for (let i = 0; i < ordered.length; i++) {
    ordered[i]!.index = i;
    refs[i] = legRef(ordered[i]!, shared);
  }
  return refs;
}

/** The evidence of a connection attempt: its timing only. */
const TIMING: readonly PairingEvidence[] = ['timing'];

function use(uses: Map<Leg, LegUse>, leg: Leg, evidence: readonly PairingEvidence[], confidence: number): LegUse {
  let u = uses.get(leg);
  if (u === undefined) {
    u = { leg, evidence: [], confidence: 0, up: 0, down: 0, index: -1 };
    uses.set(leg, u);
  }
  for (let i = 0; i < evidence.length; i++) if (!u.evidence.includes(evidence[i]!)) u.evidence.push(evidence[i]!);
  u.confidence = Math.max(u.confidence, confidence);
  return u;
}

export function tcpSession(p: TcpPairing, shared: SharedLegs, detail: LedgerDetail = 'chunks'): Session {
  const s = baseSession(p.client, 'tcp');
  const uses = new Map<Leg, LegUse>();
  for (const a of p.attempts) use(uses, a, TIMING, 0.4);
  if (p.server !== null) use(uses, p.server, p.evidence, p.confidence);
  s.serverLegs = indexLegs(uses, shared);
  if (p.server !== null) s.ledger = tcpLedger(p.client, p.server, uses.get(p.server)!.index, detail);
  return s;
}

/**
 * The pairings each http session was built from (exchange k from pairing k), until the verdict
 * stage takes them: its views then have each exchange's messages without searching the legs for
 * them. Weak, and dropped when taken, so sessions kept by a caller do not keep their messages.
 */
const builtFrom = new WeakMap<Session, readonly HttpPairing[]>();

/** The pairings `s` was built from (once: the entry is dropped), or undefined. */
export function takePairings(s: Session): readonly HttpPairing[] | undefined {
  const p = builtFrom.get(s);
  if (p !== undefined) builtFrom.delete(s);
  return p;
}

/** One http session from the pairings of its client leg's requests (in request order). */
export function httpSession(client: Leg, pairings: readonly HttpPairing[], shared: SharedLegs, detail: LedgerDetail = 'chunks'): Session {
  const s = baseSession(client, 'http');
  const uses = new Map<Leg, LegUse>();
  for (const p of pairings) {
    for (const a of p.attempts) use(uses, a, TIMING, 0.4);
    if (p.server !== null && p.serverRequest !== null) {
      const u = use(uses, p.server, p.evidence, p.confidence);
      u.up += p.serverRequest.endOffset - p.serverRequest.offset;
      if (p.serverResponse !== null) u.down += p.serverResponse.endOffset - p.serverResponse.offset;
    }
  }
  s.serverLegs = indexLegs(uses, shared);
  const ledger: LedgerEntry[] = [];
  s.exchanges = pairings.map((p, k): Exchange => {
    const final = p.response !== null && !p.response.interim ? p.response : null;
    const relayed = p.serverResponse !== null && !p.serverResponse.interim;
    const target = p.server ?? p.attempts[p.attempts.length - 1] ?? null;
    if (p.server !== null && p.serverRequest !== null) {
      exchangeLedger(ledger, k, uses.get(p.server)!.index, client, p.request, p.response, p.server, p.serverRequest, p.serverResponse, detail);
    }
    return {
      method: p.request.method,
      target: p.request.target,
      status: final?.status ?? null,
      // Asserted as the index Map's lookup was: a leg without a forwarded request is not in `uses`.
      serverLeg: target === null ? null : (uses.get(target)?.index as number),
      answeredLocally: final !== null && !relayed,
      requestStart: p.request.firstByteTs,
      requestHeadersDone: p.request.headersCompleteTs >= 0 ? p.request.headersCompleteTs : null,
      responseEnd: p.response?.lastByteTs ?? null,
      forwardedAt: p.serverRequest?.firstByteTs ?? null,
      responseHeadersAt: headersAt(p.serverResponse),
      rewrites: {
        request: p.serverRequest !== null ? compareMessages(p.request, p.serverRequest) : null,
        response: p.serverResponse !== null && p.response !== null ? compareMessages(p.serverResponse, p.response) : null,
      },
      haproxy: null,
    };
  });
  s.ledger = ledger;
  builtFrom.set(s, pairings);
  return s;
}

/**
 * A client leg nobody paired. When the proxy answered it with an HTTP status line although no
 * request parsed (400 to garbage, 408 to silence), that answer is its one exchange.
 */
export function unpairedSession(client: Leg, mode: ProxyMode): Session {
  const s = baseSession(client, mode);
  const head = Buffer.from(client.dirs[1].head.subarray(0, 32)).toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (m) {
    s.mode = 'http';
    s.exchanges.push({
      method: '', target: '', status: Number(m[1]), serverLeg: null, answeredLocally: true,
      requestStart: client.dirs[0].firstDataTs ?? client.start, requestHeadersDone: null,
      responseEnd: client.dirs[1].lastDataTs, forwardedAt: null, responseHeadersAt: null,
      rewrites: { request: null, response: null }, haproxy: null,
    });
  }
  return s;
}

function headersAt(r: HttpResponse | null): number | null {
  return r !== null && r.headersCompleteTs >= 0 ? r.headersCompleteTs : null;
}
