/**
 * The header a log transport puts before HAProxy's message. HAProxy 2.6 "log ... format X"
 * (manual 3.1 "log") writes, for the same message:
 *   raw       127.0.0.1:54026 [21/Nov/2026:...] ...
 *   local     <134>Nov 21 08:00:02 haproxy[28321]: ...        (the default: rfc3164 without host)
 *   rfc3164   <134>Nov 21 08:00:02 localhost haproxy[28321]: ...
 *   rfc5424   <134>1 2026-11-21T08:00:02.522005+00:00 - haproxy 28321 - - ...
 *   priority  <134>...          short  <6>...
 *   timed     <6>2026-11-21T08:00:02.522027+00:00 ...
 *   iso       2026-11-21T08:00:02.522028+00:00 ...
 * and a syslog daemon writing a file gives "Nov 21 08:00:02 host haproxy[28321]: ...". HAProxy's
 * own stderr (haproxy -db) uses "[WARNING]  (20673) : ...".
 */

export type SyslogFormat = 'rfc3164' | 'rfc5424' | 'priority' | 'timed' | 'iso' | 'stderr';

export interface SyslogPrefix {
  /** Exactly the text removed from the front of the line: the formatters put it back as is. */
  text: string;
  format: SyslogFormat;
  /** <PRI> = facility × 8 + severity; null when absent. */
  priority: number | null;
  facility: number | null;
  severity: number | null;
  /** As written (RFC 3164 "Nov 21 08:00:02" or ISO 8601). */
  timestamp: string | null;
  host: string | null;
  /** Program name ("haproxy"). */
  tag: string | null;
  pid: number | null;
  /** stderr only: NOTICE, WARNING, ALERT, ... */
  level: string | null;
}

const PRI = /^<(\d{1,3})>/;
const RFC3164_TIME = '([A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2})';
const TAG = '([^\\s\\[\\]:]+)(?:\\[(\\d+)\\])?: ';
// Without a host first: "haproxy[1]: x: y" must not read "haproxy[1]:" as a host name.
const RFC3164_NO_HOST = new RegExp(`^${RFC3164_TIME} ${TAG}`);
const RFC3164_HOST = new RegExp(`^${RFC3164_TIME} (\\S+) ${TAG}`);
const RFC5424 = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) /;
const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;
const STDERR = /^\[(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG|DIAG|TRACE)\]\s+\((\d+)\) : /;

/** Splits a line into its transport prefix (null when there is none, as with "format raw") and the message. */
export function splitSyslogPrefix(line: string): { prefix: SyslogPrefix | null; message: string } {
  const base = (format: SyslogFormat, text: string, priority: number | null): SyslogPrefix => ({
    text, format, priority, facility: priority === null ? null : priority >> 3, severity: priority === null ? null : priority & 7,
    timestamp: null, host: null, tag: null, pid: null, level: null,
  });
  const done = (p: SyslogPrefix): { prefix: SyslogPrefix; message: string } => ({ prefix: p, message: line.slice(p.text.length) });

  const stderr = STDERR.exec(line);
  if (stderr) return done({ ...base('stderr', stderr[0], null), level: stderr[1] ?? null, pid: Number(stderr[2]) });

  const pri = PRI.exec(line);
  const priority = pri ? Number(pri[1]) : null;
  if (priority !== null && priority > 191) return { prefix: null, message: line };
  const head = pri ? pri[0] : '';
  const rest = line.slice(head.length);

  if (pri) {
    const r5424 = RFC5424.exec(rest);
    if (r5424) {
      const nil = (v: string | undefined): string | null => (v === undefined || v === '-' ? null : v);
      const pid = nil(r5424[4]);
      return done({
        ...base('rfc5424', head + r5424[0], priority), timestamp: nil(r5424[1]), host: nil(r5424[2]), tag: nil(r5424[3]),
        pid: pid !== null && /^\d+$/.test(pid) ? Number(pid) : null,
      });
    }
  }
  const r3164 = RFC3164_NO_HOST.exec(rest);
  if (r3164) return done({ ...base('rfc3164', head + r3164[0], priority), timestamp: r3164[1] ?? null, tag: r3164[2] ?? null, pid: pidOf(r3164[3]) });
  const r3164h = RFC3164_HOST.exec(rest);
  if (r3164h) {
    return done({
      ...base('rfc3164', head + r3164h[0], priority), timestamp: r3164h[1] ?? null, host: r3164h[2] ?? null, tag: r3164h[3] ?? null, pid: pidOf(r3164h[4]),
    });
  }
  const iso = ISO.exec(rest);
  if (iso) return done({ ...base(pri ? 'timed' : 'iso', head + iso[0], priority), timestamp: iso[1] ?? null });
  if (pri) return done(base('priority', head, priority));
  return { prefix: null, message: line };
}

function pidOf(s: string | undefined): number | null {
  return s === undefined ? null : Number(s);
}
