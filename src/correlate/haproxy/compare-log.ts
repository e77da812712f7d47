/**
 * Inferred verdicts against HAProxy's own log: each real traffic line is matched with the
 * inferred line of the same client ip:port and kind whose date is nearest (same request line
 * first), each used once; then field by field: termination, status, frontend, backend, server,
 * timers (within a tolerance, 1 ms by default: HAProxy's clock is its poll loop's, not the
 * packet's) and bytes_read. Connection counters and queues are not compared: a capture cannot
 * show them.
 */
import type { ExchangeVerdict, Session, TcpVerdict } from '../model.js';
import { parseHaproxyLogLine } from './log-line.js';
import type { HaproxyLogLine, HttpLogLine, TcpLogLine } from './log-line-types.js';

export type Verdict = TcpVerdict | ExchangeVerdict;
type TrafficLine = HttpLogLine | TcpLogLine;

export type ComparedField =
  | 'termination' | 'status' | 'frontend' | 'backend' | 'server' | 'TR' | 'Tw' | 'Tc' | 'Tr' | 'Ta' | 'Tt' | 'bytesRead';

export interface FieldDifference {
  field: ComparedField;
  logged: string | number;
  inferred: string | number;
}

export interface LineComparison {
  logged: TrafficLine;
  /** null: no inferred verdict for this client and time. */
  inferred: Verdict | null;
  agree: ComparedField[];
  differ: FieldDifference[];
}

export interface LogComparison {
  lines: LineComparison[];
  /** Inferred verdicts no log line matched. */
  unmatched: Verdict[];
}

export interface CompareOptions {
  timerToleranceMs?: number;
  /** Dates further apart than this never match (default 1000 ms). */
  dateToleranceMs?: number;
}

export function compareWithLog(inferred: readonly Verdict[], logLines: readonly HaproxyLogLine[], options: CompareOptions = {}): LogComparison {
  const tolerance = options.timerToleranceMs ?? 1;
  const window = options.dateToleranceMs ?? 1000;
  const logged = logLines.filter((l): l is TrafficLine => l.kind === 'http' || l.kind === 'tcp');
  const parsed = inferred.map((v) => {
    const line = parseHaproxyLogLine(v.logLine);
    return line.kind === 'http' || line.kind === 'tcp' ? line : null;
  });

  // Only lines of the same kind and client endpoint can pair: index the verdicts by that.
  const key = (l: TrafficLine): string => `${l.kind} ${l.clientAddress} ${l.clientPort}`;
  const byClient = new Map<string, number[]>();
  parsed.forEach((p, vi) => {
    if (p === null) return;
    const k = key(p);
    const list = byClient.get(k);
    if (list) list.push(vi);
    else byClient.set(k, [vi]);
  });

  // Every acceptable pair, best first; then greedy assignment (each side used once).
  const pairs: { li: number; vi: number; cost: number }[] = [];
  logged.forEach((l, li) => {
    for (const vi of byClient.get(key(l)) ?? []) {
      const p = parsed[vi]!;
      const dt = Math.abs(p.acceptDate - l.acceptDate);
      if (dt > window) continue;
      const sameRequest = l.kind === 'http' && p.kind === 'http' && p.requestLine === l.requestLine;
      pairs.push({ li, vi, cost: dt + (l.kind === 'http' && !sameRequest ? window + 1 : 0) });
    }
  });
  pairs.sort((a, b) => a.cost - b.cost);
  const byLine = new Map<number, number>();
  const usedVerdicts = new Set<number>();
  for (const p of pairs) {
    if (byLine.has(p.li) || usedVerdicts.has(p.vi)) continue;
    byLine.set(p.li, p.vi);
    usedVerdicts.add(p.vi);
  }

  const lines = logged.map((l, li): LineComparison => {
    const vi = byLine.get(li);
    const p = vi === undefined ? null : parsed[vi] ?? null;
    if (vi === undefined || p === null) return { logged: l, inferred: null, agree: [], differ: [] };
    return { logged: l, inferred: inferred[vi]!, ...compareFields(l, p, tolerance) };
  });
  return { lines, unmatched: inferred.filter((_, i) => !usedVerdicts.has(i)) };
}

function compareFields(l: TrafficLine, p: TrafficLine, tolerance: number): Pick<LineComparison, 'agree' | 'differ'> {
  const agree: ComparedField[] = [];
  const differ: FieldDifference[] = [];
  const check = (field: ComparedField, logged: string | number, inferred: string | number, ok = logged === inferred): void => {
    if (ok) agree.push(field);
    else differ.push({ field, logged, inferred });
  };
  const timer = (field: ComparedField, a: number, b: number): void => {
    // -1 means "never reached": it must agree exactly.
    check(field, a, b, a === b || (a >= 0 && b >= 0 && Math.abs(a - b) <= tolerance));
  };
  check('termination', l.termination, p.termination);
  if (l.kind === 'http' && p.kind === 'http') check('status', l.status, p.status);
  check('frontend', l.frontend, p.frontend);
  check('backend', l.backend, p.backend);
  check('server', l.server, p.server);
  if (l.kind === 'http' && p.kind === 'http') {
    for (const k of ['TR', 'Tw', 'Tc', 'Tr', 'Ta'] as const) timer(k, l.timers[k], p.timers[k]);
  } else if (l.kind === 'tcp' && p.kind === 'tcp') {
    for (const k of ['Tw', 'Tc', 'Tt'] as const) timer(k, l.timers[k], p.timers[k]);
  }
  check('bytesRead', l.bytesRead, p.bytesRead);
  return { agree, differ };
}

/** Every verdict attached to these sessions (tcp sessions' and exchanges'). */
export function verdictsOf(sessions: readonly Session[]): Verdict[] {
  const out: Verdict[] = [];
  for (const s of sessions) {
    if (s.haproxy !== null) out.push(s.haproxy);
    for (const e of s.exchanges) if (e.haproxy !== null) out.push(e.haproxy);
  }
  return out;
}

/** "field logged→inferred" list, for messages. */
export function formatDifferences(c: LineComparison): string {
  if (c.inferred === null) return 'no inferred verdict';
  return c.differ.map((d) => `${d.field} logged ${d.logged}, inferred ${d.inferred}`).join(', ');
}
