/**
 * What HAProxy logged (option httplog) for each exchange of an http-mode session.
 *
 * Each request is a stream with its own accept time A: the client's handshake for the first
 * request of a connection; the end of the previous stream for the next ones (HAProxy 2.6's H1 mux
 * dates a keep-alive request from when the previous one finished, and measures the wait as idle
 * time). From A, in truncated milliseconds (verdict-clock.ts), with HAProxy's clock for an event
 * being its first visible reaction when that follows within a few ms (verdict-leg.ts):
 *   t_idle    first request byte read (the reaction to it when the headers came in one packet);
 *   t_request headers complete (reaction: server SYN, forwarded request, or local answer);
 *   t_queue   connect() to the server (its SYN), or the request sent on a reused connection;
 *   t_connect connection established as the proxy saw it: its first byte after the SYN-ACK
 *             (= t_queue on a reused connection);
 *   t_data    response headers complete on the server leg (the relay of them to the client when
 *             that follows within RELAY_WINDOW: HAProxy read them in the loop that relayed them);
 *   t_close   last response byte to the client, or the proxy's first close (RST/FIN) of either
 *             leg when no complete response reached the client.
 * Logged (2.6): TR = t_request - t_idle, Tw = t_queue - t_request, Tc = t_connect - t_queue,
 * Tr = t_data - t_connect, Ta = t_close - t_idle; -1 for a step never reached. The date is
 * accept date + t_idle. bytes_read: verdict-bytes.ts. Termination: verdict-http-termination.ts.
 */
import type { ExchangeVerdict, Leg, Session } from '../model.js';
import type { HaproxyConfig } from './config-types.js';
import { cookieFlags } from './verdict-cookie.js';
import { DEFAULT_ERROR_BYTES, htxResponseBytes } from './verdict-bytes.js';
import { logDateMs, msElapsed } from './verdict-clock.js';
import { exchangeViews, type ExchangeView } from './verdict-http-view.js';
import { httpOutcome } from './verdict-http-termination.js';
import { REACTION_WINDOW, ackedOffset, firstClose, latest, reactionOf } from './verdict-leg.js';
import { HttpVerdict, logClient } from './verdict-log.js';
import { resolveNames, type VerdictNames } from './verdict-names.js';
import { sessionLegs } from './verdict-session.js';
import { headerValue } from '../../app/http/headers.js';

export function inferHttpVerdicts(session: Session, legs: ReadonlyMap<string, Leg>, cfg?: HaproxyConfig): ExchangeVerdict[] {
  const sl = sessionLegs(session, legs);
  const client = sl.client;
  const from = logClient(client);
  const out: ExchangeVerdict[] = [];
  let previousEnd: number | null = null;
  for (const v of exchangeViews(session, sl)) {
    const names = namesOf(session, v, cfg);
    const t = timeline(v, client, previousEnd, cfg !== undefined && !canQueue(names));
    previousEnd = t.close;
    const accept = t.accept;
    const idle = msElapsed(accept, t.firstRead);
    const request = msOrNever(accept, t.requestRead);
    const queue = msOrNever(accept, t.queue);
    const connect = msOrNever(accept, t.connect);
    const data = msOrNever(accept, t.data);
    const timers = {
      TR: request >= 0 ? request - idle : -1,
      Tw: queue >= 0 && request >= 0 ? queue - request : -1,
      Tc: connect >= 0 ? connect - queue : -1,
      Tr: data >= 0 && connect >= 0 ? data - connect : -1,
      Ta: msElapsed(accept, t.close) - idle,
    };
    const outcome = httpOutcome(v, client);
    const termination = outcome.state + cookieFlags(names.backendSection, names.serverEntry, v.clientRequest, v.serverResponse, v.clientResponse);
    const bytesRead = bytesReadOf(v, outcome.status);
    const req = v.clientRequest;
    const retries = Math.max(0, v.failedAttempts.length - (v.server === null ? 1 : 0));
    out.push(new HttpVerdict(from, logDateMs(accept, idle), names, termination, outcome.status, timers, bytesRead, retries,
      req?.method ?? v.exchange.method, req?.target ?? v.exchange.target, req?.version ?? null, capturedHeaders(names, v)));
  }
  return out;
}

/**
 * An exchange's event times (epoch seconds), NaN for an event never reached. One object, filled
 * anew for each exchange and read before the next: all-number fields are stored in place, where a
 * new object with nullable ones boxed each of its seven times.
 */
interface Timeline {
  accept: number;
  firstRead: number;
  requestRead: number;
  queue: number;
  connect: number;
  data: number;
  close: number;
}

const scratch: Timeline = { accept: NaN, firstRead: NaN, requestRead: NaN, queue: NaN, connect: NaN, data: NaN, close: NaN };

/** msOrUnset for a Timeline time (capture times are finite: NaN is "never"). */
function msOrNever(origin: number, t: number): number {
  return Number.isNaN(t) ? -1 : msElapsed(origin, t);
}

/**
 * How late the relayed response may follow the server's and still date HAProxy's reading of it.
 * Nothing but a stalled process holds a response back (HAProxy forwards what it read in the same
 * poll loop), and on a loaded host a loop can run 10 ms or more; past this the client's side is
 * the cause (a closed window), not HAProxy's clock.
 */
const RELAY_WINDOW = 0.05;

/** Seconds: a proxy slower than this to react to a complete request was busy with something else than reading late. */
const LATE_READ_MAX_SECONDS = 1;

