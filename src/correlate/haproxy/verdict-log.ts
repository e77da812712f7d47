/**
 * The log lines a verdict carries, through the same formatters that parse real ones. Connection
 * counters and queue sizes cannot be seen in a capture: the line gets the values of a lone stream
 * (1/1/0/0) so that it parses, and compare-log ignores them.
 */
import { formatHttpLog, formatTcpLog } from './log-line.js';
import type { HttpLogFields, TcpLogFields } from './log-line-types.js';
import type { Leg } from '../model.js';
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
