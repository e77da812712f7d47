/**
 * One exchange's messages and legs, found from the Exchange's times: the client leg's request and
 * response, the server leg's request and response (by the time the request was forwarded), and
 * the connection attempts the proxy made for it (refused or unanswered SYNs in its time window).
 */
import type { HttpRequest, HttpResponse } from '../../app/http/index.js';
import type { Exchange, Leg, Session } from '../model.js';
import type { SessionLegs } from './verdict-session.js';
import { finalResponseTo } from '../leg-util.js';

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
 * A long leg's requests by first-byte time (the first one with that time); null when their
 * first-byte times strictly increase (the usual case): then a binary search finds it, and no
 * Map of every request of every long (server) leg is built.
 */
const byStart = new WeakMap<Leg, Map<number, HttpRequest> | null>();

/** The leg's first request whose first byte came at `ts`. */
function requestAt(leg: Leg, ts: number): HttpRequest | undefined {
  const reqs = leg.http?.requests;
  if (reqs === undefined) return undefined;
  if (reqs.length <= SCAN_MAX) {
    for (let i = 0; i < reqs.length; i++) if (reqs[i]!.firstByteTs === ts) return reqs[i];
    return undefined;
  }
  let m = byStart.get(leg);
  if (m === undefined) {
    m = increasing(reqs) ? null : new Map();
    if (m !== null) for (const r of reqs) if (!m.has(r.firstByteTs)) m.set(r.firstByteTs, r);
    byStart.set(leg, m);
  }
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

function increasing(reqs: readonly HttpRequest[]): boolean {
  for (let i = 1; i < reqs.length; i++) if (!(reqs[i - 1]!.firstByteTs < reqs[i]!.firstByteTs)) return false;
  return true;
}

/** No failed attempts (most exchanges): one shared, frozen list. */
const NO_LEGS = Object.freeze([]) as unknown as Leg[];

function computeViews(session: Session, sl: SessionLegs): ExchangeView[] {
  const requests = sl.client.http?.requests ?? [];
  const exchanges = session.exchanges;
  const views: ExchangeView[] = new Array<ExchangeView>(exchanges.length);
  for (let i = 0; i < exchanges.length; i++) {
    const exchange = exchanges[i]!;
    const clientRequest = requestAt(sl.client, exchange.requestStart) ?? requests[i] ?? null;
    const clientResponse = clientRequest === null ? null : responseTo(sl.client, clientRequest);
    const next = exchanges[i + 1]?.requestStart ?? null;
    const windowStart = clientRequest?.firstByteTs ?? exchange.requestStart;
    const windowEnd = clientResponse?.lastByteTs ?? next ?? sl.client.end;

    let server: Leg | null = null;
    let serverRef: number | null = null;
    let failedAttempts = NO_LEGS;
    for (const s of sl.servers) {
      const l = s.leg;
      if (server === null && s.ref === exchange.serverLeg && l.synAckTs !== null) {
        server = l;
        serverRef = s.ref;
      }
      if (l.synAckTs === null && (l.synTs ?? l.start) >= windowStart && (l.synTs ?? l.start) <= windowEnd) {
        if (failedAttempts === NO_LEGS) failedAttempts = [];
        failedAttempts.push(l);
      }
    }
    const serverRequest = server === null ? null : findServerRequest(server, exchange, clientRequest);
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
