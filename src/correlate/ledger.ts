/**
 * The forwarding ledger: which byte ranges of one leg reappear at which offsets of the other,
 * with the capture time each range arrived at the proxy (its chunk on the incoming leg) and left
 * it (its chunk on the outgoing leg), so the proxy's hold time can be shown.
 *  - tcp mode: byte-exact, client→server shifted by the server leg's PROXY header;
 *  - http mode, per message: the header block as one range (rewritten, so lengths differ); the
 *    body byte-exact when both sides frame it the same way, else as one range.
 * Two levels of detail (LedgerDetail):
 *  - 'chunks': ranges split wherever a chunk boundary of either leg falls, merged back where both
 *    times are unchanged: the hold time of every stretch (long for a big capture);
 *  - 'exchange': one range per message part (http: headers, body) or per direction (tcp), its
 *    times those of its last byte on each leg: a few entries per exchange.
 */
import type { HttpMessage } from '../app/http/index.js';
import type { LedgerEntry, Leg, LegDirection } from './model.js';
import { chunkTimeAt, firstChunkAfter, proxyHeaderLength } from './leg-util.js';

/** Bound per session: a long tcp session's ledger stays printable. */
export const MAX_LEDGER_ENTRIES = 20000;

type Base = Pick<LedgerEntry, 'direction' | 'serverLeg'> & Partial<Pick<LedgerEntry, 'exchange' | 'part'>>;

export type LedgerDetail = 'chunks' | 'exchange';

export function tcpLedger(client: Leg, server: Leg, serverLeg: number, detail: LedgerDetail = 'chunks'): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  const pp = proxyHeaderLength(server);
  const up = Math.min(client.dirs[0].bytes, server.dirs[0].bytes - pp);
  const map = detail === 'chunks' ? mapBytes : wholeRange;
  map(out, { direction: 'clientToServer', serverLeg }, client.dirs[0], 0, server.dirs[0], pp, up);
  const down = Math.min(server.dirs[1].bytes, client.dirs[1].bytes);
  map(out, { direction: 'serverToClient', serverLeg }, server.dirs[1], 0, client.dirs[1], 0, down);
  return out;
}

/** Ledger entries of one exchange: the request client→server, the response server→client. */
export function exchangeLedger(
  out: LedgerEntry[], exchange: number, serverLeg: number,
  client: Leg, request: HttpMessage, response: HttpMessage | null,
  server: Leg, serverRequest: HttpMessage, serverResponse: HttpMessage | null, detail: LedgerDetail = 'chunks',
): void {
  // The body's base (headers entries take only direction, leg and exchange from it).
  messageEntries(out, { direction: 'clientToServer', serverLeg, exchange, part: 'body' }, client.dirs[0], request, server.dirs[0], serverRequest, detail);
  if (response !== null && serverResponse !== null) {
    messageEntries(out, { direction: 'serverToClient', serverLeg, exchange, part: 'body' }, server.dirs[1], serverResponse, client.dirs[1], response, detail);
  }
}

/** `base`: the body entries' (part 'body'). */
function messageEntries(
  out: LedgerEntry[], base: Base, from: LegDirection, fm: HttpMessage, to: LegDirection, tm: HttpMessage, detail: LedgerDetail,
): void {
  const arrived = timeOfLast(from, fm.headerEndOffset, fm.headersCompleteTs);
  const departed = timeOfLast(to, tm.headerEndOffset, tm.headersCompleteTs);
  if (arrived !== null && departed !== null) {
    push(out, entry(base, 'headers', fm.offset, tm.offset, fm.headerBytes, arrived, departed, tm.headerBytes));
  }
  const fw = fm.endOffset - fm.bodyOffset;
  const tw = tm.endOffset - tm.bodyOffset;
  if (fw <= 0 && tw <= 0) return;
  const sameFraming = fm.body.framing === tm.body.framing
    && (fm.body.framing !== 'chunked' || sameNumbers(fm.body.chunks, tm.body.chunks));
  if (sameFraming) {
    if (detail === 'chunks') mapBytes(out, base, from, fm.bodyOffset, to, tm.bodyOffset, Math.min(fw, tw));
    else wholeRange(out, base, from, fm.bodyOffset, to, tm.bodyOffset, Math.min(fw, tw));
    return;
  }
  const a = timeOfLast(from, fm.endOffset, fm.lastByteTs);
  const d = timeOfLast(to, tm.endOffset, tm.lastByteTs);
  if (a !== null && d !== null) push(out, entry(base, 'body', fm.bodyOffset, tm.bodyOffset, fw, a, d, tw));
}

