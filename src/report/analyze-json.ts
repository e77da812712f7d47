/**
 * The `analyze --json` contract (formatVersion 1, docs/analyze.md). Built from the correlate
 * stage's sessions; fields beyond the documented ones may be added without a version bump.
 */
import type { Drop, Exchange, LedgerEntry, Loss, HeaderRewrites, ProxyInfo, ServerLegRef, ServerOnlyConnection, Session } from '../correlate/model.js';
import { AsciiBuffer, ascii } from './ascii-buffer.js';
import { epoch } from './connection-json.js';
import { HttpVerdict } from '../correlate/haproxy/verdict-log.js';
import { writeHttpLogJson } from './http-log-json.js';
import { NUMBER_ROOM, PIECE_SLACK, bytesAt, piece, pieceAt, jsonNumber, jsonString, jsonWord, nullableAt, numberAt, stringAt, textAt } from './json-bytes.js';

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
  for (let i = 0; i < s.serverLegs.length; i++) writeServerLeg(out, s.serverLegs[i]!, i === 0);
  a('],"exchanges":[');
  for (let i = 0; i < s.exchanges.length; i++) writeExchange(out, s.exchanges[i]!, i === 0);
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
  for (let i = 0; i < s.ledger.length; i++) writeLedgerEntry(out, s.ledger[i]!, i === 0);
  a(']}');
}

// The writers of exchanges and ledger entries (most of the output) make room once for a stretch
// and write it at a local position: a call per piece, each making room, cost more than the bytes.

const EXCHANGE_FIRST = piece('{"method":');
const EXCHANGE_NEXT = piece(',{"method":');
const TARGET = piece(',"target":');
const STATUS = piece(',"status":');
const SERVER_LEG = piece(',"serverLeg":');
const ANSWERED_TRUE = piece(',"answeredLocally":true,"times":{"requestStart":');
const ANSWERED_FALSE = piece(',"answeredLocally":false,"times":{"requestStart":');
const HEADERS_DONE = piece(',"requestHeadersDoneMs":');
const FORWARDED = piece(',"forwardedMs":');
const RESPONSE_HEADERS = piece(',"responseHeadersMs":');
const RESPONSE_END = piece(',"responseEndMs":');
const REWRITES = piece('},"rewrites":{"request":');
const REWRITES_RESPONSE = piece(',"response":');
const NO_VERDICT = piece('},"haproxy":null}');
const VERDICT = piece('},"haproxy":{"termination":');
const TR = piece(',"timers":{"TR":');
const TW = piece(',"Tw":');
const TC = piece(',"Tc":');
const TR2 = piece(',"Tr":');
const TA = piece(',"Ta":');
const BYTES_READ = piece('},"bytesRead":');
const LOG = piece(',"log":');
/** Room for an exchange's fixed text and numbers (its strings are added), with the pieces' slack. */
const EXCHANGE_ROOM = 256 + 6 * NUMBER_ROOM;
const VERDICT_ROOM = 128 + 7 * NUMBER_ROOM;

