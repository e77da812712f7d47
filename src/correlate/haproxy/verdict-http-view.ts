/**
 * One exchange's messages and legs, found from the Exchange's times: the client leg's request and
 * response, the server leg's request and response (by the time the request was forwarded), and
 * the connection attempts the proxy made for it (refused or unanswered SYNs in its time window).
 */
import type { HttpRequest, HttpResponse } from '../../app/http/index.js';
import type { Exchange, Leg, Session } from '../model.js';
import type { SessionLegs } from './verdict-session.js';
import { finalResponseTo } from '../leg-util.js';
import { takePairings } from '../session-build.js';

export interface ExchangeView {
  exchange: Exchange;
  clientRequest: HttpRequest | null;
  clientResponse: HttpResponse | null;
  /** The server leg that carried the request (established), or null. */
  server: Leg | null;
  serverRef: number | null;
  serverRequest: HttpRequest | null;
  serverResponse: HttpResponse | null;
  /** The proxy opened `server` for this request (its SYN came after the request started). */
  newConnection: boolean;
  /** Connection attempts for this request that never got a SYN-ACK, in order. */
  failedAttempts: Leg[];
}

/**
 * Views are asked for by the verdicts and then by the drops of a session: computed once per
 * session and legs. One session is kept (analyze asks for both in turn): a WeakMap entry per
 * session cost more than the views.
 */
let last: { session: Session; sl: SessionLegs; views: ExchangeView[] } | null = null;

export function exchangeViews(session: Session, sl: SessionLegs): ExchangeView[] {
  if (last !== null && last.session === session && last.sl.client === sl.client && sameServers(last.sl, sl)) return last.views;
  const views = computeViews(session, sl);
  last = { session, sl, views };
  return views;
}

function sameServers(a: SessionLegs, b: SessionLegs): boolean {
  if (a.servers.length !== b.servers.length) return false;
  for (let i = 0; i < a.servers.length; i++) if (a.servers[i]!.leg !== b.servers[i]!.leg || a.servers[i]!.ref !== b.servers[i]!.ref) return false;
  return true;
}

/** Requests a leg may have before requestAt indexes them instead of scanning. */
const SCAN_MAX = 16;

/**
 * A leg's requests by first-byte time (the first one with that time); null when their first-byte
 * times strictly increase (the usual case): then a binary search finds one (no Map of every
 * request of every long server leg), and a request is the first of its time.
 */
const byStart = new WeakMap<Leg, Map<number, HttpRequest> | null>();

function startIndex(leg: Leg, reqs: readonly HttpRequest[]): Map<number, HttpRequest> | null {
  let m = byStart.get(leg);
  if (m === undefined) {
    m = increasing(reqs) ? null : new Map();
    if (m !== null) for (const r of reqs) if (!m.has(r.firstByteTs)) m.set(r.firstByteTs, r);
    byStart.set(leg, m);
  }
  return m;
}

/** The leg's first request whose first byte came at `ts`. */
function requestAt(leg: Leg, ts: number): HttpRequest | undefined {
  const reqs = leg.http?.requests;
  if (reqs === undefined) return undefined;
  if (reqs.length <= SCAN_MAX) {
    for (let i = 0; i < reqs.length; i++) if (reqs[i]!.firstByteTs === ts) return reqs[i];
    return undefined;
  }
  const m = startIndex(leg, reqs);
  if (m !== null) return m.get(ts);
  let lo = 0;
  let hi = reqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (reqs[mid]!.firstByteTs < ts) lo = mid + 1;
    else hi = mid;
  }
  const r = reqs[lo];
  return r !== undefined && r.firstByteTs === ts ? r : undefined;
}

/** Whether the pairing's request `r` is what requestAt(leg, ts) finds: the leg's, sent at ts, no earlier one then. */
function isRequestAt(leg: Leg, r: HttpRequest, ts: number): boolean {
  const reqs = leg.http?.requests;
  if (reqs === undefined || r.firstByteTs !== ts || reqs[r.index] !== r) return false;
  return r.index === 0 || startIndex(leg, reqs) === null;
}

function increasing(reqs: readonly HttpRequest[]): boolean {
  for (let i = 1; i < reqs.length; i++) if (!(reqs[i - 1]!.firstByteTs < reqs[i]!.firstByteTs)) return false;
  return true;
}