/**
 * Whether HAProxy could have held this request in a queue: only for a server with a maxconn
 * (its own or default-server's; 0 is no limit), or with `option http-buffer-request` (it then
 * waits for the body before connecting).
 */
function canQueue(names: VerdictNames): boolean {
  if (names.serverEntry === null) return true;
  if (names.backendSection?.options['http-buffer-request']?.enabled === true) return true;
  if (names.frontendSection?.options['http-buffer-request']?.enabled === true) return true;
  return (names.serverEntry.maxconn ?? 0) > 0;
}

/**
 * @param noQueue the configuration rules out any wait between reading the request and connecting
 *   (canQueue): then HAProxy's first reaction to the request, however late, is when it read it;
 *   a late one means a busy or descheduled process, and HAProxy's clock stamped the request then.
 */
function timeline(v: ExchangeView, client: Leg, previousEnd: number | null, noQueue: boolean): Timeline {
  const creq = v.clientRequest;
  const start = creq?.firstByteTs ?? v.exchange.requestStart;
  const accept = previousEnd ?? client.establishedTs ?? client.synAckTs ?? client.start;
  const firstAttempt = v.newConnection ? v.server!.synTs : v.failedAttempts[0]?.synTs ?? null;
  const sentOnServer = v.serverRequest?.firstByteTs ?? null;
  const localAnswer = v.server === null ? v.clientResponse?.firstByteTs ?? null : null;

  const headersAt = creq !== null && creq.headersCompleteTs >= 0 ? creq.headersCompleteTs : null;
  const queue = firstAttempt ?? sentOnServer;
  let requestRead = headersAt === null ? null : reactionOf(headersAt, REACTION_WINDOW, firstAttempt, sentOnServer, localAnswer);
  if (noQueue && headersAt !== null && requestRead === headersAt && queue !== null && queue > headersAt && queue - headersAt <= LATE_READ_MAX_SECONDS) {
    requestRead = queue;
  }
  const firstRead = creq !== null && creq.firstByteTs === creq.headersCompleteTs && requestRead !== null ? requestRead : start;

  let connect: number | null = null;
  if (v.server !== null && v.server.synAckTs !== null) {
    connect = v.newConnection ? reactionOf(v.server.synAckTs, REACTION_WINDOW, v.server.dirs[0].firstDataTs) : queue;
  }
  const sresp = v.serverResponse;
  const data = sresp !== null && sresp.headersCompleteTs >= 0 ? reactionOf(sresp.headersCompleteTs, RELAY_WINDOW, v.clientResponse?.firstByteTs) : null;

  let close: number;
  const cresp = v.clientResponse;
  if (cresp !== null && cresp.complete) {
    close = cresp.lastByteTs;
  } else {
    const toServer = v.server === null ? null : firstCloseSince(v.server, 0, start);
    const toClient = firstCloseSince(client, 1, start);
    const closed = toServer === null ? toClient : toClient === null || toServer <= toClient ? toServer : toClient;
    close = latest(cresp?.lastByteTs, closed) ?? client.end;
  }
  const out = scratch;
  out.accept = accept;
  out.firstRead = firstRead;
  out.requestRead = requestRead ?? NaN;
  out.queue = queue ?? NaN;
  out.connect = connect ?? NaN;
  out.data = data ?? NaN;
  out.close = close;
  return out;
}

function firstCloseSince(leg: Leg, dir: 0 | 1, since: number): number | null {
  const d = leg.dirs[dir];
  const c = firstClose(d);
  if (c !== null && c.ts >= since) return c.ts;
  return d.rstTs !== null && d.rstTs >= since ? d.rstTs : null;
}

function namesOf(session: Session, v: ExchangeView, cfg: HaproxyConfig | undefined): VerdictNames {
  const target = v.server ?? v.failedAttempts[v.failedAttempts.length - 1] ?? null;
  const ref = v.serverRef !== null ? session.serverLegs[v.serverRef] : undefined;
  return resolveNames({
    frontendEndpoint: session.frontend, frontendName: session.frontendName, serverEndpoint: target?.server ?? null,
    serverName: ref?.name, request: v.clientRequest, cfg,
  });
}

/** HTX bytes of the response as it entered HAProxy (the server's, as far as it was received), or of its own answer. */
function bytesReadOf(v: ExchangeView, status: number): number {
  const sresp = v.serverResponse;
  if (sresp !== null && sresp.headersCompleteTs >= 0 && v.server !== null) {
    // What HAProxy received of the body: all of it once it forwarded the whole response (the
    // proxy may close the server leg before ACKing its last segment), else what it ACKed.
    const received = v.clientResponse?.complete === true ? sresp.body.length : ackedOffset(v.server.dirs[1]) - sresp.bodyOffset;
    const body = sresp.body.framing === 'chunked' ? sresp.body.length : Math.max(0, Math.min(sresp.body.length, received));
    return htxResponseBytes(sresp, body);
  }
  if (v.clientResponse !== null) return htxResponseBytes(v.clientResponse);
  return DEFAULT_ERROR_BYTES[status] ?? 0;
}

/** Values of the frontend's "capture request header" slots, when configured. */
function capturedHeaders(names: VerdictNames, v: ExchangeView): string[] | null {
  const slots = names.frontendSection?.captures.requestHeaders ?? [];
  if (slots.length === 0) return null;
  return slots.map((s) => {
    const value = v.clientRequest === null || s.name === '' ? undefined : headerValue(v.clientRequest.headers, s.name);
    return value === undefined ? '' : value.slice(0, s.length);
  });
}
