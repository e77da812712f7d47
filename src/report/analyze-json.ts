/**
 * The `analyze --json` contract (formatVersion 1, docs/analyze.md). Built from the correlate
 * stage's sessions; fields beyond the documented ones may be added without a version bump.
 */
import type { Drop, Exchange, Loss, HeaderRewrites, ProxyInfo, ServerLegRef, ServerOnlyConnection, Session } from '../correlate/model.js';
import { AsciiBuffer } from './ascii-buffer.js';
import { epoch } from './connection-json.js';
import { HttpVerdict } from '../correlate/haproxy/verdict-log.js';
import { writeHttpLogJson } from './http-log-json.js';
import { jsonNullable, jsonNumber, jsonString, jsonWord } from './json-bytes.js';

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
 * One session as a line of JSON (ASCII): the text of asciiJson(JSON.stringify(sessionJson(s))).
 * For output and tests of one session; streams use writeSessionJson.
 */
export function sessionJsonText(s: Session): string {
  const out = new AsciiBuffer(scratch);
  writeSessionJson(s, out);
  scratch = out.buf;
  return out.text();
}

let scratch: Uint8Array = new Uint8Array(1 << 14);

/**
 * One session as JSON (ASCII), written straight into `out` (this runs for every session of a large
 * capture): the bytes of asciiJson(JSON.stringify(sessionJson(s))). Only captured or configured
 * text is quoted and escaped; keys and the fixed vocabulary (modes, evidence, directions, codes,
 * ids) are written as they are. Rewrites shared by exchanges (the correlate stage memoises header
 * diffs) are serialised once.
 */
