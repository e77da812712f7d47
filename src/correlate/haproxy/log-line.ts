/**
 * HAProxy 2.6 log lines: parseHaproxyLogLine reads one line (syslog prefix optional) into fields;
 * formatHttpLog / formatTcpLog write the fields back, byte for byte, as HAProxy does for
 *   option httplog: %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
 *                   %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
 *   option tcplog:  %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
 * (manual 8.2.2, 8.2.3). Header capture blocks only appear when captures are configured.
 */
import { formatLogDate, parseLogDate } from './log-date.js';
import { parseEvent } from './log-event.js';
import type {
  HaproxyLogLine, HttpLogFields, HttpLogLine, LogParseOptions, TcpLogFields, TcpLogLine, TerminationParts, TrafficLogFields,
} from './log-line-types.js';
import { splitSyslogPrefix, type SyslogPrefix } from './log-syslog.js';

export type * from './log-line-types.js';
export type { SyslogPrefix, SyslogFormat } from './log-syslog.js';

const HEAD = '^(\\S+):(\\d+) \\[([^\\]]+)\\] (\\S+?)(~?) ([^\\s/]+)/(\\S+) ';
const CONNS = '(\\d+)/(\\d+)/(\\d+)/(\\d+)/(\\+?)(\\d+) (\\d+)/(\\d+)';
const HTTP = new RegExp(`${HEAD}(-?\\d+)/(-?\\d+)/(-?\\d+)/(-?\\d+)/(\\+?)(-?\\d+) (-?\\d+) (\\+?)(\\d+) (\\S+) (\\S+) ([A-Za-z-]{4}) ${CONNS}( .*)$`);
const TCP = new RegExp(`${HEAD}(-?\\d+)/(-?\\d+)/(\\+?)(-?\\d+) (\\+?)(\\d+) ([A-Za-z-]{2}) ${CONNS}$`);

export function parseHaproxyLogLine(raw: string, options: LogParseOptions = {}): HaproxyLogLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const { prefix, message } = splitSyslogPrefix(line);
  const offset = options.utcOffsetMinutes ?? 0;
  return parseHttp(message, prefix, raw, offset, options)
    ?? parseTcp(message, prefix, raw, offset)
    ?? parseEvent(message, prefix, raw, offset)
    ?? { kind: 'unknown', message, syslog: prefix, raw };
}

/** The groups HEAD captures, as fields. */
function common(m: RegExpExecArray, syslog: SyslogPrefix | null, offset: number): Omit<TrafficLogFields, 'logasap' | 'bytesRead' | 'bytesReadPartial' | 'termination' | 'actconn' | 'feconn' | 'beconn' | 'srvConn' | 'retries' | 'redispatched' | 'srvQueue' | 'backendQueue'> | null {
  const date = parseLogDate(m[3] ?? '', offset);
  if (date === null) return null;
  return {
    syslog, clientAddress: m[1] ?? '', clientPort: Number(m[2]), acceptDate: date, utcOffsetMinutes: offset,
    frontend: m[4] ?? '', frontendSsl: m[5] === '~', backend: m[6] ?? '', server: m[7] ?? '',
  };
}

/** The connection counters and queues, from group index i on. */
function counters(m: RegExpExecArray, i: number): Pick<TrafficLogFields, 'actconn' | 'feconn' | 'beconn' | 'srvConn' | 'retries' | 'redispatched' | 'srvQueue' | 'backendQueue'> {
  const n = (k: number): number => Number(m[i + k]);
  return { actconn: n(0), feconn: n(1), beconn: n(2), srvConn: n(3), redispatched: m[i + 4] === '+', retries: n(5), srvQueue: n(6), backendQueue: n(7) };
}

function parseHttp(message: string, syslog: SyslogPrefix | null, raw: string, offset: number, options: LogParseOptions): HttpLogLine | null {
  const m = HTTP.exec(message);
  if (m === null) return null;
  const base = common(m, syslog, offset);
  const tail = parseHttpTail(m[28] ?? '', options);
  if (base === null || tail === null) return null;
  const n = (k: number): number => Number(m[k]);
  return {
    kind: 'http', ...base,
    timers: { TR: n(8), Tw: n(9), Tc: n(10), Tr: n(11), Ta: n(13) }, logasap: m[12] === '+',
    status: n(14), bytesReadPartial: m[15] === '+', bytesRead: n(16),
    capturedRequestCookie: m[17] ?? '-', capturedResponseCookie: m[18] ?? '-', termination: m[19] ?? '',
    ...counters(m, 20), ...tail, raw,
  };
}

