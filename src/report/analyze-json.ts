/**
 * The `analyze --json` contract (formatVersion 1, docs/analyze.md). Built from the correlate
 * stage's sessions; fields beyond the documented ones may be added without a version bump.
 */
import type { Drop, Exchange, HeaderRewrites, ProxyInfo, ServerLegRef, ServerOnlyConnection, Session } from '../correlate/model.js';
import { epoch } from './connection-json.js';

export const ANALYZE_FORMAT_VERSION = 1;

function rewritesJson(r: HeaderRewrites | null): unknown {
  if (r === null) return null;
  return {
    added: r.added,
    removed: r.removed,
    changed: r.changed,
    caseChanged: r.caseChanged,
    reordered: r.reordered,
    requestLine: r.requestLine,
    body: r.body,
  };
}

function serverLegJson(l: ServerLegRef): unknown {
  return {
    source: l.source,
    server: l.server,
    ...(l.name !== undefined ? { name: l.name } : {}),
    bytes: l.bytes,
    proxyProtocol: l.proxyProtocol,
    evidence: l.evidence,
    confidence: Math.round(l.confidence * 100) / 100,
  };
}

const ms = (t: number | null, from: number): number | null => (t === null ? null : Math.round((t - from) * 1e6) / 1e3);

function exchangeJson(e: Exchange): unknown {
  return {
    method: e.method,
    target: e.target,
    status: e.status,
    serverLeg: e.serverLeg,
    answeredLocally: e.answeredLocally,
    times: {
      requestStart: epoch(e.requestStart),
      requestHeadersDoneMs: ms(e.requestHeadersDone, e.requestStart),
      forwardedMs: ms(e.forwardedAt, e.requestStart),
      responseHeadersMs: ms(e.responseHeadersAt, e.requestStart),
      responseEndMs: ms(e.responseEnd, e.requestStart),
    },
    rewrites: { request: rewritesJson(e.rewrites.request), response: rewritesJson(e.rewrites.response) },
    haproxy: e.haproxy === null ? null : { termination: e.haproxy.termination, status: e.haproxy.status, timers: e.haproxy.timers, bytesRead: e.haproxy.bytesRead, log: e.haproxy.logLine },
  };
}

function dropJson(d: Drop): unknown {
  return { direction: d.direction, bytes: d.bytes, first: epoch(d.first), last: epoch(d.last), cause: d.cause, code: d.code };
}

export function sessionJson(s: Session): unknown {
  return {
    id: s.id,
    mode: s.mode,
    client: s.client,
    frontend: s.frontend,
    ...(s.frontendName !== undefined ? { frontendName: s.frontendName } : {}),
    start: epoch(s.start),
    end: epoch(s.end),
    bytes: s.bytes,
    serverLegs: s.serverLegs.map(serverLegJson),
    exchanges: s.exchanges.map(exchangeJson),
    haproxy: s.haproxy === null ? null : { termination: s.haproxy.termination, timers: s.haproxy.timers, bytesRead: s.haproxy.bytesRead, log: s.haproxy.logLine },
    drops: s.drops.map(dropJson),
    ledger: s.ledger.map((l) => ({ ...l, arrived: epoch(l.arrived), departed: epoch(l.departed), holdMs: Math.round((l.departed - l.arrived) * 1e6) / 1e3 })),
  };
}

export function proxyJson(p: ProxyInfo): unknown {
  return { addresses: p.addresses, listeners: p.listeners };
}

export function serverOnlyJson(s: ServerOnlyConnection): unknown {
  return { source: s.source, server: s.server, kind: s.kind, ...(s.request !== undefined ? { request: s.request } : {}) };
}
