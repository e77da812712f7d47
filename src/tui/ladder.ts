/**
 * The ladder tab: client | proxy | server lanes, one arrow per HTTP message (http mode) or
 * data chunk (tcp mode), connects, FIN and RST, the proxy's timeout close, and dropped bytes
 * drawn dying at the proxy. Times are relative to the session's start.
 */
import type { Leg, LegDirection, Session } from '../correlate/model.js';
import { escapeInline } from '../report/escape.js';
import { chunkFate } from './chunk-fate.js';
import { exchangeMessages } from './exchange-messages.js';
import { line, seg, wrapWords, type Line, type Style } from './text-line.js';

type Lane = 0 | 1 | 2;
const CLIENT: Lane = 0;
const PROXY: Lane = 1;
const SERVER: Lane = 2;

interface LadderEvent {
  ts: number;
  from: Lane;
  to: Lane;
  label: string;
  style: Style;
  /** The bytes die at the `to` lane. */
  dies?: boolean;
  /** No arrow: only an X at the `to` lane. */
  marker?: boolean;
  /** An extra indented line under the arrow (a drop's cause). */
  note?: string;
  /** Among events at the same time: connects, then data, then FIN, then RST. */
  rank?: number;
  order: number;
}

const SPAN = 12;
const POS = [0, SPAN + 1, 2 * SPAN + 2] as const;
const DIAGRAM_WIDTH = 2 * SPAN + 3;
const TIME_WIDTH = 13;

function diagram(from: Lane, to: Lane, dies: boolean, marker = false): string {
  const cells = new Array<string>(DIAGRAM_WIDTH).fill(' ');
  for (const p of POS) cells[p] = '|';
  if (marker) {
    cells[POS[to]] = 'X';
    return cells.join('');
  }
  const a = POS[from];
  const b = POS[to];
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  for (let i = lo + 1; i < hi; i++) cells[i] = '-';
  if (b > a) cells[hi - 1] = '>';
  else cells[lo + 1] = '<';
  if (dies) cells[b] = 'X';
  return cells.join('');
}

function header(): string {
  const cells = new Array<string>(DIAGRAM_WIDTH).fill(' ');
  const put = (text: string, at: number): void => {
    for (let i = 0; i < text.length; i++) if (at + i >= 0 && at + i < DIAGRAM_WIDTH) cells[at + i] = text[i]!;
  };
  put('client', 0);
  put('proxy', POS[1] - 2);
  put('server', DIAGRAM_WIDTH - 6);
  return `${'ms'.padStart(TIME_WIDTH)} ${cells.join('')}`;
}

function relMs(ts: number, t0: number): string {
  return `+${((ts - t0) * 1000).toFixed(3)}`.padStart(TIME_WIDTH);
}

function preview(head: Uint8Array, offset: number, length: number): string {
  if (offset >= head.length) return '';
  const slice = head.subarray(offset, Math.min(head.length, offset + Math.min(length, 24)));
  const text = escapeInline(Buffer.from(slice.buffer, slice.byteOffset, slice.length).toString('latin1'));
  return ` "${text}${length > 24 ? '...' : ''}"`;
}

/** Termination side of a timeout: HAProxy's lower-case c / s first character. */
function timeoutSide(s: Session): string | null {
  const last = s.haproxy?.termination ?? s.exchanges[s.exchanges.length - 1]?.haproxy?.termination ?? '';
  if (last[0] === 'c') return 'client side';
  if (last[0] === 's') return 'server side';
  return null;
}

