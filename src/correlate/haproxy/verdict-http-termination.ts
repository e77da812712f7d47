/**
 * The first two characters of an httplog termination state (manual 8.5) and the status HAProxy
 * logged, from what the exchange's legs show. The cases the captures cover:
 *   ----  response complete on both legs;
 *   PR    answered by the proxy itself (deny: 403, bad request: 400); LR for its redirects;
 *   SC    no server connection: every attempt refused, or no server available (503, <NOSRV>);
 *   sC    connection attempts unanswered (connect timeout, 503);
 *   sH    the proxy gave up waiting for response headers (`timeout server`): it closed the server
 *         leg and answered 504, even to a client that had already left (HAProxy 2.6 does not
 *         notice a client closing while it waits, abortonclose or not);
 *   SH    the server closed or reset before its headers (502);
 *   CH    the client left while waiting and the proxy dropped the server at once;
 *   SD/CD the server / client closed or reset in the middle of the transfer (the request body
 *         still being uploaded counts as the data phase: CD with status -1);
 *   sD/cD the proxy timed out in the data phase.
 */
import type { Leg, LegDirection } from '../model.js';
import type { ExchangeView } from './verdict-http-view.js';
import { REACTION_WINDOW, firstCloseTs } from './verdict-leg.js';

export interface HttpOutcome {
  /** Two characters: cause and state. */
  state: string;
  /** As logged: -1 when no response was produced. */
  status: number;
}

export function httpOutcome(v: ExchangeView, client: Leg): HttpOutcome {
  const state = stateOf(v, client);
  return { state, status: v.clientResponse?.status ?? defaultStatus(state) };
}

function stateOf(v: ExchangeView, client: Leg): string {
  const since = v.clientRequest?.firstByteTs ?? v.exchange.requestStart;
  const clientClose = closeAfter(client.dirs[0], since);
  const s = v.server;
  if (s === null) {
    if (v.failedAttempts.length > 0) return v.failedAttempts.some((l) => l.dirs[1].rstTs !== null) ? 'SC' : 'sC';
    const status = v.clientResponse?.status ?? null;
    if (status === null) return v.clientRequest !== null && v.clientRequest.headersCompleteTs < 0 ? 'CR' : clientClose !== null ? 'CR' : '--';
    if (status === 503) return 'SC';
    if (status === 408) return 'cR';
    if (status >= 300 && status < 400) return 'LR';
    return 'PR';
  }
  const sreq = v.serverRequest;
  const serverClose = closeAfter(s.dirs[1], sreq?.firstByteTs ?? since);
  const proxyToServer = closeAfter(s.dirs[0], sreq?.firstByteTs ?? since);
  const proxyToClient = closeAfter(client.dirs[1], since);
  const sresp = v.serverResponse;
  if (sresp !== null && sresp.headersCompleteTs >= 0) {
    const clientDone = v.clientResponse?.complete === true;
    if (sresp.complete && clientDone) return '--';
    if (!sresp.complete) {
      if (serverClose !== null && (proxyToServer === null || serverClose <= proxyToServer)) return 'SD';
      if (clientClose !== null) return 'CD';
      if (proxyToServer !== null || proxyToClient !== null) return 'sD';
      return '--';
    }
    if (clientClose !== null) return 'CD';
    if (proxyToClient !== null) return 'cD';
    return '--';
  }
  if (v.clientRequest !== null && !v.clientRequest.complete && clientClose !== null) return 'CD';
  if (serverClose !== null && (proxyToServer === null || serverClose <= proxyToServer)) return 'SH';
  // CH: the proxy dropped the server because the client left, unless the client left only after
  // the proxy's own answer (a 504 on `timeout server`, then the client's close racing the
  // proxy's close of the server leg).
  const answeredFirst = v.clientResponse !== null && clientClose !== null && v.clientResponse.firstByteTs <= clientClose;
  if (clientClose !== null && !answeredFirst && proxyToServer !== null && proxyToServer >= clientClose && proxyToServer - clientClose <= REACTION_WINDOW) return 'CH';
  if (proxyToServer !== null || v.clientResponse?.status === 504) return 'sH';
  return '--';
}

/** When this direction's sender sent a FIN or RST at or after `since`, or null. */
function closeAfter(d: LegDirection, since: number): number | null {
  const c = firstCloseTs(d);
  if (c === null) return null;
  if (c >= since) return c;
  // The first close came earlier (an earlier exchange's): a later RST may still be this one's.
  return d.rstTs !== null && d.rstTs >= since ? d.rstTs : null;
}

/** The status HAProxy logs when the capture shows no response to the client. */
function defaultStatus(state: string): number {
  switch (state) {
    case 'sH': return 504;
    case 'SH': return 502;
    case 'SC':
    case 'sC': return 503;
    case 'cR': return 408;
    case 'PR': return 403;
    default: return -1;
  }
}
