/**
 * The `analyze --json` contract (formatVersion 1, docs/analyze.md). Built from the correlate
 * stage's sessions; fields beyond the documented ones may be added without a version bump.
 */
import type { Drop, Exchange, Loss, HeaderRewrites, ProxyInfo, ServerLegRef, ServerOnlyConnection, Session } from '../correlate/model.js';
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

function lossJson(l: Loss): unknown {
  return { leg: l.leg, direction: l.direction, offset: l.offset, bytes: l.bytes, copiesLost: l.copiesLost, sent: epoch(l.sent), resent: epoch(l.resent), code: l.code, cause: l.cause };
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
    ...(s.losses !== undefined ? { losses: s.losses.map(lossJson) } : {}),
    ledger: s.ledger.map((l) => ({ ...l, arrived: epoch(l.arrived), departed: epoch(l.departed), holdMs: Math.round((l.departed - l.arrived) * 1e6) / 1e3 })),
  };
}

export function proxyJson(p: ProxyInfo): unknown {
  return { addresses: p.addresses, listeners: p.listeners };
}

export function serverOnlyJson(s: ServerOnlyConnection): unknown {
  return { source: s.source, server: s.server, kind: s.kind, ...(s.request !== undefined ? { request: s.request } : {}) };
}

/**
 * JSON text as pure ASCII: every character from DEL up as a \u escape. Parses to the same values
 * as JSON.stringify's text, is safe for a terminal (a superset of terminalSafeJson's escapes), and
 * can go through a byte buffer one char per byte.
 */