/** No failed attempts (most exchanges): one shared, frozen list. */
const NO_LEGS = Object.freeze([]) as unknown as Leg[];

function computeViews(session: Session, sl: SessionLegs): ExchangeView[] {
  const requests = sl.client.http?.requests ?? [];
  const exchanges = session.exchanges;
  // Exchange i's pairing: its messages, taken when they are what the search below would find.
  const pairings = takePairings(session);
  // The client's requests before `seen`, checked in order: the greatest first-byte time among them.
  let seen = 0;
  let seenMax = -Infinity;
  // The session's server legs sorted out once (not per exchange: a long keep-alive client uses
  // hundreds): the established ones by ref (each ref is one leg), the unanswered ones in SYN order.
  const established: (Leg | null)[] = new Array<Leg | null>(session.serverLegs.length).fill(null);
  let unanswered = NO_LEGS;
  for (const s of sl.servers) {
    if (s.leg.synAckTs !== null) established[s.ref] ??= s.leg;
    else {
      if (unanswered === NO_LEGS) unanswered = [];
      unanswered.push(s.leg);
    }
  }
  const views: ExchangeView[] = new Array<ExchangeView>(exchanges.length);
  for (let i = 0; i < exchanges.length; i++) {
    const exchange = exchanges[i]!;
    const p = pairings?.[i];
    let clientRequest: HttpRequest | null = null;
    const hint = p?.request;
    if (hint !== undefined && hint.firstByteTs === exchange.requestStart && requests[hint.index] === hint && hint.index >= seen) {
      while (seen < hint.index) seenMax = Math.max(seenMax, requests[seen++]!.firstByteTs);
      // The first request sent then when every earlier one came before (NaN never compares).
      if (seenMax < hint.firstByteTs) clientRequest = hint;
    }
    clientRequest ??= requestAt(sl.client, exchange.requestStart) ?? requests[i] ?? null;
    const clientResponse = clientRequest === null ? null : responseTo(sl.client, clientRequest);
    const next = exchanges[i + 1]?.requestStart ?? null;
    const windowStart = clientRequest?.firstByteTs ?? exchange.requestStart;
    const windowEnd = clientResponse?.lastByteTs ?? next ?? sl.client.end;

    const ref = exchange.serverLeg;
    const server = ref === null ? null : established[ref] ?? null;
    const serverRef = server === null ? null : ref;
    let failedAttempts = NO_LEGS;
    for (let k = 0; k < unanswered.length; k++) {
      const l = unanswered[k]!;
      if ((l.synTs ?? l.start) >= windowStart && (l.synTs ?? l.start) <= windowEnd) {
        if (failedAttempts === NO_LEGS) failedAttempts = [];
        failedAttempts.push(l);
      }
    }
    const sent = p?.serverRequest ?? null;
    const serverRequest = server === null ? null
      : sent !== null && exchange.forwardedAt !== null && isRequestAt(server, sent, exchange.forwardedAt) ? sent
        : findServerRequest(server, exchange, clientRequest);
    const serverResponse = server === null || serverRequest === null ? null : responseTo(server, serverRequest);
    const newConnection = server !== null && server.synTs !== null && server.synTs >= windowStart
      && (serverRequest === null || serverRequest.index === 0);
    views[i] = { exchange, clientRequest, clientResponse, server, serverRef, serverRequest, serverResponse, newConnection, failedAttempts };
  }
  return views;
}

function findServerRequest(leg: Leg, ex: Exchange, clientRequest: HttpRequest | null): HttpRequest | null {
  const reqs = leg.http?.requests ?? [];
  if (ex.forwardedAt !== null) {
    // The nearest in time: the one sent at forwardedAt when there is one (the first such).
    const exact = requestAt(leg, ex.forwardedAt);
    if (exact !== undefined) return exact;
    let best: HttpRequest | null = null;
    for (const r of reqs) if (best === null || Math.abs(r.firstByteTs - ex.forwardedAt) < Math.abs(best.firstByteTs - ex.forwardedAt)) best = r;
    return best;
  }
  const from = clientRequest?.firstByteTs ?? ex.requestStart;
  return reqs.find((r) => r.firstByteTs >= from && r.method === ex.method) ?? null;
}

export function responseTo(leg: Leg, req: HttpRequest): HttpResponse | null {
  return finalResponseTo(leg, req);
}
