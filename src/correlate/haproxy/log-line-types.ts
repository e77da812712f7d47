/**
 * Parsed HAProxy 2.6 log lines: traffic logs in the "option httplog" and "option tcplog" formats
 * (manual 8.2.3, 8.2.2), events (health checks, server state, soft stop), and the rest.
 */
import type { SyslogPrefix } from './log-syslog.js';

export type LogLineKind = 'http' | 'tcp' | 'event' | 'unknown';

/** Fields both traffic formats share. */
export interface TrafficLogFields {
  syslog: SyslogPrefix | null;
  /** 'unix' (and the listener id as port) for UNIX sockets; the PROXY protocol's address with accept-proxy. */
  clientAddress: string;
  clientPort: number;
  /**
   * Epoch ms of the bracketed date. In tcplog it is the accept date (%t); in httplog it is the
   * request date (%tr), when the request's first byte arrived, i.e. after any keep-alive idle time.
   */
  acceptDate: number;
  /** Minutes east of UTC the date was read with (0: UTC); formatting uses it too. */
  utcOffsetMinutes: number;
  frontend: string;
  /** The frontend name carried a '~': the client connection used SSL/TLS (%ft). */
  frontendSsl: boolean;
  backend: string;
  /** '<NOSRV>' when no server was reached, '<STATS>', '<CACHE>', ... for applets. */
  server: string;
  /** Ta / Tt had a leading '+': "option logasap" logged before the end, the real value is larger. */
  logasap: boolean;
  bytesRead: number;
  /** bytes_read had a leading '+' (logasap too). */
  bytesReadPartial: boolean;
  /** As logged: 2 characters in tcplog, 4 in httplog (the last two are the persistence cookie's). */
  termination: string;
  actconn: number;
  feconn: number;
  beconn: number;
  srvConn: number;
  retries: number;
  /** retries had a leading '+': the stream was redispatched to another server after its retries. */
  redispatched: boolean;
  srvQueue: number;
  backendQueue: number;
}

export interface HttpLogFields extends TrafficLogFields {
  kind: 'http';
  /** -1 when the step was not reached. */
  timers: { TR: number; Tw: number; Tc: number; Tr: number; Ta: number };
  /** -1 when no response was sent (client abort). */
  status: number;
  /** "name=value" of "capture cookie", '-' when not seen. */
  capturedRequestCookie: string;
  capturedResponseCookie: string;
  /** Values of "capture request/response header" in declaration order, null when the block is absent. */
  requestHeaders: string[] | null;
  responseHeaders: string[] | null;
  /** Between the quotes, non-printables encoded as #XX by HAProxy ('"' is #22). "<BADREQ>" for invalid requests. */
  requestLine: string;
  /** The closing quote is missing: the line was cut at the log length limit. */
  requestLineTruncated: boolean;
}

export interface TcpLogFields extends TrafficLogFields {
  kind: 'tcp';
  timers: { Tw: number; Tc: number; Tt: number };
}

/** Derived from termination, for convenience (formatting only reads termination). */
export interface TerminationParts {
  /** First event that ended the session: C S P L R I D U K c s or '-'. */
  cause: string;
  /** Session state then: R Q C H D L T or '-'. */
  state: string;
  /** httplog only: the client's persistence cookie (N I D V E O U -) and what was done with the server's (N I U D R P -). */
  cookieChars: string | null;
}

export type EventType =
  | 'health-check' | 'agent-check' | 'server-state' | 'no-server' | 'proxy-started' | 'proxy-stopped' | 'proxy-stopping'
  | 'proxy-paused' | 'proxy-resumed' | 'connect' | 'connection-error';

export interface EventLogLine {
  kind: 'event';
  event: EventType;
  proxy: string | null;
  server: string | null;
  /** health-check / agent-check: "UP" / "DOWN" after the check; server-state: "UP", "DOWN", "MAINT", ... */
  state: string | null;
  /** health checks: "succeeded", "failed", "conditionally succeeded". */
  result: string | null;
  /** connect / connection-error: who. */
  clientAddress: string | null;
  clientPort: number | null;
  /** connection-error: epoch ms of its accept date. */
  date: number | null;
  message: string;
  syslog: SyslogPrefix | null;
  raw: string;
}

export interface UnknownLogLine {
  kind: 'unknown';
  message: string;
  syslog: SyslogPrefix | null;
  raw: string;
}

export type HttpLogLine = HttpLogFields & { raw: string };
export type TcpLogLine = TcpLogFields & { raw: string };
export type HaproxyLogLine = HttpLogLine | TcpLogLine | EventLogLine | UnknownLogLine;

export interface LogParseOptions {
  /** The HAProxy host's offset from UTC in minutes, to read its local-time dates (default 0). */
  utcOffsetMinutes?: number;
  /**
   * Which header capture blocks the frontend logs. Needed only to tell a lone block apart:
   * by default one block is taken as request headers, two as request then response.
   */
  captures?: { request: boolean; response: boolean };
}
