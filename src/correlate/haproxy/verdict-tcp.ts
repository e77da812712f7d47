/**
 * What HAProxy logged (option tcplog) for a tcp-mode session, from its client leg and server legs.
 *
 * Clock (verdict-clock.ts): the accept is the client's handshake ACK, or HAProxy's connect to the
 * server when that follows within a few ms (tcp mode connects in the same loop as it accepts, so
 * the SYN is the better stamp). Timers, as HAProxy 2.6 computes them in tcp mode:
 *   Tw = t_queue + 1: no request is ever parsed, t_request stays -1 and %Tw is t_queue - t_request;
 *   Tc = t_connect - t_queue: connect() (the server SYN) to the connection seen established
 *        (the SYN-ACK, or the first byte forwarded right after it);
 *   Tt = the session's end: the later of the proxy's first close (FIN or RST) toward the client and
 *        toward the server; later packets (a RST answering a byte sent after the end) do not count.
 * Termination: the first thing that ended the session. A close by the proxy that neither peer
 * caused is a timeout (FIN toward the client: `timeout server`, sD; toward the server:
 * `timeout client`, cD); a peer's RST is CD/SD; FINs are a normal end (--); no connection: SC/sC.
 */
import type { Leg, Session, TcpVerdict } from '../model.js';
import type { HaproxyConfig } from './config-types.js';
import { logDateMs, msElapsed } from './verdict-clock.js';
import { firstClose, latest, reactionTo, refused } from './verdict-leg.js';
import { logClient, tcpLine } from './verdict-log.js';
import { resolveNames } from './verdict-names.js';
import { sessionLegs, timeoutsOf } from './verdict-session.js';
import { proxyInitiatedClose } from './verdict-timeout.js';

export function inferTcpVerdict(session: Session, legs: ReadonlyMap<string, Leg>, cfg?: HaproxyConfig): TcpVerdict {
  const { client, servers } = sessionLegs(session, legs);
  const attempts = servers.map((s) => s.leg);
  const connected = attempts.find((l) => l.synAckTs !== null) ?? null;
  const failed = attempts.filter((l) => l.synAckTs === null && (connected === null || (l.synTs ?? l.start) < (connected.synTs ?? connected.start)));
  const firstSyn = attempts[0]?.synTs ?? null;

  const handshake = client.establishedTs ?? client.synAckTs ?? client.start;
  const accept = reactionTo(handshake, [firstSyn]);
  // The first byte forwarded after the SYN-ACK stamps the connect only if it was already waiting.
  const pending = client.dirs[0].firstDataTs;
  const connect = connected === null || connected.synAckTs === null
    ? null
    : pending !== null && pending <= connected.synAckTs ? reactionTo(connected.synAckTs, [connected.dirs[0].firstDataTs]) : connected.synAckTs;
  const end = latest(firstClose(client.dirs[1])?.ts, connected === null ? null : firstClose(connected.dirs[0])?.ts) ?? client.end;

  const tQueue = firstSyn === null ? -1 : msElapsed(accept, firstSyn);
  const tConnect = connect === null ? -1 : msElapsed(accept, connect);
  const timers = {
    Tw: tQueue >= 0 ? tQueue + 1 : -1,
    Tc: tConnect >= 0 ? tConnect - tQueue : -1,
    Tt: msElapsed(accept, end),
  };

  const serverLeg = connected ?? attempts[attempts.length - 1] ?? null;
  const ref = serverLeg === null ? undefined : session.serverLegs[servers.find((s) => s.leg === serverLeg)?.ref ?? -1];
  const names = resolveNames({
    frontendEndpoint: session.frontend, frontendName: session.frontendName, serverEndpoint: serverLeg?.server ?? null,
    serverName: ref?.name, request: null, cfg,
  });
  const termination = tcpTermination(client, connected, attempts, end, timeoutsOf(names.frontendSection, names.backendSection, cfg));
  const bytesRead = client.dirs[1].bytes;
  const logLine = tcpLine({
    ...logClient(client), date: logDateMs(accept), names, bytesRead, termination,
    // Every attempt after the first is a retry; the last one is the connection that worked, if any.
    retries: connected === null ? Math.max(0, attempts.length - 1) : failed.length,
  }, timers);
  return { termination, timers, bytesRead, logLine };
}

function tcpTermination(client: Leg, connected: Leg | null, attempts: Leg[], end: number, timeouts: ReturnType<typeof timeoutsOf>): string {
  if (connected === null) {
    if (attempts.some(refused)) return 'SC';
    if (attempts.length > 0) return 'sC';
    return client.dirs[0].rstTs !== null ? 'CC' : 'SC';
  }
  const byProxy = proxyInitiatedClose(client, connected, timeouts);
  if (byProxy !== null) return byProxy.timeout === 'server' ? 'sD' : 'cD';
  // A peer's RST after the end (answering the proxy's FIN) is not what ended the session.
  const upToEnd = (t: number | null): number | null => (t !== null && t <= end ? t : null);
  const clientRst = upToEnd(client.dirs[0].rstTs);
  const serverRst = upToEnd(connected.dirs[1].rstTs);
  if (clientRst !== null && (serverRst === null || clientRst <= serverRst)) return 'CD';
  if (serverRst !== null) return 'SD';
  return '--';
}
