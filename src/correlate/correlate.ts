/**
 * The correlate stage: from the legs of a capture (one per TCP connection) to what the proxy did
 * with every client connection.
 *
 *   legs ──▶ proxy detection (or --proxy) ──▶ roles per proxy: client legs (to its listeners),
 *   server legs (from its addresses to anything but its listeners) ──▶ tcp pairing (by bytes)
 *   ──▶ http pairing (per request) ──▶ sessions (exchanges, rewrites, ledger) + server-only
 *   connections (health checks).
 *
 * `correlate()` does it in one batch over all the legs. The streaming engine (stream.ts) runs
 * the same per-proxy pairing (`pairProxy`) and session building (`buildSession`) on the legs of
 * a time window, as connections complete. Pure computation over plain data: no I/O.
 */
import type { HttpRequest } from '../app/http/index.js';
import { AttemptPool } from './connect-attempts.js';
import type { LedgerDetail } from './ledger.js';
import type { Leg, ProxyInfo, ProxyMode, ServerOnlyConnection, Session } from './model.js';
import { pairHttp, type HttpPairing } from './pair-http.js';
import { pairTcp, type TcpPairing } from './pair-tcp.js';
import { detectProxies } from './proxy-detect.js';
import { classifyServerOnly } from './server-only.js';
import { httpSession, tcpSession, unpairedSession, type SharedLegs } from './session-build.js';
import { isConnectOnly, synTime } from './leg-util.js';

export type { LedgerDetail } from './ledger.js';

export interface CorrelateOptions {
  /** "ip" or "ip:port" entries naming the proxy, overriding detection. */
  proxies?: string[];
  /** Ledger entries per delivery chunk ('chunks', the default here) or per message part ('exchange'). */
  ledger?: LedgerDetail;
}

export interface CorrelateResult {
  proxies: ProxyInfo[];
  sessions: Session[];
  serverOnlyConnections: ServerOnlyConnection[];
}

export function correlate(legs: readonly Leg[], opts: CorrelateOptions = {}): CorrelateResult {
  const proxies = detectProxies(legs, opts.proxies ?? []);
  const ledger = opts.ledger ?? 'chunks';

  const tcpPairings: TcpPairing[] = [];
  const httpByClient = new Map<Leg, HttpPairing[]>();
  const leftovers: { leg: Leg; mode: ProxyMode }[] = [];
  const serverSide: Leg[] = [];

  for (const p of proxies) {
    const { clientLegs, serverLegs } = legsOf(p, legs);
    serverSide.push(...serverLegs);
    const r = pairProxy({ clientLegs, serverLegs });
    tcpPairings.push(...r.tcp);
    for (const [client, list] of r.http) {
      const known = httpByClient.get(client);
      if (known) known.push(...list);
      else httpByClient.set(client, list);
    }
    leftovers.push(...r.leftovers);
  }

  const shared = sharedLegs(tcpPairings, httpByClient);
  const sessions: Session[] = [];
  for (const t of tcpPairings) sessions.push(tcpSession(t, shared, ledger));
  for (const [client, list] of httpByClient) sessions.push(httpSession(client, list, shared, ledger));
  for (const { leg, mode } of leftovers) sessions.push(unpairedSession(leg, mode));
  sessions.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));

  const used = new Set<string>(sessions.flatMap((s) => s.serverLegs.map((r) => r.leg)));
  const serverOnlyConnections = serverSide
    .filter((l) => !used.has(l.id))
    .sort((a, b) => synTime(a) - synTime(b))
    .map(classifyServerOnly);
  return { proxies, sessions, serverOnlyConnections };
}

/** A proxy's client legs (to its listeners) and server-side legs (from its addresses to anything else). */
export function legsOf(p: ProxyInfo, legs: readonly Leg[]): { clientLegs: Leg[]; serverLegs: Leg[] } {
  const listeners = new Set(p.listeners);
  const addresses = new Set(p.addresses);
  // A connection to another proxy's listener is this proxy's server leg too (chained proxies).
  return {
    clientLegs: legs.filter((l) => listeners.has(l.server)),
    serverLegs: legs.filter((l) => addresses.has(l.clientAddress) && !listeners.has(l.server)),
  };
}

export interface PairInput {
  clientLegs: readonly Leg[];
  /** The proxy's server-side legs: connections that carried something, and bare connect attempts. */
  serverLegs: readonly Leg[];
  /** Server requests already taken by sessions decided earlier (streaming). */
  takenRequests?: ReadonlySet<HttpRequest>;
  /** Listeners already known to carry HTTP (streaming: seen in earlier windows). */
  httpListeners?: ReadonlySet<string>;
}

export interface ProxyPairing {
  tcp: TcpPairing[];
  /** Per client leg, its requests' pairings in request order. */
  http: Map<Leg, HttpPairing[]>;
  /** Client legs neither pairing took, with the mode their listener suggests. */
  leftovers: { leg: Leg; mode: ProxyMode }[];
  /** Listeners that carried HTTP among these legs. */
  httpListeners: Set<string>;
}

/** tcp pairing, then http pairing of what is left, for the legs of one proxy. */
export function pairProxy(input: PairInput): ProxyPairing {
  const { clientLegs, serverLegs } = input;
  // Refused or unanswered connects: retries of a request, or L4 health checks.
  const pool = new AttemptPool(serverLegs.filter((l) => isConnectOnly(l) && l.synAckTs === null));
  const primaries = serverLegs.filter((l) => !(isConnectOnly(l) && l.synAckTs === null));

  const tcp = pairTcp(clientLegs, primaries, pool);
  const tcpClients = new Set(tcp.map((t) => t.client));
  const tcpServers = new Set(tcp.flatMap((t) => (t.server !== null ? [t.server] : [])));

  const httpClients = clientLegs.filter((l) => l.http !== null && !tcpClients.has(l));
  const httpServers = primaries.filter((l) => l.http !== null && !tcpServers.has(l));
  const http = new Map<Leg, HttpPairing[]>();
  for (const hp of pairHttp(httpClients, httpServers, pool, input.takenRequests)) {
    const list = http.get(hp.client);
    if (list) list.push(hp);
    else http.set(hp.client, [hp]);
  }
  for (const list of http.values()) list.sort((a, b) => a.request.index - b.request.index);

  // Legs neither pairing took: a listener that carried HTTP is taken to be in http mode.
  const httpListeners = new Set(httpClients.map((l) => l.server));
  const leftovers: { leg: Leg; mode: ProxyMode }[] = [];
  for (const l of clientLegs) {
    if (l.http !== null || tcpClients.has(l)) continue;
    const http = httpListeners.has(l.server) || input.httpListeners?.has(l.server) === true;
    leftovers.push({ leg: l, mode: http ? 'http' : 'tcp' });
  }
  return { tcp, http, leftovers, httpListeners };
}

/** Server legs that serve more than one client leg (http-reuse, upstream keepalive). */
function sharedLegs(tcp: readonly TcpPairing[], http: ReadonlyMap<Leg, HttpPairing[]>): SharedLegs {
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
