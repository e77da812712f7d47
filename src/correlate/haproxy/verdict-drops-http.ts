/**
 * HTTP-mode drops, per exchange: the proxy rewrites headers, so byte counts cannot be compared
 * across legs; message bodies can. A request the proxy ACKed whose server connection never came
 * up (SC: refused, no server available) was never forwarded; a request body cut short on the
 * server leg, or a response (or part of its body) the proxy received and the client never got,
 * is a drop too. Requests the proxy answered itself by policy (deny, redirect) are not drops:
 * their verdict already says so.
 */
import type { HttpMessageBase } from '../../app/http/index.js';
import type { Drop, LegDirection, Session } from '../model.js';
import { causeTowardClient, causeTowardServer, span, type Span } from './verdict-drop-cause.js';
import { exchangeViews } from './verdict-http-view.js';
import { ackedOffset } from './verdict-leg.js';
import type { SessionLegs } from './verdict-session.js';
import type { ConfiguredTimeouts } from './verdict-timeout.js';

export function httpDrops(session: Session, sl: SessionLegs, timeouts: ConfiguredTimeouts): Drop[] {
  const out: Drop[] = [];
  const client = sl.client;
  for (const v of exchangeViews(session, sl)) {
    const creq = v.clientRequest;
    if (creq === null) continue;
    if (v.server === null) {
      if (v.failedAttempts.length === 0 && v.clientResponse?.status !== 503) continue;
      const s = received(client.dirs[0], creq.offset, creq.endOffset);
      if (s === null) continue;
      const tries = v.failedAttempts.length;
      const refused = v.failedAttempts.filter((l) => l.dirs[1].rstTs !== null).length;
      const cause = tries === 0
        ? 'no server was available: the proxy answered 503 itself and forwarded nothing'
        : `the server connection failed (${tries} attempt${tries > 1 ? 's' : ''}, ${refused} refused with RST): the proxy answered ${v.clientResponse?.status ?? 503} itself`;
      out.push({ direction: 'clientToServer', ...s, code: 'server_never_connected', cause });
      continue;
    }
    // Request body: what the client gave the proxy beyond what the server leg carried.
    const sreq = v.serverRequest;
    if (sreq !== null) {
      const cut = bodyShortfall(client.dirs[0], creq, v.server.dirs[0], sreq);
      if (cut !== null) out.push({ direction: 'clientToServer', ...cut, ...causeTowardServer(client, v.server, cut.first, timeouts) });
    }
    // Response: received from the server, missing (in part) on the client leg.
    const sresp = v.serverResponse;
    if (sresp === null) continue;
    const cresp = v.clientResponse;
    const lost = cresp === null
      ? received(v.server.dirs[1], sresp.offset, sresp.endOffset)
      : bodyShortfall(v.server.dirs[1], sresp, client.dirs[1], cresp);
    if (lost !== null) out.push({ direction: 'serverToClient', ...lost, ...causeTowardClient(client, v.server, lost.first, timeouts) });
  }
  return out;
}

/** The part of [from, to) the receiver ACKed, or null if none. */
function received(d: LegDirection, from: number, to: number): Span | null {
  const end = Math.min(to, ackedOffset(d));
  return end > from ? span(d, from, end) : null;
}

/**
 * Body bytes that arrived (ACKed) in `inMsg` beyond those that left in `outMsg`: wire lengths when
 * both legs frame the body alike; otherwise decoded lengths, the shortfall placed at the end of the
 * incoming body (an approximation: which bytes went missing cannot be told then).
 */
function bodyShortfall(inDir: LegDirection, inMsg: HttpMessageBase, outDir: LegDirection, outMsg: HttpMessageBase): Span | null {
  const inEnd = Math.min(inMsg.endOffset, ackedOffset(inDir));
  if (inMsg.body.framing === outMsg.body.framing) {
    const outBody = Math.max(0, Math.min(outMsg.endOffset, outDir.bytes) - outMsg.bodyOffset);
    const from = inMsg.bodyOffset + outBody;
    return inEnd > from ? span(inDir, from, inEnd) : null;
  }
  const missing = inMsg.body.length - outMsg.body.length;
  if (missing <= 0 || inEnd <= inMsg.bodyOffset) return null;
  return span(inDir, Math.max(inMsg.bodyOffset, inEnd - missing), inEnd);
}
