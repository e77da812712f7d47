/**
 * Which frontend, backend and server names a log line carries. With a configuration: the frontend
 * listening on the client leg's destination, the backend its use_backend rules pick for the
 * request (default_backend otherwise), checked against the server address the capture shows;
 * without one: the addresses themselves.
 */
import { headText, type HttpRequest } from '../../app/http/index.js';
import { proxyByName, proxyFor, serversByAddress } from './config-lookup.js';
import { parseEndpoint } from './config-address.js';
import type { HaproxyConfig, ProxySection, Server } from './config-types.js';
import { evaluateCondition } from './verdict-acl.js';

export const NO_SERVER = '<NOSRV>';

export interface VerdictNames {
  frontend: string;
  backend: string;
  /** NO_SERVER when no server was reached or chosen. */
  server: string;
  frontendSection: ProxySection | null;
  backendSection: ProxySection | null;
  serverEntry: Server | null;
}

export interface NameQuery {
  /** The client leg's destination, "ip:port". */
  frontendEndpoint: string;
  frontendName?: string | undefined;
  /** The server leg's destination, null when the proxy connected to none. */
  serverEndpoint: string | null;
  serverName?: string | undefined;
  request: HttpRequest | null;
  cfg?: HaproxyConfig | undefined;
}

/**
 * The last names resolved without a configuration: handed out again for the same three names
 * (consecutive exchanges mostly reach the same server), read-only like every VerdictNames.
 */
let lastBare: VerdictNames | null = null;

export function resolveNames(q: NameQuery): VerdictNames {
  const cfg = q.cfg;
  if (cfg === undefined) {
    const frontend = q.frontendName ?? q.frontendEndpoint;
    const backend = q.serverEndpoint ?? '-';
    const server = q.serverName ?? q.serverEndpoint ?? NO_SERVER;
    const l = lastBare;
    if (l !== null && l.frontend === frontend && l.backend === backend && l.server === server) return l;
    return (lastBare = { frontend, backend, server, frontendSection: null, backendSection: null, serverEntry: null });
  }
  const fe = (q.frontendName !== undefined ? proxyByName(cfg, q.frontendName) : null) ?? proxyFor(cfg, q.frontendEndpoint);
  let be = fe === null ? null : chooseBackend(cfg, fe, q.request);
  let server = be !== null && q.serverEndpoint !== null ? serverIn(be, q.serverEndpoint) : null;
  if (q.serverEndpoint !== null && server === null) {
    // The rules could not be replayed (or disagree with the wire): trust the address.
    const refs = serversByAddress(cfg, q.serverEndpoint);
    const named = fe === null ? [] : [fe.defaultBackend, ...fe.useBackends.map((u) => u.backend)];
    const ref = refs.find((r) => named.includes(r.proxy.name)) ?? refs[0] ?? null;
    if (ref !== null) {
      be = ref.proxy;
      server = ref.server;
    }
  }
  return {
    frontend: fe?.name ?? q.frontendEndpoint,
    backend: be?.name ?? q.serverEndpoint ?? '-',
    server: server?.name ?? (q.serverEndpoint !== null ? q.serverEndpoint : NO_SERVER),
    frontendSection: fe, backendSection: be, serverEntry: server,
  };
}

/**
 * The backends the rules picked, by frontend and request header block (compact requests share
 * one interned block per distinct head: under load a few, asked for every exchange). The rules
 * read only the method, target and headers, which the block holds. Bounded: starts over when full.
 */
let choices = new WeakMap<ProxySection, Map<string, { method: string; target: string; backend: ProxySection | null }>>();
let choiceCount = 0;
const withoutRequest = new WeakMap<ProxySection, { backend: ProxySection | null }>();
const MAX_CHOICES = 4096;

/** The backend the frontend's rules pick; null when a rule cannot be evaluated from the capture. */
function chooseBackend(cfg: HaproxyConfig, fe: ProxySection, req: HttpRequest | null): ProxySection | null {
  if (fe.kind !== 'frontend') return fe;
  if (req === null) {
    // Without a request (tcp verdicts, drops): one answer per frontend.
    let known = withoutRequest.get(fe);
    if (known === undefined) withoutRequest.set(fe, (known = { backend: pickBackend(cfg, fe, null) }));
    return known.backend;
  }
  const head = fe.useBackends.length === 0 ? undefined : headText(req);
  if (head === undefined) return pickBackend(cfg, fe, req);
  let known = choices.get(fe);
  if (known === undefined) choices.set(fe, (known = new Map()));
  const c = known.get(head);
  if (c !== undefined && c.method === req.method && c.target === req.target) return c.backend;
  const backend = pickBackend(cfg, fe, req);
  if (choiceCount >= MAX_CHOICES) {
    choices = new WeakMap();
    choiceCount = 0;
    choices.set(fe, (known = new Map()));
  }
  known.set(head, { method: req.method, target: req.target, backend });
  choiceCount++;
  return backend;
}

function pickBackend(cfg: HaproxyConfig, fe: ProxySection, req: HttpRequest | null): ProxySection | null {
  for (const rule of fe.useBackends) {
    let v = rule.condition === null ? true : evaluateCondition(rule.condition, fe.acls, req);
    if (v === null) return null;
    if (rule.negate) v = !v;
    if (v) return proxyByName(cfg, rule.backend, 'backend');
  }
  return fe.defaultBackend === null ? null : proxyByName(cfg, fe.defaultBackend, 'backend');
}

function serverIn(be: ProxySection, endpoint: string): Server | null {
  const e = parseEndpoint(endpoint);
  if (e === null) return null;
  return be.servers.find((s) => s.address === e.host && (s.port === e.port || (s.port === null && s.portOffset === null))) ?? null;
}
