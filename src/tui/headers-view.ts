/**
 * The headers tab: one exchange's request and response as they arrived at the proxy (left) and
 * as it sent them on (right), row by row, with what it did marked:
 *   + added   - removed   ~ value changed   c name case changed
 * Header names and values come from the capture: escaped before they are laid out.
 */
import type { HttpHeaders } from '../app/http/index.js';
import type { HeaderRewrites, Leg, Session } from '../correlate/model.js';
import { escapeInline } from '../report/escape.js';
import { exchangeMessages } from './exchange-messages.js';
import { fit, line, seg, wrap, type Color, type Line } from './text-line.js';

export type HeaderMark = ' ' | '+' | '-' | '~' | 'c';

export interface HeaderRow {
  marks: HeaderMark[];
  before: [string, string] | null;
  after: [string, string] | null;
}

/** Pairs headers by lower-case name and occurrence; unmatched after-headers come last, in order. */
export function diffHeaders(before: HttpHeaders, after: HttpHeaders): HeaderRow[] {
  const keyed = (hs: HttpHeaders): string[] => {
    const seen = new Map<string, number>();
    return hs.map(([n]) => {
      const k = n.toLowerCase();
      const i = seen.get(k) ?? 0;
      seen.set(k, i + 1);
      return `${k}\u0000${i}`;
    });
  };
  const bk = keyed(before);
  const ak = keyed(after);
  const afterIndex = new Map(ak.map((k, i) => [k, i]));
  const used = new Set<number>();
  const rows: HeaderRow[] = [];
  before.forEach((h, i) => {
    const j = afterIndex.get(bk[i]!);
    if (j === undefined) {
      rows.push({ marks: ['-'], before: h, after: null });
      return;
    }
    used.add(j);
    const a = after[j]!;
    const marks: HeaderMark[] = [];
    if (a[0] !== h[0]) marks.push('c');
    if (a[1] !== h[1]) marks.push('~');
    rows.push({ marks: marks.length > 0 ? marks : [' '], before: h, after: a });
  });
  after.forEach((a, j) => {
    if (!used.has(j)) rows.push({ marks: ['+'], before: null, after: a });
  });
  return rows;
}

const MARK_COLOR: Record<HeaderMark, Color | undefined> = { ' ': undefined, '+': 'green', '-': 'red', '~': 'yellow', c: 'cyan' };

function rowColor(marks: readonly HeaderMark[]): Color | undefined {
  for (const m of ['-', '+', '~', 'c'] as const) if (marks.includes(m)) return MARK_COLOR[m];
  return undefined;
}

interface Side {
  startLine: string | null;
  headers: HttpHeaders | null;
  missing: string;
}

function sideBySide(out: Line[], title: string, left: Side, right: Side, width: number): void {
  const half = Math.max(10, Math.floor((width - 6) / 2));
  out.push(line(seg(title, { bold: true })));
  const emit = (marks: string, l: string, r: string, color: Color | undefined): void => {
    const ls = wrap(l, half);
    const rs = wrap(r, half);
    for (let i = 0; i < Math.max(ls.length, rs.length); i++) {
      const style = color ? { color } : {};
      out.push(line(seg(i === 0 ? fit(marks, 2) : '  ', style), ' ', seg(fit(ls[i] ?? '', half), style), seg(' | ', { dim: true }), seg(rs[i] ?? '', style)));
    }
  };
  const text = (h: [string, string] | null): string => (h === null ? '' : `${escapeInline(h[0])}: ${escapeInline(h[1])}`);
  const ls = left.startLine === null ? left.missing : escapeInline(left.startLine);
  const rs = right.startLine === null ? right.missing : escapeInline(right.startLine);
  const lineChanged = left.startLine !== null && right.startLine !== null && left.startLine !== right.startLine;
  emit(lineChanged ? '~' : ' ', ls, rs, lineChanged ? 'yellow' : undefined);
  if (left.headers !== null && right.headers !== null) {
    for (const r of diffHeaders(left.headers, right.headers)) emit(r.marks.join(''), text(r.before), text(r.after), rowColor(r.marks));
  } else {
    const hs = left.headers ?? right.headers ?? [];
    for (const h of hs) emit(' ', left.headers ? text(h) : '', left.headers ? '' : text(h), undefined);
  }
  out.push([]);
}

