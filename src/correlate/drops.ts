/**
 * Bytes the proxy took in and never passed on. "Took in" means ACKed by the proxy host on the
 * leg they arrived on: bytes lost on the network and retransmitted count once, and bytes missing
 * only from the capture (not_captured gaps) still count as sent on the other leg, whose stream
 * length covers them. Each drop says why, from what the proxy had done to the other leg by then:
 *   proxy_closed_other_side  it had closed (FIN/RST) the leg the bytes should leave on, on its own:
 *                            a timeout, named and measured (the idle time before the close;
 *                            compared with haproxy.cfg when given);
 *   client_gone / server_gone  that peer had closed or reset first;
 *   server_never_connected   no server connection was established;
 *   after_session_end        bytes that came after the session ended and were answered with a
 *                            RST: never ACKed, so the sender's kernel knew they were lost;
 *   not_forwarded            none of the above is visible (still buffered when the capture ended?).
 * tcp mode compares byte counts; http mode compares messages (haproxy/verdict-drops-http.ts).
 */
import type { HaproxyConfig } from './haproxy/config-types.js';
import { ackedOffset } from './haproxy/verdict-leg.js';
import { causeTowardClient, causeTowardServer, span, unforwarded, type Cause, type Span } from './haproxy/verdict-drop-cause.js';
import { resolveNames } from './haproxy/verdict-names.js';
import { sessionLegs, timeoutsOf, type SessionLegs } from './haproxy/verdict-session.js';
import { describeTimeout, proxyInitiatedClose, type ConfiguredTimeouts } from './haproxy/verdict-timeout.js';
import { httpDrops } from './haproxy/verdict-drops-http.js';
import type { Drop, Leg, LegDirection, Session } from './model.js';

export function findDrops(session: Session, legs: ReadonlyMap<string, Leg>, cfg?: HaproxyConfig): Drop[] {
  const sl = sessionLegs(session, legs);
  const names = resolveNames({
    frontendEndpoint: session.frontend, frontendName: session.frontendName,
    serverEndpoint: sl.servers[0]?.leg.server ?? null, serverName: session.serverLegs[0]?.name, request: null, cfg,
  });
  const timeouts = timeoutsOf(names.frontendSection, names.backendSection, cfg);
  return session.mode === 'http' ? httpDrops(session, sl, timeouts) : tcpDrops(sl, timeouts);
}

function tcpDrops(sl: SessionLegs, timeouts: ConfiguredTimeouts): Drop[] {
  const client = sl.client;
  const connected = sl.servers.map((s) => s.leg).filter((l) => l.synAckTs !== null);
  const server = connected[0] ?? null;
  const out: Drop[] = [];

  // client → server: what the proxy ACKed from the client vs what it wrote to the server. PROXY
  // protocol headers are not payload: one the client sent is consumed (accept-proxy), one on the
  // server leg was added (send-proxy); a header passed through appears on both and cancels out.
  const sent = connected.reduce((n, l) => n + l.dirs[0].bytes - (l.proxyProtocol?.length ?? 0), 0);
  const c2s = unforwarded(client.dirs[0], sent + (client.proxyProtocol?.length ?? 0));
  if (c2s !== null) {
    out.push({ direction: 'clientToServer', ...c2s, ...causeTowardServer(client, server, c2s.first, timeouts) });
  }
  const late = rejected(client.dirs[0], client.dirs[1]);
  if (late !== null) out.push({ direction: 'clientToServer', ...late, ...afterEnd('client', client, server, timeouts) });

  if (server !== null) {
    const s2c = unforwarded(server.dirs[1], client.dirs[1].bytes);
    if (s2c !== null) out.push({ direction: 'serverToClient', ...s2c, ...causeTowardClient(client, server, s2c.first, timeouts) });
    const lateS = rejected(server.dirs[1], server.dirs[0]);
    if (lateS !== null) out.push({ direction: 'serverToClient', ...lateS, ...afterEnd('server', client, server, timeouts) });
  }
  return out;
}

/** Bytes past the ACKed offset that the proxy answered with a RST (`back` is its direction). */
function rejected(incoming: LegDirection, back: LegDirection): Span | null {
  const acked = ackedOffset(incoming);
  if (incoming.bytes <= acked || back.rstTs === null) return null;
  const s = span(incoming, acked, incoming.bytes);
  return s.last <= back.rstTs ? s : null;
}

function afterEnd(from: 'client' | 'server', client: Leg, server: Leg | null, timeouts: ConfiguredTimeouts): Cause {
  const byProxy = proxyInitiatedClose(client, server, timeouts);
  const ended = byProxy !== null ? `after the proxy had ended the session on ${describeTimeout(byProxy)}` : 'after the session had ended';
  return {
    code: 'after_session_end',
    cause: `they reached the proxy ${ended}; its socket was closed, so it answered with RST and never ACKed them: the ${from}'s kernel knew they were not delivered`,
  };
}

