/**
 * The correlate stage's data model. Plain data only (no methods, no references to the tcp
 * stage's live objects), so legs and sessions can be kept after their connections are recycled,
 * compared in tests and printed as JSON.
 *
 *   tcp stage ──(StreamHandler)──▶ LegCollector ──▶ Leg (one per TCP connection, at its close)
 *   Legs ──▶ proxy detection ──▶ pairing ──▶ Session (one per client→proxy connection)
 *   Session ──▶ ledger, rewrites, drops, HAProxy verdict
 *
 * Times are epoch seconds (capture time). Offsets are the tcp stage's relative stream offsets.
 */
import type { HttpRequest, HttpResponse } from '../app/http/index.js';
import type { ProxyHeader } from '../app/proxy-protocol/types.js';
import type { ConnState, GapReason } from '../tcp/types.js';

/** 0: from the connection's client (who sent the SYN), 1: from its server. */
export type LegDir = 0 | 1;

export interface LegGap {
  offset: number;
  length: number;
  reason: GapReason;
  ts: number;
}

/** One direction of a leg, from its sender's side. */
export interface LegDirection {
  /** Stream length in sequence space (bytes sent, missing ones included). */
  bytes: number;
  missedBytes: number;
  retransmittedBytes: number;
  /** Delivery: [offset, length, ts] triples in order, one per segment (bounded: see LegLimits). */
  chunks: number[];
  /** The peer's acknowledgements: [ackedOffset, ts] pairs, each advancing (bounded). */
  acks: number[];
  /**
   * Segments that carried bytes already seen (retransmissions): [offset, length, ts] triples in
   * capture order, the first LegLimits.maxChunks only; absent when there were none.
   */
  resent?: number[];
  gaps: LegGap[];
  /** The first bytes of the stream (at most LegLimits.headBytes), for matching and PROXY headers. */
  head: Uint8Array;
  firstDataTs: number | null;
  lastDataTs: number | null;
  /** When this side sent its FIN / RST (first one), or null. */
  finTs: number | null;
  rstTs: number | null;
  /** Stream offset of the FIN (= bytes when the FIN was seen), or null. */
  finOffset: number | null;
}

export interface LegHttp {
  requests: HttpRequest[];
  responses: HttpResponse[];
  /** The request or response stream stopped parsing as HTTP (then it is a tcp-mode leg). */
  notHttp: boolean;
}

/** One TCP connection as the correlate stage sees it. */
export interface Leg {
  /** The tcp stage's connection id. */
  id: string;
  client: string;
  server: string;
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  start: number;
  end: number;
  state: ConnState;
  history: string;
  /** Handshake times: client's SYN, server's SYN-ACK, client's ACK of it; null when not seen. */
  synTs: number | null;
  synAckTs: number | null;
  establishedTs: number | null;
  /** [client→server, server→client]. */
  dirs: [LegDirection, LegDirection];
  /** HTTP messages when the client→server stream parsed as HTTP (after any PROXY header); else null. */
  http: LegHttp | null;
  /** A PROXY protocol preamble at the start of the client→server stream. */
  proxyProtocol: ProxyHeader | null;
  /** Capture files that saw this connection (indexes into the run's captures). */
  captures: number[];
  /**
   * Several capture points saw it: each point's view, the preferred one first (the leg's other
   * fields are that view's). Absent when one point saw it. See docs/capture-points.md.
   */
  views?: LegView[];
}

/** One capture point's view of a leg (times already on the reference clock). */
export interface LegView {
  /** Index of the capture file. */
  capture: number;
  start: number;
  end: number;
  synTs: number | null;
  dirs: [LegDirection, LegDirection];
}

export interface LegLimits {
  /** Bytes of each direction's head kept. */
  headBytes: number;
  /** Delivery chunks and ACK samples kept per direction; past it, the last entry absorbs the rest. */
  maxChunks: number;
}

export const DEFAULT_LEG_LIMITS: LegLimits = { headBytes: 16 << 10, maxChunks: 4096 };

// ---------------------------------------------------------------------------- sessions

export type ProxyMode = 'http' | 'tcp';

/** A proxy found in the capture (or named with --proxy). */
export interface ProxyInfo {
  /** Addresses it accepts on and connects from. */
  addresses: string[];
  /** "ip:port" it accepts connections on. */
  listeners: string[];
}

export type PairingEvidence =
  /** tcp mode: the client's bytes reappear in order on the server leg (and the server's on the client leg). */
  | 'bytes'
  /** http: the request line, headers and body match after normalising the proxy's rewrites. */
  | 'request'
  /** X-Forwarded-For / X-Real-IP names the client. */
  | 'forwarded-for'
  /** A PROXY protocol header names the client's address and port. */
  | 'proxy-protocol'
  /** The server leg opened and closed while the client leg was open, in order. */
  | 'timing';

