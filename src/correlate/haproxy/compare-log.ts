/**
 * Inferred verdicts against HAProxy's own log: each real traffic line is matched with an
 * inferred line of the same client ip:port and kind, both taken in request order and aligned at
 * the least total date difference (same request line required), each used once; then field by field: termination, status, frontend, backend, server,
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

/** Largest lines × verdicts of one client endpoint aligned in order (align's table). */
const ALIGN_CELLS = 1 << 22;

/**
 * The order-preserving matching of a and b of least cost: cost(x, y) of a pair (null: they cannot
 * pair), `skip` for each element left unmatched. Returns the matched pairs.
 */
function align(a: readonly number[], b: readonly number[], cost: (x: number, y: number) => number | null, skip: number): [number, number][] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const best = new Float64Array((n + 1) * w);
  const step = new Uint8Array((n + 1) * w); // 1: skip a[i-1], 2: skip b[j-1], 3: pair them
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) continue;
      let v = Infinity;
      let s = 0;
      if (i > 0 && best[(i - 1) * w + j]! + skip < v) {
        v = best[(i - 1) * w + j]! + skip;
        s = 1;
      }
      if (j > 0 && best[i * w + j - 1]! + skip < v) {
        v = best[i * w + j - 1]! + skip;
        s = 2;
      }
      if (i > 0 && j > 0) {
        const c = cost(a[i - 1]!, b[j - 1]!);
        if (c !== null && best[(i - 1) * w + j - 1]! + c <= v) {
          v = best[(i - 1) * w + j - 1]! + c;
          s = 3;
        }
      }
      best[i * w + j] = v;
      step[i * w + j] = s;
    }
  }
  const pairs: [number, number][] = [];
  for (let i = n, j = m; i > 0 || j > 0; ) {
    const s = step[i * w + j];
    if (s === 3) pairs.push([a[--i]!, b[--j]!]);
    else if (s === 1) i--;
    else j--;
  }
  return pairs.reverse();
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

  const byLine = new Map<number, number>();
  const usedVerdicts = new Set<number>();
  const linesOf = new Map<string, number[]>();
  logged.forEach((l, li) => {
    const k = key(l);
    const list = linesOf.get(k);
    if (list) list.push(li);
    else linesOf.set(k, [li]);
  });
  const sameRequest = (l: TrafficLine, p: TrafficLine): boolean => l.kind !== 'http' || (p.kind === 'http' && p.requestLine === l.requestLine);

  // One client endpoint's lines and verdicts both come in request order (a connection's
  // requests are sequential; HAProxy dates each from the previous one's end): they are aligned
  // in that order, never crosswise (dates are in ms, and keep-alive requests a ms apart would
  // otherwise pair crosswise as often as not), at the least total date difference, a line or
  // verdict left over costing the window. Beyond ALIGN_CELLS, nearest dates first (greedy).
  const greedyLines: number[] = [];
  for (const [k, lis] of linesOf) {
    // By date, ties (same ms) in the order given: request order within a session.
    const vis = [...(byClient.get(k) ?? [])].sort((a, b) => parsed[a]!.acceptDate - parsed[b]!.acceptDate || a - b);
    const ordered = [...lis].sort((a, b) => logged[a]!.acceptDate - logged[b]!.acceptDate || a - b);
    if (ordered.length * vis.length > ALIGN_CELLS) {
      greedyLines.push(...lis);
      continue;
    }
    for (const [li, vi] of align(ordered, vis, (li, vi) => {
      const l = logged[li]!;
      const p = parsed[vi]!;
      const dt = Math.abs(p.acceptDate - l.acceptDate);
      return dt <= window && sameRequest(l, p) ? dt : null;
    }, window)) {
      byLine.set(li, vi);
      usedVerdicts.add(vi);
    }
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
