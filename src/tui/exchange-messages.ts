/**
 * The HTTP messages behind an exchange, found on the kept legs by their times (an exchange
 * records when its request started on the client leg and when it was forwarded on the server
 * leg): the client side's request and response, the server side's request and response.
 */
import type { HttpRequest, HttpResponse } from '../app/http/index.js';
import type { Exchange, Leg, Session } from '../correlate/model.js';

export interface ExchangeMessages {
  clientRequest: HttpRequest | null;
  clientResponse: HttpResponse | null;
  serverRequest: HttpRequest | null;
  serverResponse: HttpResponse | null;
  clientLeg: Leg | null;
  serverLeg: Leg | null;
}

function finalResponse(leg: Leg | null, req: HttpRequest | null): HttpResponse | null {
  if (leg?.http == null || req === null) return null;
  return leg.http.responses.find((r) => r.requestIndex === req.index && !r.interim) ?? null;
}

export function exchangeMessages(s: Session, e: Exchange, legs: ReadonlyMap<string, Leg> | undefined): ExchangeMessages {
  const clientLeg = legs?.get(s.id) ?? null;
  const ref = e.serverLeg === null ? undefined : s.serverLegs[e.serverLeg];
  const serverLeg = ref === undefined ? null : (legs?.get(ref.leg) ?? null);
  const clientRequest = clientLeg?.http?.requests.find((r) => r.firstByteTs === e.requestStart && r.method === e.method) ?? null;
  const serverRequest = e.forwardedAt === null ? null : (serverLeg?.http?.requests.find((r) => r.firstByteTs === e.forwardedAt) ?? null);
  return {
    clientRequest,
    clientResponse: finalResponse(clientLeg, clientRequest),
    serverRequest,
    serverResponse: e.answeredLocally ? null : finalResponse(serverLeg, serverRequest),
    clientLeg,
    serverLeg,
  };
}