export function ladderLines(s: Session, legs: ReadonlyMap<string, Leg> | undefined, width = 120): Line[] {
  const events: LadderEvent[] = [];
  let order = 0;
  const add = (e: Omit<LadderEvent, 'order'>): void => {
    events.push({ ...e, order: order++ });
  };
  const many = s.serverLegs.length > 1;
  const tag = (i: number): string => {
    const ref = s.serverLegs[i];
    return many && ref ? `[${escapeInline(ref.name ?? ref.server)}] ` : '';
  };

  const clientLeg = legs?.get(s.id);
  const serverLegs = s.serverLegs.map((r) => legs?.get(r.leg));
  const proxyCloses: { ts: number; event: LadderEvent }[] = [];

  const connection = (leg: Leg, outer: Lane, inner: Lane, prefix: string): void => {
    // outer/inner: the lanes of the leg's connecting side and accepting side.
    if (leg.synTs !== null) add({ ts: leg.synTs, from: outer, to: inner, label: `${prefix}SYN`, style: { color: 'gray' }, rank: 0 });
    if (leg.synAckTs !== null) add({ ts: leg.synAckTs, from: inner, to: outer, label: `${prefix}SYN-ACK`, style: { color: 'gray' }, rank: 0 });
    const closes = (d: LegDirection, from: Lane, to: Lane): void => {
      const proxySide = from === PROXY;
      if (d.finTs !== null) {
        add({ ts: d.finTs, from, to, label: `${prefix}FIN`, style: { color: 'cyan' }, rank: 2 });
        if (proxySide) proxyCloses.push({ ts: d.finTs, event: events[events.length - 1]! });
      }
      if (d.rstTs !== null) {
        add({ ts: d.rstTs, from, to, label: `${prefix}RST`, style: { color: 'red', bold: true }, rank: 3 });
        if (proxySide) proxyCloses.push({ ts: d.rstTs, event: events[events.length - 1]! });
      }
    };
    closes(leg.dirs[0], outer, inner);
    closes(leg.dirs[1], inner, outer);
  };

  /** `arriving`: chunks reaching the proxy, which may die there (null for chunks it sends). */
  const chunks = (leg: Leg, dir: 0 | 1, from: Lane, to: Lane, prefix: string, arriving: { direction: 'clientToServer' | 'serverToClient'; serverLeg: number | null } | null): void => {
    const d = leg.dirs[dir];
    for (let i = 0; i + 2 < d.chunks.length; i += 3) {
      const offset = d.chunks[i]!;
      const length = d.chunks[i + 1]!;
      const ts = d.chunks[i + 2]!;
      const label = `${prefix}${length} B @${offset}${preview(d.head, offset, length)}`;
      const fate = arriving ? chunkFate(s, arriving.direction, arriving.serverLeg, offset, length, ts) : null;
      if (fate?.kind === 'dropped') add({ ts, from, to, dies: true, label: `${label}  dropped`, style: { color: 'red', bold: true } });
      else add({ ts, from, to, label, style: {} });
    }
  };

  if (clientLeg) connection(clientLeg, CLIENT, PROXY, '');
  serverLegs.forEach((leg, i) => {
    if (leg) connection(leg, PROXY, SERVER, tag(i));
  });

  if (s.mode === 'tcp') {
    if (clientLeg) {
      chunks(clientLeg, 0, CLIENT, PROXY, '', { direction: 'clientToServer', serverLeg: null });
      chunks(clientLeg, 1, PROXY, CLIENT, '', null);
    }
    serverLegs.forEach((leg, i) => {
      if (!leg) return;
      chunks(leg, 0, PROXY, SERVER, tag(i), null);
      chunks(leg, 1, SERVER, PROXY, tag(i), { direction: 'serverToClient', serverLeg: i });
    });
  } else {
    for (const e of s.exchanges) {
      const m = exchangeMessages(s, e, legs);
      const size = (x: { offset: number; endOffset: number } | null): string => (x ? ` (${x.endOffset - x.offset} B)` : '');
      const reqText = e.method === '' && e.target === '' ? '(no request parsed)' : escapeInline(`${e.method} ${e.target}`);
      const clientLine = m.clientRequest ? escapeInline(m.clientRequest.startLine) : reqText;
      add({ ts: e.requestStart, from: CLIENT, to: PROXY, label: `${clientLine}${size(m.clientRequest)}`, style: { bold: true } });
      const t = e.serverLeg !== null ? tag(e.serverLeg) : '';
      if (e.forwardedAt !== null) {
        const fwd = m.serverRequest ? escapeInline(m.serverRequest.startLine) : e.rewrites.request?.requestLine ? escapeInline(e.rewrites.request.requestLine.after) : reqText;
        add({ ts: e.forwardedAt, from: PROXY, to: SERVER, label: `${t}${fwd}${size(m.serverRequest)}`, style: { bold: true } });
      }
      if (m.serverResponse || e.responseHeadersAt !== null) {
        const ts = m.serverResponse?.firstByteTs ?? e.responseHeadersAt!;
        const text = m.serverResponse ? escapeInline(`${m.serverResponse.status} ${m.serverResponse.reason}`) : `${e.status ?? '?'}`;
        add({ ts, from: SERVER, to: PROXY, label: `${t}${text}${size(m.serverResponse)}`, style: { color: 'green' } });
      }
      const respTs = m.clientResponse?.firstByteTs ?? e.responseEnd;
      if (respTs !== null) {
        const text = m.clientResponse ? escapeInline(`${m.clientResponse.status} ${m.clientResponse.reason}`) : `${e.status ?? '?'}`;
        const local = e.answeredLocally ? ' (answered by the proxy)' : '';
        add({ ts: respTs, from: PROXY, to: CLIENT, label: `${text}${size(m.clientResponse)}${local}`, style: { color: e.answeredLocally ? 'yellow' : 'green' } });
      }
    }
  }

  for (const d of s.drops) {
    const toClient = d.direction === 'serverToClient';
    add({
      ts: d.first,
      from: toClient ? SERVER : CLIENT,
      to: PROXY,
      dies: true,
      // In tcp mode the dropped chunks are drawn dying at the proxy: this line only sums them up.
      marker: s.mode === 'tcp' && clientLeg !== undefined,
      label: `${d.bytes} B dropped by the proxy ${toClient ? 'server -> client' : 'client -> server'} (${escapeInline(d.code)})`,
      note: escapeInline(d.cause),
      style: { color: 'red', bold: true },
    });
  }

  const side = timeoutSide(s);
  if (side !== null && proxyCloses.length > 0) {
    const first = Math.min(...proxyCloses.map((c) => c.ts));
    for (const c of proxyCloses) {
      if (c.ts - first > 0.005) continue;
      c.event.label += `  <- timeout (${side})`;
      c.event.style = { color: 'yellow', bold: true };
    }
  }

  events.sort((a, b) => a.ts - b.ts || (a.rank ?? 1) - (b.rank ?? 1) || a.order - b.order);
  const out: Line[] = [line(seg(header(), { bold: true }))];
  if (!clientLeg) out.push(line(seg('(legs not kept: connects, FIN/RST and tcp chunks are not shown)', { dim: true })));
  for (const e of events) {
    out.push(line(seg(relMs(e.ts, s.start), { dim: true }), ' ', seg(diagram(e.from, e.to, e.dies === true, e.marker === true), e.dies ? { color: 'red' } : {}), ' ', seg(e.label, e.style)));
    if (e.note === undefined) continue;
    const indent = TIME_WIDTH + DIAGRAM_WIDTH + 4;
    for (const piece of wrapWords(e.note, Math.max(20, width - indent))) out.push(line(' '.repeat(indent), seg(piece, { color: 'red' })));
  }
  return out;
}