function writeExchange(out: AsciiBuffer, e: Exchange, first: boolean): void {
  const t0 = e.requestStart;
  out.ensure(EXCHANGE_ROOM + 6 * (e.method.length + e.target.length));
  let buf = out.buf;
  let dv = out.view();
  let p = pieceAt(dv, out.pos, first ? EXCHANGE_FIRST : EXCHANGE_NEXT);
  p = stringAt(buf, p, e.method);
  p = pieceAt(dv, p, TARGET);
  p = stringAt(buf, p, e.target);
  p = pieceAt(dv, p, STATUS);
  p = nullableAt(buf, p, e.status);
  p = pieceAt(dv, p, SERVER_LEG);
  p = nullableAt(buf, p, e.serverLeg);
  p = pieceAt(dv, p, e.answeredLocally ? ANSWERED_TRUE : ANSWERED_FALSE);
  p = numberAt(buf, p, epoch(t0));
  p = pieceAt(dv, p, HEADERS_DONE);
  p = nullableAt(buf, p, ms(e.requestHeadersDone, t0));
  p = pieceAt(dv, p, FORWARDED);
  p = nullableAt(buf, p, ms(e.forwardedAt, t0));
  p = pieceAt(dv, p, RESPONSE_HEADERS);
  p = nullableAt(buf, p, ms(e.responseHeadersAt, t0));
  p = pieceAt(dv, p, RESPONSE_END);
  p = nullableAt(buf, p, ms(e.responseEnd, t0));
  out.pos = pieceAt(dv, p, REWRITES);
  writeRewrites(out, e.rewrites.request);
  out.ensure(REWRITES_RESPONSE.length + PIECE_SLACK);
  out.pos = pieceAt(out.view(), out.pos, REWRITES_RESPONSE);
  writeRewrites(out, e.rewrites.response);
  const h = e.haproxy;
  if (h === null) {
    out.ensure(NO_VERDICT.length + PIECE_SLACK);
    out.pos = pieceAt(out.view(), out.pos, NO_VERDICT);
    return;
  }
  const t = h.timers;
  out.ensure(VERDICT_ROOM + 6 * h.termination.length);
  buf = out.buf;
  dv = out.view();
  p = pieceAt(dv, out.pos, VERDICT);
  p = stringAt(buf, p, h.termination);
  p = pieceAt(dv, p, STATUS);
  p = numberAt(buf, p, h.status);
  p = pieceAt(dv, p, TR);
  p = numberAt(buf, p, t.TR);
  p = pieceAt(dv, p, TW);
  p = numberAt(buf, p, t.Tw);
  p = pieceAt(dv, p, TC);
  p = numberAt(buf, p, t.Tc);
  p = pieceAt(dv, p, TR2);
  p = numberAt(buf, p, t.Tr);
  p = pieceAt(dv, p, TA);
  p = numberAt(buf, p, t.Ta);
  p = pieceAt(dv, p, BYTES_READ);
  p = numberAt(buf, p, h.bytesRead);
  out.pos = pieceAt(dv, p, LOG);
  if (h instanceof HttpVerdict) writeHttpLogJson(out, h);
  else jsonString(out, h.logLine);
  out.ensure(2);
  out.buf[out.pos++] = 125;
  out.buf[out.pos++] = 125;
}

const LEG_FIRST = piece('{"source":');
const LEG_NEXT = piece(',{"source":');
const LEG_SERVER = piece(',"server":');
const LEG_NAME = piece(',"name":');
const LEG_BYTES = piece(',"bytes":{"proxyToServer":');
const LEG_SERVER_TO_PROXY = piece(',"serverToProxy":');
const LEG_NO_PP = piece('},"proxyProtocol":null');
const LEG_PP = piece('},"proxyProtocol":{"version":');
const PP_SOURCE = piece(',"source":');
const PP_DESTINATION = piece(',"destination":');
const LEG_EVIDENCE = piece(',"evidence":[');
const LEG_CONFIDENCE = piece('],"confidence":');
const LEG_ROOM = 192 + 4 * NUMBER_ROOM;

/** A server leg ref (one per server connection a session used: many for a long keep-alive client). */
function writeServerLeg(out: AsciiBuffer, l: ServerLegRef, first: boolean): void {
  const pp = l.proxyProtocol;
  let room = LEG_ROOM + 6 * (l.source.length + l.server.length + (l.name?.length ?? 0));
  if (pp !== null) room += 6 * ((pp.source?.length ?? 0) + (pp.destination?.length ?? 0));
  for (let k = 0; k < l.evidence.length; k++) room += l.evidence[k]!.length + 3;
  out.ensure(room);
  const buf = out.buf;
  const dv = out.view();
  let p = pieceAt(dv, out.pos, first ? LEG_FIRST : LEG_NEXT);
  p = stringAt(buf, p, l.source);
  p = pieceAt(dv, p, LEG_SERVER);
  p = stringAt(buf, p, l.server);
  if (l.name !== undefined) {
    p = pieceAt(dv, p, LEG_NAME);
    p = stringAt(buf, p, l.name);
  }
  p = pieceAt(dv, p, LEG_BYTES);
  p = numberAt(buf, p, l.bytes.proxyToServer);
  p = pieceAt(dv, p, LEG_SERVER_TO_PROXY);
  p = numberAt(buf, p, l.bytes.serverToProxy);
  if (pp === null) p = pieceAt(dv, p, LEG_NO_PP);
  else {
    p = pieceAt(dv, p, LEG_PP);
    p = numberAt(buf, p, pp.version);
    p = pieceAt(dv, p, PP_SOURCE);
    p = pp.source === null ? textAt(buf, p, 'null') : stringAt(buf, p, pp.source);
    p = pieceAt(dv, p, PP_DESTINATION);
    p = pp.destination === null ? textAt(buf, p, 'null') : stringAt(buf, p, pp.destination);
    buf[p++] = 125;
  }
  p = pieceAt(dv, p, LEG_EVIDENCE);
  for (let k = 0; k < l.evidence.length; k++) {
    if (k > 0) buf[p++] = 44;
    // Fixed vocabulary: nothing to escape.
    buf[p++] = 34;
    p = textAt(buf, p, l.evidence[k]!);
    buf[p++] = 34;
  }
  p = pieceAt(dv, p, LEG_CONFIDENCE);
  p = numberAt(buf, p, Math.round(l.confidence * 100) / 100);
  buf[p++] = 125;
  out.pos = p;
}