function rewriteSummary(out: Line[], kind: string, r: HeaderRewrites | null): void {
  if (r === null) return;
  const add = (mark: HeaderMark, text: string): void => {
    out.push(line(seg(`${mark} ${kind} ${text}`, MARK_COLOR[mark] ? { color: MARK_COLOR[mark]! } : {})));
  };
  if (r.requestLine) add('~', `line: ${escapeInline(r.requestLine.before)} => ${escapeInline(r.requestLine.after)}`);
  for (const [n, v] of r.added) add('+', `${escapeInline(n)}: ${escapeInline(v)}`);
  for (const [n, v] of r.removed) add('-', `${escapeInline(n)}: ${escapeInline(v)}`);
  for (const [n, a, b] of r.changed) add('~', `${escapeInline(n)}: ${escapeInline(a)} => ${escapeInline(b)}`);
  for (const [a, b] of r.caseChanged) add('c', `${escapeInline(a)} => ${escapeInline(b)}`);
  if (r.reordered) add(' ', 'headers reordered');
  if (r.body !== 'same') add(' ', `body ${r.body}`);
}

export function headersLines(s: Session, legs: ReadonlyMap<string, Leg> | undefined, exchangeIndex: number, width: number): Line[] {
  const out: Line[] = [];
  const pp = s.serverLegs.filter((r) => r.proxyProtocol !== null);
  for (const r of pp) {
    out.push(line(seg(`PROXY v${r.proxyProtocol!.version} header sent to ${escapeInline(r.name ?? r.server)}: source ${escapeInline(r.proxyProtocol!.source ?? '-')}, destination ${escapeInline(r.proxyProtocol!.destination ?? '-')}`, { color: 'cyan' })));
  }
  if (s.exchanges.length === 0) {
    out.push(line(seg(s.mode === 'tcp' ? 'tcp mode: no HTTP headers (see the bytes tab)' : 'no HTTP exchange in this session', { dim: true })));
    return out;
  }
  const i = Math.min(Math.max(0, exchangeIndex), s.exchanges.length - 1);
  const e = s.exchanges[i]!;
  const ref = e.serverLeg === null ? undefined : s.serverLegs[e.serverLeg];
  const server = e.answeredLocally || ref === undefined ? 'the proxy itself' : escapeInline(ref.name ?? ref.server);
  out.push(line(seg(`exchange ${i + 1}/${s.exchanges.length}: ${escapeInline(`${e.method} ${e.target}`)} -> ${server}: ${e.status ?? 'no response'}`, { bold: true }), seg(s.exchanges.length > 1 ? '   (] / [ for the others)' : '', { dim: true })));
  out.push(line(seg('marks: + added  - removed  ~ changed  c name case changed', { dim: true })));
  out.push([]);

  const m = exchangeMessages(s, e, legs);
  if (m.clientLeg === null) {
    out.push(line(seg('(legs not kept: only the rewrites are known)', { dim: true })));
    rewriteSummary(out, 'request', e.rewrites.request);
    rewriteSummary(out, 'response', e.rewrites.response);
    return out;
  }
  const notForwarded = e.answeredLocally ? '(not forwarded: answered by the proxy)' : '(not forwarded)';
  sideBySide(out, 'request: client side (received) | server side (sent)',
    { startLine: m.clientRequest?.startLine ?? null, headers: m.clientRequest?.headers ?? null, missing: '(not parsed)' },
    { startLine: m.serverRequest?.startLine ?? null, headers: m.serverRequest?.headers ?? null, missing: notForwarded }, width);
  sideBySide(out, 'response: server side (received) | client side (sent)',
    { startLine: m.serverResponse?.startLine ?? null, headers: m.serverResponse?.headers ?? null, missing: e.answeredLocally ? '(no server response: answered by the proxy)' : '(no server response)' },
    { startLine: m.clientResponse?.startLine ?? null, headers: m.clientResponse?.headers ?? null, missing: '(no response to the client)' }, width);
  const bodies = [e.rewrites.request?.body, e.rewrites.response?.body];
  if (bodies[0] && bodies[0] !== 'same') out.push(line(seg(`request body ${bodies[0]}`, { color: 'yellow' })));
  if (bodies[1] && bodies[1] !== 'same') out.push(line(seg(`response body ${bodies[1]}`, { color: 'yellow' })));
  return out;
}