export function writeSessionJson(s: Session, out: AsciiBuffer): void {
  const a = (t: string): void => out.ascii(t);
  const n = (v: number): void => jsonNumber(out, v);
  const nn = (v: number | null): void => jsonNullable(out, v);
  const q = (v: string): void => jsonString(out, v);
  a('{"id":');
  jsonWord(out, s.id);
  a(',"mode":');
  jsonWord(out, s.mode);
  a(',"client":');
  q(s.client);
  a(',"frontend":');
  q(s.frontend);
  if (s.frontendName !== undefined) {
    a(',"frontendName":');
    q(s.frontendName);
  }
  a(',"start":');
  n(epoch(s.start));
  a(',"end":');
  n(epoch(s.end));
  a(',"bytes":{"clientToProxy":');
  n(s.bytes.clientToProxy);
  a(',"proxyToClient":');
  n(s.bytes.proxyToClient);
  a('},"serverLegs":[');
  for (let i = 0; i < s.serverLegs.length; i++) {
    const l = s.serverLegs[i]!;
    a(i > 0 ? ',{"source":' : '{"source":');
    q(l.source);
    a(',"server":');
    q(l.server);
    if (l.name !== undefined) {
      a(',"name":');
      q(l.name);
    }
    a(',"bytes":{"proxyToServer":');
    n(l.bytes.proxyToServer);
    a(',"serverToProxy":');
    n(l.bytes.serverToProxy);
    a('},"proxyProtocol":');
    const pp = l.proxyProtocol;
    if (pp === null) a('null');
    else {
      a('{"version":');
      n(pp.version);
      a(',"source":');
      if (pp.source === null) a('null');
      else q(pp.source);
      a(',"destination":');
      if (pp.destination === null) a('null');
      else q(pp.destination);
      a('}');
    }
    a(',"evidence":[');
    for (let k = 0; k < l.evidence.length; k++) {
      if (k > 0) a(',');
      jsonWord(out, l.evidence[k]!);
    }
    a('],"confidence":');
    n(Math.round(l.confidence * 100) / 100);
    a('}');
  }
  a('],"exchanges":[');
  for (let i = 0; i < s.exchanges.length; i++) {
    const e = s.exchanges[i]!;
    const t0 = e.requestStart;
    a(i > 0 ? ',{"method":' : '{"method":');
    q(e.method);
    a(',"target":');
    q(e.target);
    a(',"status":');
    nn(e.status);
    a(',"serverLeg":');
    nn(e.serverLeg);
    a(e.answeredLocally ? ',"answeredLocally":true,"times":{"requestStart":' : ',"answeredLocally":false,"times":{"requestStart":');
    n(epoch(t0));
    a(',"requestHeadersDoneMs":');
    nn(ms(e.requestHeadersDone, t0));
    a(',"forwardedMs":');
    nn(ms(e.forwardedAt, t0));
    a(',"responseHeadersMs":');
    nn(ms(e.responseHeadersAt, t0));
    a(',"responseEndMs":');
    nn(ms(e.responseEnd, t0));
    a('},"rewrites":{"request":');
    writeRewrites(out, e.rewrites.request);
    a(',"response":');
    writeRewrites(out, e.rewrites.response);
    a('},"haproxy":');
    const h = e.haproxy;
    if (h === null) a('null}');
    else {
      const t = h.timers;
      a('{"termination":');
      q(h.termination);
      a(',"status":');
      n(h.status);
      a(',"timers":{"TR":');
      n(t.TR);
      a(',"Tw":');
      n(t.Tw);
      a(',"Tc":');
      n(t.Tc);
      a(',"Tr":');
      n(t.Tr);
      a(',"Ta":');
      n(t.Ta);
      a('},"bytesRead":');
      n(h.bytesRead);
      a(',"log":');
      if (h instanceof HttpVerdict) writeHttpLogJson(out, h);
      else q(h.logLine);
      a('}}');
    }
  }
  a('],"haproxy":');
  const h = s.haproxy;
  if (h === null) a('null');
  else {
    const t = h.timers;
    a('{"termination":');
    q(h.termination);
    a(',"timers":{"Tw":');
    n(t.Tw);
    a(',"Tc":');
    n(t.Tc);
    a(',"Tt":');
    n(t.Tt);
    a('},"bytesRead":');
    n(h.bytesRead);
    a(',"log":');
    q(h.logLine);
    a('}');
  }
  a(',"drops":[');
  for (let i = 0; i < s.drops.length; i++) {
    const d = s.drops[i]!;
    a(i > 0 ? ',{"direction":' : '{"direction":');
    jsonWord(out, d.direction);
    a(',"bytes":');
    n(d.bytes);
    a(',"first":');
    n(epoch(d.first));
    a(',"last":');
    n(epoch(d.last));
    a(',"cause":');
    q(d.cause);
    a(',"code":');
    q(d.code);
    a('}');
  }
  a(']');
  if (s.losses !== undefined) {
    a(',"losses":[');
    for (let i = 0; i < s.losses.length; i++) {
      const l = s.losses[i]!;
      a(i > 0 ? ',{"leg":' : '{"leg":');
      if (typeof l.leg === 'number') n(l.leg);
      else a('"client"');
      a(',"direction":');
      jsonWord(out, l.direction);
      a(',"offset":');
      n(l.offset);
      a(',"bytes":');
      n(l.bytes);
      a(',"copiesLost":');
      n(l.copiesLost);
      a(',"sent":');
      n(epoch(l.sent));
      a(',"resent":');
      n(epoch(l.resent));
      a(',"code":');
      q(l.code);
      a(',"cause":');
      q(l.cause);
      a('}');
    }
    a(']');
  }
  a(',"ledger":[');
  for (let i = 0; i < s.ledger.length; i++) {
    const l = s.ledger[i]!;
    // The key order ledger.ts gives its entries (optional keys only when set), then holdMs.
    a(i > 0 ? ',{"direction":' : '{"direction":');
    jsonWord(out, l.direction);
    a(',"serverLeg":');
    n(l.serverLeg);
    a(',"fromOffset":');
    n(l.fromOffset);
    a(',"toOffset":');
    n(l.toOffset);
    a(',"length":');
    n(l.length);
    a(',"arrived":');
    n(epoch(l.arrived));
    a(',"departed":');
    n(epoch(l.departed));
    if (l.exchange !== undefined) {
      a(',"exchange":');
      n(l.exchange);
    }
    if (l.part !== undefined) {
      a(',"part":');
      jsonWord(out, l.part);
    }
    if (l.toLength !== undefined) {
      a(',"toLength":');
      n(l.toLength);
    }
    a(',"holdMs":');
    n(Math.round((l.departed - l.arrived) * 1e6) / 1e3);
    a('}');
  }
  a(']}');
}

/** Captured or configured text: quoted, escaped, ASCII. */
const qc = (v: string): string => asciiJson(JSON.stringify(v));

/** The header part of a rewrites object, by its (shared) `added` list. */
const headerPartText = new WeakMap<HeaderRewrites['added'], string>();

function writeRewrites(out: AsciiBuffer, r: HeaderRewrites | null): void {
  if (r === null) return out.ascii('null');
  let head = headerPartText.get(r.added);
  if (head === undefined) {
    const pairs = (list: string[][]): string => `[${list.map((x) => `[${x.map(qc).join(',')}]`).join(',')}]`;
    head = `{"added":${pairs(r.added)},"removed":${pairs(r.removed)},"changed":${pairs(r.changed)},"caseChanged":${pairs(r.caseChanged)}`
      + `,"reordered":${r.reordered},"requestLine":${r.requestLine === null ? 'null' : `{"before":${qc(r.requestLine.before)},"after":${qc(r.requestLine.after)}}`}`;
    headerPartText.set(r.added, head);
  }
  out.ascii(head);
  out.ascii(',"body":');
  jsonWord(out, r.body);
  out.byte(125);
}