const ENTRY_FIRST = piece('{"direction":"');
const ENTRY_NEXT = piece(',{"direction":"');
const ENTRY_SERVER_LEG = piece('","serverLeg":');
const FROM_OFFSET = piece(',"fromOffset":');
const TO_OFFSET = piece(',"toOffset":');
const LENGTH = piece(',"length":');
const ARRIVED = piece(',"arrived":');
const DEPARTED = piece(',"departed":');
const EXCHANGE = piece(',"exchange":');
const PART = piece(',"part":"');
const TO_LENGTH = piece(',"toLength":');
const HOLD = piece(',"holdMs":');
const ENTRY_ROOM = 192 + 9 * NUMBER_ROOM;

/** The key order ledger.ts gives its entries (optional keys only when set), then holdMs. */
function writeLedgerEntry(out: AsciiBuffer, l: LedgerEntry, first: boolean): void {
  const part = l.part;
  out.ensure(ENTRY_ROOM + l.direction.length + (part === undefined ? 0 : part.length));
  const buf = out.buf;
  const dv = out.view();
  let p = pieceAt(dv, out.pos, first ? ENTRY_FIRST : ENTRY_NEXT);
  p = textAt(buf, p, l.direction);
  p = pieceAt(dv, p, ENTRY_SERVER_LEG);
  p = numberAt(buf, p, l.serverLeg);
  p = pieceAt(dv, p, FROM_OFFSET);
  p = numberAt(buf, p, l.fromOffset);
  p = pieceAt(dv, p, TO_OFFSET);
  p = numberAt(buf, p, l.toOffset);
  p = pieceAt(dv, p, LENGTH);
  p = numberAt(buf, p, l.length);
  p = pieceAt(dv, p, ARRIVED);
  p = numberAt(buf, p, epoch(l.arrived));
  p = pieceAt(dv, p, DEPARTED);
  p = numberAt(buf, p, epoch(l.departed));
  if (l.exchange !== undefined) {
    p = pieceAt(dv, p, EXCHANGE);
    p = numberAt(buf, p, l.exchange);
  }
  if (part !== undefined) {
    p = pieceAt(dv, p, PART);
    p = textAt(buf, p, part);
    buf[p++] = 34;
  }
  if (l.toLength !== undefined) {
    p = pieceAt(dv, p, TO_LENGTH);
    p = numberAt(buf, p, l.toLength);
  }
  p = pieceAt(dv, p, HOLD);
  p = numberAt(buf, p, Math.round((l.departed - l.arrived) * 1e6) / 1e3);
  buf[p++] = 125;
  out.pos = p;
}

/** Captured or configured text: quoted, escaped, ASCII. */
const qc = (v: string): string => asciiJson(JSON.stringify(v));

/** The header part of a rewrites object, by its (shared) `added` list, as bytes. */
const headerPartBytes = new WeakMap<HeaderRewrites['added'], Uint8Array>();

const REWRITES_NULL = ascii('null');
const BODY = ascii(',"body":"');

function writeRewrites(out: AsciiBuffer, r: HeaderRewrites | null): void {
  if (r === null) {
    out.ensure(4);
    out.pos = bytesAt(out.buf, out.pos, REWRITES_NULL);
    return;
  }
  let head = headerPartBytes.get(r.added);
  if (head === undefined) {
    const pairs = (list: string[][]): string => `[${list.map((x) => `[${x.map(qc).join(',')}]`).join(',')}]`;
    head = ascii(`{"added":${pairs(r.added)},"removed":${pairs(r.removed)},"changed":${pairs(r.changed)},"caseChanged":${pairs(r.caseChanged)}`
      + `,"reordered":${r.reordered},"requestLine":${r.requestLine === null ? 'null' : `{"before":${qc(r.requestLine.before)},"after":${qc(r.requestLine.after)}}`}`);
    headerPartBytes.set(r.added, head);
  }
  out.ensure(head.length + BODY.length + r.body.length + 2);
  const buf = out.buf;
  let p = bytesAt(buf, out.pos, head);
  p = bytesAt(buf, p, BODY);
  p = textAt(buf, p, r.body);
  buf[p++] = 34;
  buf[p++] = 125;
  out.pos = p;
}
