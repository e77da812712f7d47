/**
 * What the list, the filter and the sort need from a session, computed once per session and
 * cached (sessions are immutable once analyzed). Display strings are escaped here; the raw
 * strings used for matching (hosts, methods, names) never reach the terminal.
 */
import type { Leg, Session } from '../correlate/model.js';
import { escapeInline } from '../report/escape.js';
import { timeOfDay } from '../report/table.js';

export interface SessionFacts {
  session: Session;
  /** "HH:MM:SS.mmm" */
  time: string;
  client: string;
  clientIp: string;
  /** Escaped frontend name from --haproxy-cfg, else its address. */
  frontend: string;
  /** Escaped: the server(s) that took the requests ("be/srv" or ip:port), or "<proxy>". */
  server: string;
  /** Raw, for `server X`: names, server part of "be/srv", backend part, ip:port and ip. */
  serverKeys: string[];
  /** Raw frontend name and address, for `frontend X`. */
  frontendKeys: string[];
  mode: 'http' | 'tcp';
  /** Escaped: first request line and "+N more". */
  request: string;
  /** First exchange's status (null: none or tcp). */
  status: number | null;
  statuses: (number | null)[];
  /** Termination states of every verdict (first one first). */
  terms: string[];
  /** Escaped, for the summary: the server label of each request (tcp: of the session), and the termination states. */
  requestServers: string[];
  termsEscaped: string[];
  methods: string[];
  targets: string[];
  /** Host header values (and absolute-form authorities), lower case, port removed. */
  hosts: string[];
  bytesUp: number;
  bytesDown: number;
  /** Longest time the proxy held bytes (ledger), ms; null when nothing was forwarded. */
  latencyMs: number | null;
  drops: number;
  dropBytes: number;
  /** A termination state whose first two characters are not "--". */
  abnormal: boolean;
}

function hostOf(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(0, v.indexOf(']') + 1 || undefined);
  const colon = v.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(v.slice(colon + 1)) ? v.slice(0, colon) : v;
}

function ipOf(endpoint: string): string {
  if (endpoint.startsWith('[')) return endpoint.slice(1, endpoint.indexOf(']'));
  const colon = endpoint.lastIndexOf(':');
  return colon > 0 ? endpoint.slice(0, colon) : endpoint;
}

export function computeFacts(s: Session, legs?: ReadonlyMap<string, Leg>): SessionFacts {
  const serverKeys = new Set<string>();
  const serverNames: string[] = [];
  const addServer = (i: number | null): void => {
    const ref = i === null ? undefined : s.serverLegs[i];
    const display = ref === undefined ? '<proxy>' : (ref.name ?? ref.server);
    if (!serverNames.includes(display)) serverNames.push(display);
    if (ref === undefined) {
      serverKeys.add('<proxy>');
      serverKeys.add('proxy');
      return;
    }
    serverKeys.add(ref.server);
    serverKeys.add(ipOf(ref.server));
    if (ref.name !== undefined) {
      serverKeys.add(ref.name);
      const slash = ref.name.indexOf('/');
      if (slash >= 0) {
        serverKeys.add(ref.name.slice(0, slash));
        serverKeys.add(ref.name.slice(slash + 1));
      }
    }
  };
  if (s.mode === 'tcp' || s.exchanges.length === 0) {
    if (s.serverLegs.length > 0) s.serverLegs.forEach((_, i) => addServer(i));
  } else {
    for (const e of s.exchanges) addServer(e.answeredLocally ? null : e.serverLeg);
  }

  const label = (i: number | null): string => {
    const ref = i === null ? undefined : s.serverLegs[i];
    return ref === undefined ? '<proxy>' : escapeInline(ref.name ?? ref.server);
  };
  const requestServers = s.mode === 'tcp'
    ? [s.serverLegs.length > 0 ? label(s.serverLegs.length - 1) : 'no server']
    : s.exchanges.map((e) => label(e.answeredLocally ? null : e.serverLeg));

  const first = s.exchanges[0];
  let request = '-';
  if (first !== undefined) {
    const text = first.method === '' && first.target === '' ? '(no request)' : `${first.method} ${first.target}`;
    request = escapeInline(text) + (s.exchanges.length > 1 ? ` +${s.exchanges.length - 1} more` : '');
  }

  const terms: string[] = [];
  if (s.haproxy) terms.push(s.haproxy.termination);
  for (const e of s.exchanges) if (e.haproxy) terms.push(e.haproxy.termination);

  const hosts = new Set<string>();
  const clientLeg = legs?.get(s.id);
  for (const r of clientLeg?.http?.requests ?? []) {
    for (const [name, value] of r.headers) if (name.toLowerCase() === 'host') hosts.add(hostOf(value));
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(r.target);
    if (m) hosts.add(hostOf((m[1] ?? '').replace(/^.*@/, '')));
  }

  let latency: number | null = null;
  for (const l of s.ledger) {
    const ms = (l.departed - l.arrived) * 1000;
    if (latency === null || ms > latency) latency = ms;
  }

  return {
    session: s,
    time: timeOfDay(s.start).slice(0, 12),
    client: escapeInline(s.client),
    clientIp: ipOf(s.client),
    frontend: escapeInline(s.frontendName ?? s.frontend),
    server: escapeInline(serverNames.join(',') || '-'),
    serverKeys: [...serverKeys],
    frontendKeys: [s.frontend, ipOf(s.frontend), ...(s.frontendName !== undefined ? [s.frontendName] : [])],
    mode: s.mode,
    request,
    status: first?.status ?? null,
    statuses: s.exchanges.map((e) => e.status),
    terms,
    requestServers,
    termsEscaped: terms.map(escapeInline),
    methods: s.exchanges.map((e) => e.method),
    targets: s.exchanges.map((e) => e.target),
    hosts: [...hosts],
    bytesUp: s.bytes.clientToProxy,
    bytesDown: s.bytes.proxyToClient,
    latencyMs: latency,
    drops: s.drops.length,
    dropBytes: s.drops.reduce((n, d) => n + d.bytes, 0),
    abnormal: terms.some((t) => !t.startsWith('--')),
  };
}

/** Facts per session, computed on first use. */
export class FactsCache {
  private readonly cache = new WeakMap<Session, SessionFacts>();
  /** Facts of an append-only session list, in its order (see `of`). */
  private readonly ordered: SessionFacts[] = [];
  private orderedFrom: readonly Session[] | null = null;
  legs: ReadonlyMap<string, Leg> | undefined;

  constructor(legs?: ReadonlyMap<string, Leg>) {
    this.legs = legs;
  }

  get(s: Session): SessionFacts {
    let f = this.cache.get(s);
    if (f === undefined) {
      f = computeFacts(s, this.legs);
      this.cache.set(s, f);
    }
    return f;
  }

  /**
   * The facts of every session of `sessions`, an append-only list (the store's): only those
   * added since the last call are computed. Returns the same array, grown.
   */
  of(sessions: readonly Session[]): readonly SessionFacts[] {
    if (this.orderedFrom !== sessions) {
      this.ordered.length = 0;
      this.orderedFrom = sessions;
    }
    for (let i = this.ordered.length; i < sessions.length; i++) this.ordered.push(this.get(sessions[i]!));
    return this.ordered;
  }
}
