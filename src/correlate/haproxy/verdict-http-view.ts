/**
 * One exchange's messages and legs, found from the Exchange's times: the client leg's request and
 * response, the server leg's request and response (by the time the request was forwarded), and
 * the connection attempts the proxy made for it (refused or unanswered SYNs in its time window).
 */
import type { HttpRequest, HttpResponse } from '../../app/http/index.js';
import type { Exchange, Leg, Session } from '../model.js';
import type { SessionLegs } from './verdict-session.js';

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

export function exchangeViews(session: Session, sl: SessionLegs): ExchangeView[] {
  const requests = sl.client.http?.requests ?? [];
  return session.exchanges.map((exchange, i) => {
    const clientRequest = requests.find((r) => r.firstByteTs === exchange.requestStart) ?? requests[i] ?? null;
    const clientResponse = clientRequest === null ? null : responseTo(sl.client, clientRequest);
    const next = session.exchanges[i + 1]?.requestStart ?? null;
    const windowStart = clientRequest?.firstByteTs ?? exchange.requestStart;
    const windowEnd = clientResponse?.lastByteTs ?? next ?? sl.client.end;

    let server: Leg | null = null;
    let serverRef: number | null = null;
    const ref = exchange.serverLeg === null ? undefined : sl.servers.find((s) => s.ref === exchange.serverLeg);
    if (ref !== undefined && ref.leg.synAckTs !== null) {
      server = ref.leg;
      serverRef = ref.ref;
    }
    const serverRequest = server === null ? null : findServerRequest(server, exchange, clientRequest);
    const serverResponse = server === null || serverRequest === null ? null : responseTo(server, serverRequest);
    const failedAttempts = sl.servers.map((s) => s.leg).filter((l) => l.synAckTs === null
      && (l.synTs ?? l.start) >= windowStart && (l.synTs ?? l.start) <= windowEnd);
    const newConnection = server !== null && server.synTs !== null && server.synTs >= windowStart
      && (serverRequest === null || serverRequest.index === 0);
    return { exchange, clientRequest, clientResponse, server, serverRef, serverRequest, serverResponse, newConnection, failedAttempts };
  });
}

function findServerRequest(leg: Leg, ex: Exchange, clientRequest: HttpRequest | null): HttpRequest | null {
  const reqs = leg.http?.requests ?? [];
  if (ex.forwardedAt !== null) {
    let best: HttpRequest | null = null;
    for (const r of reqs) if (best === null || Math.abs(r.firstByteTs - ex.forwardedAt) < Math.abs(best.firstByteTs - ex.forwardedAt)) best = r;
    return best;
  }
  const from = clientRequest?.firstByteTs ?? ex.requestStart;
  return reqs.find((r) => r.firstByteTs >= from && r.method === ex.method) ?? null;
}

export function responseTo(leg: Leg, req: HttpRequest): HttpResponse | null {
  return leg.http?.responses.find((r) => !r.interim && r.requestIndex === req.index) ?? null;
}
