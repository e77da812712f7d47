/**
 * The log lines a verdict carries, through the same formatters that parse real ones. Connection
 * counters and queue sizes cannot be seen in a capture: the line gets the values of a lone stream
 * (1/1/0/0) so that it parses, and compare-log ignores them.
 */
import { formatHttpLog, formatTcpLog } from './log-line.js';
import type { HttpLogFields, TcpLogFields } from './log-line-types.js';
import type { ExchangeVerdict, Leg } from '../model.js';
import type { VerdictNames } from './verdict-names.js';

/** %ci:%cp: the client leg's source, or the address a PROXY header in front of it named (accept-proxy). */
export function logClient(client: Leg): { clientAddress: string; clientPort: number } {
  const src = client.proxyProtocol?.source ?? null;
  const m = src === null ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(src);
  if (m !== null) return { clientAddress: m[1]!, clientPort: Number(m[2]) };
  return { clientAddress: client.clientAddress, clientPort: client.clientPort };
}

export interface LineBase {
  clientAddress: string;
  clientPort: number;
  /** Epoch ms of the bracketed date. */
  date: number;
  names: VerdictNames;
  bytesRead: number;
  termination: string;
  retries: number;
}

export function tcpLine(b: LineBase, timers: TcpLogFields['timers']): string {
  return formatTcpLog({
    kind: 'tcp', timers, syslog: null, clientAddress: b.clientAddress, clientPort: b.clientPort, acceptDate: b.date, utcOffsetMinutes: 0,
    frontend: b.names.frontend, frontendSsl: false, backend: b.names.backend, server: b.names.server, logasap: false,
    bytesRead: b.bytesRead, bytesReadPartial: false, termination: b.termination,
    actconn: 1, feconn: 1, beconn: 0, srvConn: 0, retries: b.retries, redispatched: false, srvQueue: 0, backendQueue: 0,
  });
}

export function httpLine(
  b: LineBase, timers: HttpLogFields['timers'], status: number, requestLine: string, requestHeaders: string[] | null,
): string {
  // One literal (no spread of shared fields): this runs once per exchange.
  return formatHttpLog({
    kind: 'http', timers, status, capturedRequestCookie: '-', capturedResponseCookie: '-',
    requestHeaders, responseHeaders: null, requestLine: encodeLogText(requestLine), requestLineTruncated: false,
    syslog: null, clientAddress: b.clientAddress, clientPort: b.clientPort, acceptDate: b.date, utcOffsetMinutes: 0,
    frontend: b.names.frontend, frontendSsl: false, backend: b.names.backend, server: b.names.server, logasap: false,
    bytesRead: b.bytesRead, bytesReadPartial: false, termination: b.termination,
    actconn: 1, feconn: 1, beconn: 0, srvConn: 0, retries: b.retries, redispatched: false, srvQueue: 0, backendQueue: 0,
  });
}

/**
 * An http exchange's verdict whose log line is built only when read. `analyze` writes most lines
 * straight into its output from these fields (report/http-log-json.ts); building each one as a
 * string first was a quarter GB of short-lived pieces on a large capture. The line is the one
 * httpLine writes for them: a lone stream's counters, no cookies captured, no syslog prefix.
 */
export class HttpVerdict implements ExchangeVerdict {
  termination: string;
  status: number;
  timers: HttpLogFields['timers'];
  bytesRead: number;
  readonly clientAddress: string;
  readonly clientPort: number;
  /** Epoch ms of the bracketed date. */
  readonly date: number;
  readonly frontend: string;
  readonly backend: string;
  readonly server: string;
  readonly retries: number;
  /** The request line's parts as the request had them (version null: none parsed); see requestLine. */
  readonly method: string;
  readonly target: string;
  readonly version: string | null;
  readonly requestHeaders: string[] | null;
  private text: string | null = null;

  constructor(
    client: { clientAddress: string; clientPort: number }, date: number, names: VerdictNames, termination: string, status: number,
    timers: HttpLogFields['timers'], bytesRead: number, retries: number, method: string, target: string, version: string | null,
    requestHeaders: string[] | null,
  ) {
    this.termination = termination;
    this.status = status;
    this.timers = timers;
    this.bytesRead = bytesRead;
    this.clientAddress = client.clientAddress;
    this.clientPort = client.clientPort;
    this.date = date;
    this.frontend = names.frontend;
    this.backend = names.backend;
    this.server = names.server;
    this.retries = retries;
    this.method = method;
    this.target = target;
    this.version = version;
    this.requestHeaders = requestHeaders;
  }

  /**
   * The request line before encodeLogText: "method target version" when a request parsed, HAProxy's
   * <BADREQ> when nothing did (its 400/408 to garbage or silence), else "method target".
   */
  get requestLine(): string {
    if (this.version !== null) return `${this.method} ${this.target} ${this.version}`;
    return this.method === '' ? BADREQ : `${this.method} ${this.target}`;
  }

  get logLine(): string {
    if (this.text === null) {
      this.text = httpLine({
        clientAddress: this.clientAddress, clientPort: this.clientPort, date: this.date,
        names: { frontend: this.frontend, backend: this.backend, server: this.server, frontendSection: null, backendSection: null, serverEntry: null },
        bytesRead: this.bytesRead, termination: this.termination, retries: this.retries,
      }, this.timers, this.status, this.requestLine, this.requestHeaders);
    }
    return this.text;
  }

  /** Own enumerable fields as a plain verdict has them (JSON.stringify, spreads, deep equality in tests). */
  toJSON(): ExchangeVerdict {
    return { termination: this.termination, status: this.status, timers: this.timers, bytesRead: this.bytesRead, logLine: this.logLine };
  }
}

export const BADREQ = '<BADREQ>';

/** HAProxy writes '"', '#', control and non-ASCII bytes of the request line as #XX. */
export function encodeLogText(s: string): string {
  if (!NEEDS_ENCODING.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c >= 0x7f || ch === '"' || ch === '#' ? `#${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

const NEEDS_ENCODING = /[^\x20-\x7e]|["#]/;