export interface ServerLegRef {
  /** Leg id of the proxy→server connection. */
  leg: string;
  source: string;
  server: string;
  bytes: { proxyToServer: number; serverToProxy: number };
  proxyProtocol: { version: 1 | 2; source: string | null; destination: string | null } | null;
  evidence: PairingEvidence[];
  /** 0..1 */
  confidence: number;
  /** Server name from --haproxy-cfg, when known. */
  name?: string;
}

/** One stretch of bytes forwarded from one leg to the other. */
export interface LedgerEntry {
  /** 'clientToServer': client leg c→s bytes reappearing on a server leg c→s; 'serverToClient' the other way. */
  direction: 'clientToServer' | 'serverToClient';
  /** Index into the session's serverLegs. */
  serverLeg: number;
  /** Range on the leg the bytes arrived on. */
  fromOffset: number;
  /** Where they start on the leg they left on. */
  toOffset: number;
  length: number;
  /** Arrival at the proxy, departure from it (epoch seconds). */
  arrived: number;
  departed: number;
  /** http mode: index into the session's exchanges, and which part of the message this is. */
  exchange?: number;
  part?: 'headers' | 'body';
  /** Length on the leg the bytes left on, when it differs (a rewritten header block, a reframed body). */
  toLength?: number;
}

export interface HeaderRewrites {
  added: [string, string][];
  removed: [string, string][];
  /** [name, before, after] */
  changed: [string, string, string][];
  /** [before, after] names */
  caseChanged: [string, string][];
  /** Header order differs (beyond additions and removals). */
  reordered: boolean;
  requestLine: { before: string; after: string } | null;
  /** 'same' | 'reframed' (chunk boundaries or framing changed, same bytes) | 'changed' | 'unknown' (damaged). */
  body: 'same' | 'reframed' | 'changed' | 'unknown';
}

export interface ExchangeVerdict {
  termination: string;
  status: number;
  timers: { TR: number; Tw: number; Tc: number; Tr: number; Ta: number };
  bytesRead: number;
  /** The line HAProxy would have written with `option httplog`. */
  logLine: string;
}

export interface Exchange {
  method: string;
  target: string;
  status: number | null;
  /** Index into serverLegs; null when the proxy answered itself. */
  serverLeg: number | null;
  /** Requests answered by the proxy itself (503 with no server up, 400, 403 deny, stats page). */
  answeredLocally: boolean;
  /** Times on the client leg: request first byte, request headers complete, response last byte. */
  requestStart: number;
  requestHeadersDone: number | null;
  responseEnd: number | null;
  /** Times on the server leg: request sent (first byte), response headers received. */
  forwardedAt: number | null;
  responseHeadersAt: number | null;
  rewrites: { request: HeaderRewrites | null; response: HeaderRewrites | null };
  haproxy: ExchangeVerdict | null;
}

export interface Drop {
  direction: 'serverToClient' | 'clientToServer';
  bytes: number;
  first: number;
  last: number;
  /** A sentence: why, with the timeout inferred when the proxy's close followed idleness. */
  cause: string;
  /** Stable code: 'proxy_closed_other_side' | 'server_never_connected' | 'client_gone' | 'after_session_end'. */
  code: string;
}

/**
 * Segments lost on the way and retransmitted (delivered late, so not drops), located between two
 * capture points of a leg (correlate/point-losses.ts): one per retransmitted segment.
 */
export interface Loss {
  /** 'client' or the index into serverLegs of the leg it crossed. */
  leg: 'client' | number;
  direction: 'serverToClient' | 'clientToServer';
  /** Stream offset on that leg, and length. */
  offset: number;
  bytes: number;
  /** Copies that never reached the point nearer the receiver (1 unless retransmissions were lost too). */
  copiesLost: number;
  /** When the lost copy was sent, and the copy that got through (at the point nearer the sender). */
  sent: number;
  resent: number;
  /** 'lost_between_client_and_proxy' | 'lost_between_proxy_and_server' | 'lost_inside_proxy_host'. */
  code: string;
  cause: string;
}

export interface TcpVerdict {
  termination: string;
  timers: { Tw: number; Tc: number; Tt: number };
  bytesRead: number;
  logLine: string;
}

export interface Session {
  /** The client leg's id. */
  id: string;
  mode: ProxyMode;
  client: string;
  frontend: string;
  /** Frontend name from --haproxy-cfg. */
  frontendName?: string;
  start: number;
  end: number;
  bytes: { clientToProxy: number; proxyToClient: number };
  serverLegs: ServerLegRef[];
  exchanges: Exchange[];
  haproxy: TcpVerdict | null;
  drops: Drop[];
  /** Several capture points only, when there are some: segments lost on the way and retransmitted, located. */
  losses?: Loss[];
  ledger: LedgerEntry[];
}

export interface ServerOnlyConnection {
  /** Leg id. */
  leg: string;
  source: string;
  server: string;
  kind: 'health-check' | 'unpaired';
  /** For HTTP health checks: the request line. */
  request?: string;
}
