/**
 * The verdict tab: per verdict (a tcp session's, or each exchange's), the termination state
 * explained, the timers, the inferred log line and, with --haproxy-log, HAProxy's real line
 * with the fields that differ marked under it.
 */
import type { LineComparison, Verdict } from '../correlate/haproxy/compare-log.js';
import type { Session } from '../correlate/model.js';
import { splitSyslogPrefix } from '../correlate/haproxy/log-syslog.js';
import { escapeInline } from '../report/escape.js';
import { line, seg, wrapWords, type Line } from './text-line.js';

/** HAProxy manual 8.5: first character, who or what ended the session. */
const FIRST: Record<string, string> = {
  C: 'the client aborted', S: 'the server aborted or refused', P: 'the proxy aborted (deny, internal error)',
  L: 'the proxy answered itself', R: 'a resource on the proxy was exhausted', I: 'an internal error',
  D: 'the server was marked down', U: 'the server was marked up (redispatch)', K: 'killed by an administrator',
  c: 'a client-side timeout expired', s: 'a server-side timeout expired', '-': 'normal end',
};

/** Second character: the session's state at that moment. */
const SECOND: Record<string, string> = {
  R: 'waiting for the request', Q: 'queued for a server', C: 'connecting to the server', H: 'waiting for the response headers',
  D: 'in the data phase', L: 'sending the last data to the client', T: 'tarpitted', '-': 'normal end',
};

export function explainTermination(t: string): string {
  const a = FIRST[t[0] ?? ''] ?? 'unknown';
  const b = SECOND[t[1] ?? ''] ?? 'unknown';
  return t.startsWith('--') ? 'normal end' : `${a}, ${b}`;
}

/** Which space-separated tokens of a log line hold each compared field (httplog / tcplog). */
const HTTP_TOKENS: Record<string, number> = { frontend: 2, backend: 3, server: 3, TR: 4, Tw: 4, Tc: 4, Tr: 4, Ta: 4, status: 5, bytesRead: 6, termination: 9 };
const TCP_TOKENS: Record<string, number> = { frontend: 2, backend: 3, server: 3, Tw: 4, Tc: 4, Tt: 4, bytesRead: 5, termination: 6 };

/** A line of '^' under the tokens of `logLine` that hold the differing fields. */
export function differenceMarks(logLine: string, c: LineComparison): string {
  const tokens = logLine.split(' ');
  const map = c.logged.kind === 'http' ? HTTP_TOKENS : TCP_TOKENS;
  const marked = new Set(c.differ.map((d) => map[d.field]).filter((x): x is number => x !== undefined));
  let out = '';
  tokens.forEach((t, i) => {
    out += (marked.has(i) ? '^' : ' ').repeat(t.length) + ' ';
  });
  return out.trimEnd();
}

function verdictBlock(out: Line[], title: string, v: Verdict | null, cmp: LineComparison | undefined, hasLog: boolean, width: number): void {
  out.push(line(seg(title, { bold: true })));
  if (v === null) {
    out.push(line(seg('  no verdict inferred', { dim: true })));
    out.push([]);
    return;
  }
  const term = escapeInline(v.termination);
  const abnormal = !v.termination.startsWith('--');
  out.push(line('  termination ', seg(term, abnormal ? { color: 'red', bold: true } : { color: 'green' }), seg(`  ${explainTermination(v.termination)}`, { dim: true })));
  const timers = Object.entries(v.timers).map(([k, n]) => `${k} ${n}`).join('  ');
  out.push(line(`  timers (ms) ${timers}   bytes read ${v.bytesRead}${'status' in v ? `   status ${v.status}` : ''}`));
  const pad = '            ';
  const logLine = (label: string, text: string, style = {}): void => {
    wrapWords(escapeInline(text), Math.max(20, width - pad.length - 2)).forEach((piece, i) => out.push(line(seg(i === 0 ? `  ${label.padEnd(pad.length - 2)}` : pad), seg(piece, style))));
  };
  logLine('inferred:', v.logLine);
  if (cmp) {
    const differs = cmp.differ.length > 0;
    // The message without its syslog prefix, so its tokens line up with the inferred line's.
    const message = splitSyslogPrefix(cmp.logged.raw.replace(/\r$/, '')).message;
    logLine('logged:', message, differs ? { color: 'yellow' } : { color: 'green' });
    if (differs) {
      const logged = escapeInline(message);
      if (logged.length <= Math.max(20, width - pad.length - 2)) out.push(line(pad, seg(differenceMarks(logged, cmp), { color: 'red', bold: true })));
      for (const d of cmp.differ) out.push(line(seg(`  differs: ${d.field} logged ${escapeInline(String(d.logged))}, inferred ${escapeInline(String(d.inferred))}`, { color: 'red' })));
    }
    wrapWords(`agrees: ${cmp.agree.join(', ') || '-'}`, Math.max(20, width - 4)).forEach((piece, i) => out.push(line(seg(`${i === 0 ? '  ' : '    '}${piece}`, { color: 'green', dim: true }))));
  } else if (hasLog) {
    out.push(line(seg('  logged:   no line of the HAProxy log matches this verdict', { color: 'yellow' })));
  }
  out.push([]);
}

export function verdictLines(s: Session, logIndex: ReadonlyMap<Verdict, LineComparison> | null, width: number): Line[] {
  const out: Line[] = [];
  if (logIndex === null) out.push(line(seg('(no --haproxy-log: inferred lines only)', { dim: true })), []);
  if (s.mode === 'tcp' || s.exchanges.length === 0) {
    verdictBlock(out, `session ${escapeInline(s.id)} (${s.mode})`, s.haproxy, s.haproxy ? logIndex?.get(s.haproxy) : undefined, logIndex !== null, width);
  }
  s.exchanges.forEach((e, i) => {
    const title = `exchange ${i + 1}/${s.exchanges.length}: ${escapeInline(`${e.method} ${e.target}`)} -> ${e.status ?? 'no response'}`;
    verdictBlock(out, title, e.haproxy, e.haproxy ? logIndex?.get(e.haproxy) : undefined, logIndex !== null, width);
  });
  if (s.drops.length > 0) {
    out.push(line(seg('drops', { bold: true, color: 'red' })));
    for (const d of s.drops) {
      wrapWords(`${d.bytes} B ${d.direction === 'clientToServer' ? 'client -> server' : 'server -> client'}: ${escapeInline(d.cause)}`, Math.max(20, width - 4))
        .forEach((p, k) => out.push(line(seg(k === 0 ? '  x ' : '    ', { color: 'red' }), seg(p, { color: 'red' }))));
    }
  }
  return out;
}

/** Every verdict's comparison, for SessionStore.logIndex. */
export function indexComparisons(lines: readonly LineComparison[]): Map<Verdict, LineComparison> {
  const m = new Map<Verdict, LineComparison>();
  for (const l of lines) if (l.inferred !== null) m.set(l.inferred, l);
  return m;
}
