/**
 * The correlate stage: from the legs of a capture (one per TCP connection) to what the proxy did
 * with every client connection.
 *
 *   legs ──▶ proxy detection (or --proxy) ──▶ roles per proxy: client legs (to its listeners),
 *   server legs (from its addresses to anything but its listeners) ──▶ tcp pairing (by bytes)
 *   ──▶ http pairing (per request) ──▶ sessions (exchanges, rewrites, ledger) + server-only
 *   connections (health checks).
 *
 * Pure computation over plain data: no I/O.
 */
import { AttemptPool } from './connect-attempts.js';
import type { Leg, ProxyInfo, ProxyMode, ServerOnlyConnection, Session } from './model.js';
import { pairHttp, type HttpPairing } from './pair-http.js';
import { pairTcp, type TcpPairing } from './pair-tcp.js';
import { detectProxies } from './proxy-detect.js';
import { classifyServerOnly } from './server-only.js';
import { httpSession, tcpSession, unpairedSession } from './session-build.js';
import { isConnectOnly, synTime } from './leg-util.js';

export interface CorrelateOptions {
  /** "ip" or "ip:port" entries naming the proxy, overriding detection. */
  proxies?: string[];
}

export interface CorrelateResult {
  proxies: ProxyInfo[];
  sessions: Session[];
  serverOnlyConnections: ServerOnlyConnection[];
}

export function correlate(legs: readonly Leg[], opts: CorrelateOptions = {}): CorrelateResult {
  const proxies = detectProxies(legs, opts.proxies ?? []);

  const tcpPairings: TcpPairing[] = [];
  const httpByClient = new Map<Leg, HttpPairing[]>();
  const leftovers: { leg: Leg; mode: ProxyMode }[] = [];
  const serverSide: Leg[] = [];

  for (const p of proxies) {
    const listeners = new Set(p.listeners);
    const addresses = new Set(p.addresses);
    const clientLegs = legs.filter((l) => listeners.has(l.server));
    // A connection to another proxy's listener is this proxy's server leg too (chained proxies).
    const serverLegs = legs.filter((l) => addresses.has(l.clientAddress) && !listeners.has(l.server));
    serverSide.push(...serverLegs);
    // Refused or unanswered connects: retries of a request, or L4 health checks.
    const pool = new AttemptPool(serverLegs.filter((l) => isConnectOnly(l) && l.synAckTs === null));
    const primaries = serverLegs.filter((l) => !(isConnectOnly(l) && l.synAckTs === null));

    const tcp = pairTcp(clientLegs, primaries, pool);
    tcpPairings.push(...tcp);
    const tcpClients = new Set(tcp.map((t) => t.client));
    const tcpServers = new Set(tcp.flatMap((t) => (t.server !== null ? [t.server] : [])));

    const httpClients = clientLegs.filter((l) => l.http !== null && !tcpClients.has(l));
    const httpServers = primaries.filter((l) => l.http !== null && !tcpServers.has(l));
    for (const hp of pairHttp(httpClients, httpServers, pool)) {
      const list = httpByClient.get(hp.client);
      if (list) list.push(hp);
      else httpByClient.set(hp.client, [hp]);
    }

    // Legs neither pairing took: a listener that carried HTTP is taken to be in http mode.
    const httpListeners = new Set(httpClients.map((l) => l.server));
    for (const l of clientLegs) {
      if (l.http !== null || tcpClients.has(l)) continue;
      leftovers.push({ leg: l, mode: httpListeners.has(l.server) ? 'http' : 'tcp' });
    }
  }

  const shared = sharedLegs(tcpPairings, httpByClient);
  const sessions: Session[] = [];
  for (const t of tcpPairings) sessions.push(tcpSession(t, shared));
  for (const [client, list] of httpByClient) {
    list.sort((a, b) => a.request.index - b.request.index);
    sessions.push(httpSession(client, list, shared));
  }
  for (const { leg, mode } of leftovers) sessions.push(unpairedSession(leg, mode));
  sessions.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));

  const used = new Set<string>(sessions.flatMap((s) => s.serverLegs.map((r) => r.leg)));
  const serverOnlyConnections = serverSide
    .filter((l) => !used.has(l.id))
    .sort((a, b) => synTime(a) - synTime(b))
    .map(classifyServerOnly);
  return { proxies, sessions, serverOnlyConnections };
}

/** Server legs that serve more than one client leg (http-reuse, upstream keepalive). */
function sharedLegs(tcp: readonly TcpPairing[], http: ReadonlyMap<Leg, HttpPairing[]>): Set<Leg> {
  const owners = new Map<Leg, Set<Leg>>();
  const note = (server: Leg, client: Leg): void => {
    const s = owners.get(server) ?? new Set<Leg>();
    s.add(client);
    owners.set(server, s);
  };
  for (const t of tcp) if (t.server !== null) note(t.server, t.client);
  for (const [client, list] of http) for (const p of list) if (p.server !== null) note(p.server, client);
  return new Set([...owners].filter(([, c]) => c.size > 1).map(([s]) => s));
}