/** ' {req|headers} {resp|headers} "request line"': captures contain no '}' (HAProxy encodes it as #7D). */
function parseHttpTail(tail: string, options: LogParseOptions): Pick<HttpLogFields, 'requestHeaders' | 'responseHeaders' | 'requestLine' | 'requestLineTruncated'> | null {
  const blocks: string[][] = [];
  let rest = tail;
  while (rest.startsWith(' {')) {
    const close = rest.indexOf('}', 2);
    if (close < 0) return null;
    blocks.push(rest.slice(2, close).split('|'));
    rest = rest.slice(close + 1);
  }
  if (blocks.length > 2 || !rest.startsWith(' "')) return null;
  const quoted = rest.slice(2);
  const truncated = !quoted.endsWith('"');
  let requestHeaders: string[] | null = blocks[0] ?? null;
  let responseHeaders: string[] | null = blocks[1] ?? null;
  if (blocks.length === 1 && options.captures !== undefined && !options.captures.request) {
    responseHeaders = requestHeaders;
    requestHeaders = null;
  }
  return { requestHeaders, responseHeaders, requestLine: truncated ? quoted : quoted.slice(0, -1), requestLineTruncated: truncated };
}

function parseTcp(message: string, syslog: SyslogPrefix | null, raw: string, offset: number): TcpLogLine | null {
  const m = TCP.exec(message);
  if (m === null) return null;
  const base = common(m, syslog, offset);
  if (base === null) return null;
  const n = (k: number): number => Number(m[k]);
  return {
    kind: 'tcp', ...base, timers: { Tw: n(8), Tc: n(9), Tt: n(11) }, logasap: m[10] === '+',
    bytesReadPartial: m[12] === '+', bytesRead: n(13), termination: m[14] ?? '', ...counters(m, 15), raw,
  };
}

function head(f: TrafficLogFields): string {
  return `${f.syslog?.text ?? ''}${f.clientAddress}:${f.clientPort} [${formatLogDate(f.acceptDate, f.utcOffsetMinutes)}] ${f.frontend}${f.frontendSsl ? '~' : ''} ${f.backend}/${f.server}`;
}

function tailCounters(f: TrafficLogFields): string {
  return `${f.actconn}/${f.feconn}/${f.beconn}/${f.srvConn}/${f.redispatched ? '+' : ''}${f.retries} ${f.srvQueue}/${f.backendQueue}`;
}

/** The "option httplog" line for these fields (with the syslog prefix, if any, in front). */
export function formatHttpLog(f: HttpLogFields): string {
  const t = f.timers;
  let s = `${head(f)} ${t.TR}/${t.Tw}/${t.Tc}/${t.Tr}/${f.logasap ? '+' : ''}${t.Ta} ${f.status} ${f.bytesReadPartial ? '+' : ''}${f.bytesRead} `
    + `${f.capturedRequestCookie} ${f.capturedResponseCookie} ${f.termination} ${tailCounters(f)}`;
  if (f.requestHeaders !== null) s += ` {${f.requestHeaders.join('|')}}`;
  if (f.responseHeaders !== null) s += ` {${f.responseHeaders.join('|')}}`;
  return `${s} "${f.requestLine}${f.requestLineTruncated ? '' : '"'}`;
}

/** The "option tcplog" line for these fields (with the syslog prefix, if any, in front). */
export function formatTcpLog(f: TcpLogFields): string {
  const t = f.timers;
  return `${head(f)} ${t.Tw}/${t.Tc}/${f.logasap ? '+' : ''}${t.Tt} ${f.bytesReadPartial ? '+' : ''}${f.bytesRead} ${f.termination} ${tailCounters(f)}`;
}

/** Splits a termination state: "SC--" → cause S, state C, cookie chars "--"; "cD" → c, D. */
export function terminationParts(termination: string): TerminationParts {
  return { cause: termination.charAt(0), state: termination.charAt(1), cookieChars: termination.length >= 4 ? termination.slice(2, 4) : null };
}