export function asciiJson(json: string): string {
  return NON_ASCII.test(json) ? json.replace(NON_ASCII_G, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_G = /[\u007f-\uffff]/g;

/**
 * One session as a line of JSON (ASCII): the text of asciiJson(JSON.stringify(sessionJson(s))),
 * written directly (this runs for every session of a large capture). Only captured or configured
 * text is quoted and escaped; keys and the fixed vocabulary (modes, evidence, directions, codes,
 * endpoints, ids) are written as they are. Rewrites shared by exchanges (the correlate stage
 * memoises header diffs) are serialised once.
 */
export function sessionJsonText(s: Session): string {
  let o = `{"id":"${s.id}","mode":"${s.mode}","client":${qe(s.client)},"frontend":${qe(s.frontend)}`;
  if (s.frontendName !== undefined) o += `,"frontendName":${qc(s.frontendName)}`;
  o += `,"start":${n(epoch(s.start))},"end":${n(epoch(s.end))},"bytes":{"clientToProxy":${n(s.bytes.clientToProxy)},"proxyToClient":${n(s.bytes.proxyToClient)}}`;
  o += ',"serverLegs":[';
  for (let i = 0; i < s.serverLegs.length; i++) {
    const l = s.serverLegs[i]!;
    if (i > 0) o += ',';
    o += `{"source":${qe(l.source)},"server":${qe(l.server)}`;
    if (l.name !== undefined) o += `,"name":${qc(l.name)}`;
    o += `,"bytes":{"proxyToServer":${n(l.bytes.proxyToServer)},"serverToProxy":${n(l.bytes.serverToProxy)}},"proxyProtocol":`;
    const pp = l.proxyProtocol;
    o += pp === null ? 'null' : `{"version":${n(pp.version)},"source":${pp.source === null ? 'null' : qc(pp.source)},"destination":${pp.destination === null ? 'null' : qc(pp.destination)}}`;
    o += ',"evidence":[';
    for (let k = 0; k < l.evidence.length; k++) o += `${k > 0 ? ',' : ''}"${l.evidence[k]}"`;
    o += `],"confidence":${n(Math.round(l.confidence * 100) / 100)}}`;
  }
  o += '],"exchanges":[';
  for (let i = 0; i < s.exchanges.length; i++) {
    const e = s.exchanges[i]!;
    if (i > 0) o += ',';
    const t0 = e.requestStart;
    o += `{"method":${qc(e.method)},"target":${qc(e.target)},"status":${nn(e.status)},"serverLeg":${nn(e.serverLeg)},"answeredLocally":${e.answeredLocally}`;
    o += `,"times":{"requestStart":${n(epoch(t0))},"requestHeadersDoneMs":${nn(ms(e.requestHeadersDone, t0))},"forwardedMs":${nn(ms(e.forwardedAt, t0))}`;
    o += `,"responseHeadersMs":${nn(ms(e.responseHeadersAt, t0))},"responseEndMs":${nn(ms(e.responseEnd, t0))}}`;
    o += `,"rewrites":{"request":${rewritesText(e.rewrites.request)},"response":${rewritesText(e.rewrites.response)}},"haproxy":`;
    const h = e.haproxy;
    if (h === null) o += 'null}';
    else {
      const t = h.timers;
      o += `{"termination":${qc(h.termination)},"status":${n(h.status)},"timers":{"TR":${n(t.TR)},"Tw":${n(t.Tw)},"Tc":${n(t.Tc)},"Tr":${n(t.Tr)},"Ta":${n(t.Ta)}}`;
      o += `,"bytesRead":${n(h.bytesRead)},"log":${qc(h.logLine)}}}`;
    }
  }
  o += '],"haproxy":';
  const h = s.haproxy;
  if (h === null) o += 'null';
  else {
    const t = h.timers;
    o += `{"termination":${qc(h.termination)},"timers":{"Tw":${n(t.Tw)},"Tc":${n(t.Tc)},"Tt":${n(t.Tt)}},"bytesRead":${n(h.bytesRead)},"log":${qc(h.logLine)}}`;
  }
  o += ',"drops":[';
  for (let i = 0; i < s.drops.length; i++) {
    const d = s.drops[i]!;
    if (i > 0) o += ',';
    o += `{"direction":"${d.direction}","bytes":${n(d.bytes)},"first":${n(epoch(d.first))},"last":${n(epoch(d.last))},"cause":${qc(d.cause)},"code":${qc(d.code)}}`;
  }
  o += ']';
  if (s.losses !== undefined) {
    o += ',"losses":[';
    for (let i = 0; i < s.losses.length; i++) {
      const l = s.losses[i]!;
      if (i > 0) o += ',';
      o += `{"leg":${typeof l.leg === 'number' ? n(l.leg) : '"client"'},"direction":"${l.direction}","offset":${n(l.offset)},"bytes":${n(l.bytes)},"copiesLost":${n(l.copiesLost)}`;
      o += `,"sent":${n(epoch(l.sent))},"resent":${n(epoch(l.resent))},"code":${qc(l.code)},"cause":${qc(l.cause)}}`;
    }
    o += ']';
  }
  o += ',"ledger":[';
  for (let i = 0; i < s.ledger.length; i++) {
    const l = s.ledger[i]!;
    if (i > 0) o += ',';
    // The key order ledger.ts gives its entries (optional keys only when set), then holdMs.
    o += `{"direction":"${l.direction}","serverLeg":${n(l.serverLeg)},"fromOffset":${n(l.fromOffset)},"toOffset":${n(l.toOffset)},"length":${n(l.length)}`;
    o += `,"arrived":${n(epoch(l.arrived))},"departed":${n(epoch(l.departed))}`;
    if (l.exchange !== undefined) o += `,"exchange":${n(l.exchange)}`;
    if (l.part !== undefined) o += `,"part":"${l.part}"`;
    if (l.toLength !== undefined) o += `,"toLength":${n(l.toLength)}`;
    o += `,"holdMs":${n(Math.round((l.departed - l.arrived) * 1e6) / 1e3)}}`;
  }
  o += ']}';
  return o;
}

/** Captured or configured text: quoted, escaped, ASCII. */
const qc = (v: string): string => asciiJson(JSON.stringify(v));
/** An endpoint ("ip:port", "[v6]:port"): nothing to escape when it is one. */
const qe = (v: string): string => (ENDPOINT.test(v) ? `"${v}"` : qc(v));
const ENDPOINT = /^[0-9A-Za-z.:[\]%-]*$/;
/** A number as JSON writes it (non-finite ones as null). */
const n = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');
const nn = (v: number | null): string => (v === null ? 'null' : n(v));

/** The header part of a rewrites object, by its (shared) `added` list. */
const headerPartText = new WeakMap<HeaderRewrites['added'], string>();

function rewritesText(r: HeaderRewrites | null): string {
  if (r === null) return 'null';
  let head = headerPartText.get(r.added);
  if (head === undefined) {
    const pairs = (list: string[][]): string => `[${list.map((x) => `[${x.map(qc).join(',')}]`).join(',')}]`;
    head = `{"added":${pairs(r.added)},"removed":${pairs(r.removed)},"changed":${pairs(r.changed)},"caseChanged":${pairs(r.caseChanged)}`
      + `,"reordered":${r.reordered},"requestLine":${r.requestLine === null ? 'null' : `{"before":${qc(r.requestLine.before)},"after":${qc(r.requestLine.after)}}`}`;
    headerPartText.set(r.added, head);
  }
  return `${head},"body":"${r.body}"}`;
}