/** An entry with a fixed field order (cheap to build in bulk); toLength only when it differs. */
function entry(base: Base, part: 'headers' | 'body' | undefined, fromOffset: number, toOffset: number, length: number,
  arrived: number, departed: number, toLength: number): LedgerEntry {
  const { direction, serverLeg, exchange } = base;
  // http entries (exchange and part set) as whole literals: one shape each, no transitions.
  if (exchange !== undefined && part !== undefined) {
    return toLength === length
      ? { direction, serverLeg, fromOffset, toOffset, length, arrived, departed, exchange, part }
      : { direction, serverLeg, fromOffset, toOffset, length, arrived, departed, exchange, part, toLength };
  }
  const e: LedgerEntry = { direction, serverLeg, fromOffset, toOffset, length, arrived, departed };
  if (exchange !== undefined) e.exchange = exchange;
  if (part !== undefined) e.part = part;
  if (toLength !== length) e.toLength = toLength;
  return e;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Time of the chunk holding the byte before `end`, else the message's own time (-1: unknown). */
function timeOfLast(d: LegDirection, end: number, fallback: number): number | null {
  const t = end > 0 ? chunkTimeAt(d.chunks, end - 1) : null;
  if (t !== null) return t;
  return fallback >= 0 ? fallback : null;
}

/**
 * Maps `length` bytes from [fromStart, …) on one direction to [toStart, …) on another, one
 * entry per stretch lying in a single chunk on both sides (gaps on either side are skipped).
 */
export function mapBytes(
  out: LedgerEntry[], base: Base, from: LegDirection, fromStart: number, to: LegDirection, toStart: number, length: number,
): void {
  if (length <= 0) return;
  const fc = from.chunks;
  const tc = to.chunks;
  let i = firstChunkAfter(fc, fromStart);
  let j = firstChunkAfter(tc, toStart);
  while (i * 3 < fc.length && j * 3 < tc.length && out.length < MAX_LEDGER_ENTRIES) {
    const fLo = fc[i * 3]! - fromStart;
    const fHi = fLo + fc[i * 3 + 1]!;
    const tLo = tc[j * 3]! - toStart;
    const tHi = tLo + tc[j * 3 + 1]!;
    if (fLo >= length || tLo >= length) break;
    const lo = Math.max(fLo, tLo, 0);
    const hi = Math.min(fHi, tHi, length);
    if (lo < hi) push(out, entry(base, base.part, fromStart + lo, toStart + lo, hi - lo, fc[i * 3 + 2]!, tc[j * 3 + 2]!, hi - lo));
    if (fHi <= tHi) i++;
    else j++;
  }
}

/**
 * 'exchange' detail: the `length` bytes from `fromStart` as one entry, timed by their last byte
 * on each leg (the last delivered one when a gap ends the range); none when a side saw none.
 */
function wholeRange(
  out: LedgerEntry[], base: Base, from: LegDirection, fromStart: number, to: LegDirection, toStart: number, length: number,
): void {
  if (length <= 0) return;
  const arrived = lastTimeIn(from, fromStart, fromStart + length);
  const departed = lastTimeIn(to, toStart, toStart + length);
  if (arrived === null || departed === null) return;
  push(out, entry(base, base.part, fromStart, toStart, length, arrived, departed, length));
}

/** Capture time of the last chunk delivering bytes of [from, to), or null. */
function lastTimeIn(d: LegDirection, from: number, to: number): number | null {
  const c = d.chunks;
  const i = firstChunkAfter(c, to - 1);
  // The chunk holding the last byte, else the last one ending inside the range.
  if (i * 3 < c.length && c[i * 3]! <= to - 1) return c[i * 3 + 2]!;
  const j = i - 1;
  return j >= 0 && c[j * 3]! + c[j * 3 + 1]! > from ? c[j * 3 + 2]! : null;
}

/** Appends, merging with the previous entry when it continues it with the same times. */
function push(out: LedgerEntry[], e: LedgerEntry): void {
  if (out.length >= MAX_LEDGER_ENTRIES) return;
  const p = out[out.length - 1];
  if (p !== undefined && e.toLength === undefined && p.toLength === undefined && p.direction === e.direction && p.serverLeg === e.serverLeg
    && p.exchange === e.exchange && p.part === e.part && p.arrived === e.arrived && p.departed === e.departed
    && p.fromOffset + p.length === e.fromOffset && p.toOffset + p.length === e.toOffset) {
    p.length += e.length;
    return;
  }
  out.push(e);
}
