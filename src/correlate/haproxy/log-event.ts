/**
 * Lines HAProxy logs that are not traffic: check results, server state changes, soft-stop
 * messages, the legacy "Connect from" line (no log option) and connection errors (8.2.5).
 */
import { parseLogDate } from './log-date.js';
import type { EventLogLine, EventType } from './log-line-types.js';
import type { SyslogPrefix } from './log-syslog.js';

type Draft = Omit<EventLogLine, 'kind' | 'message' | 'syslog' | 'raw'>;

const none = (event: EventType, proxy: string | null = null, server: string | null = null): Draft => ({
  event, proxy, server, state: null, result: null, clientAddress: null, clientPort: null, date: null,
});

const CHECK = /^(Health|Agent) check for (?:backup )?server ([^/\s]+)\/(\S+) (succeeded|failed|conditionally succeeded)\b.*?(?:, status: \d+\/\d+ (UP|DOWN)\.?)?$/;
const SERVER = /^Server ([^/\s]+)\/(\S+) (?:is|was) (.*)$/;
const NO_SERVER = /^(?:backend|proxy) '?([^'\s]+)'? has no server available!$/;
const PROXY_STATE = /^Proxy (\S+) (started|stopped)\b/;
const STOPPING = /^(Stopping|Pausing|Resuming) (?:frontend|backend|proxy|listener) '?([^'\s]+?)'?(?: |$)/;
const CONNECT = /^Connect from (\S+):(\d+) to \S+:\d+ \(([^/\s]+)\/\w+\)$/;
const CONN_ERROR = /^(\S+):(\d+) \[([^\]]+)\] ([^\s/]+)\/(\S+): (.+)$/;

export function parseEvent(message: string, syslog: SyslogPrefix | null, raw: string, utcOffsetMinutes: number): EventLogLine | null {
  const d = classify(message, utcOffsetMinutes);
  return d === null ? null : { kind: 'event', ...d, message, syslog, raw };
}

function classify(m: string, utcOffsetMinutes: number): Draft | null {
  let r = CHECK.exec(m);
  if (r) return { ...none(r[1] === 'Health' ? 'health-check' : 'agent-check', r[2], r[3]), result: r[4] ?? null, state: r[5] ?? null };
  r = SERVER.exec(m);
  if (r) return { ...none('server-state', r[1], r[2]), state: serverState(r[3] ?? '') };
  r = NO_SERVER.exec(m);
  if (r) return none('no-server', r[1]);
  r = PROXY_STATE.exec(m);
  if (r) return none(r[2] === 'started' ? 'proxy-started' : 'proxy-stopped', r[1]);
  r = STOPPING.exec(m);
  if (r) return none(r[1] === 'Stopping' ? 'proxy-stopping' : r[1] === 'Pausing' ? 'proxy-paused' : 'proxy-resumed', r[2]);
  r = CONNECT.exec(m);
  if (r) return { ...none('connect', r[3]), clientAddress: r[1] ?? null, clientPort: Number(r[2]) };
  r = CONN_ERROR.exec(m);
  if (r) {
    const date = parseLogDate(r[3] ?? '', utcOffsetMinutes);
    if (date !== null) return { ...none('connection-error', r[4]), clientAddress: r[1] ?? null, clientPort: Number(r[2]), date };
  }
  return null;
}

/** "DOWN. 0 active and ...", "UP, reason: ...", "going DOWN for maintenance ..." → DOWN, UP, MAINT. */
function serverState(text: string): string {
  if (/maint/i.test(text)) return 'MAINT';
  const w = /^(UP|DOWN|DRAIN|NOLB|going DOWN|going UP)\b/.exec(text);
  return w?.[1] ?? text;
}
