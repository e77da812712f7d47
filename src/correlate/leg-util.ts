/**
 * Small read-only helpers over Legs shared by proxy detection, pairing and the ledger:
 * times, payload heads without a PROXY header, byte-prefix checks, chunk lookups.
 */
import type { HttpRequest, HttpResponse } from '../app/http/index.js';
import type { Leg, LegDir } from './model.js';

/** Tolerance for "after" comparisons between timestamps of one capture (µs precision). */
export const EPS = 1e-6;

/** When the connection attempt began (the client's SYN, else the first packet). */
export function synTime(l: Leg): number {
  return l.synTs ?? l.start;
}

/** When the connection could first carry data (the handshake's last ACK, else the best earlier time). */
export function readyTime(l: Leg): number {
  return l.establishedTs ?? l.synAckTs ?? l.synTs ?? l.start;
}

/** Bytes of PROXY protocol preamble at the start of the client→server stream. */
export function proxyHeaderLength(l: Leg): number {
  return l.proxyProtocol?.length ?? 0;
}

/**
 * How much of a stream's head byte comparisons look at: enough to tell streams apart and to see
 * an HTTP request go through untouched, and the same answer whatever head a leg kept (the
 * analyze command keeps exactly this much: LegLimits.headBytes).
 */
export const COMPARED_HEAD_BYTES = 512;

/** The payload among the first COMPARED_HEAD_BYTES of one direction (client→server after any PROXY header). */
export function payloadHead(l: Leg, dir: LegDir): Uint8Array {
  const head = l.dirs[dir].head;
  const end = Math.min(head.length, COMPARED_HEAD_BYTES);
  return head.subarray(dir === 0 ? Math.min(proxyHeaderLength(l), end) : 0, end);
}

/** Payload bytes of one direction (client→server without any PROXY header). */
export function payloadBytes(l: Leg, dir: LegDir): number {
  return Math.max(0, l.dirs[dir].bytes - (dir === 0 ? proxyHeaderLength(l) : 0));
}

/** Nothing was sent either way: a bare connect (refused, or opened and closed: an L4 check or a failed attempt). */
export function isConnectOnly(l: Leg): boolean {
  return l.dirs[0].bytes === 0 && l.dirs[1].bytes === 0;
}

/**
 * Length of the common prefix of two byte strings when the shorter is entirely a prefix of the
 * longer (one stream forwarded into the other, possibly cut); -1 when they disagree.
 */
export function prefixAgreement(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return -1;
  return n;
}

interface ResponseIndex {
  /** By request index: the first final response, and the last interim one. */
  final: Map<number, HttpResponse>;
  interim: Map<number, HttpResponse>;
}

const responseIndexes = new WeakMap<Leg, ResponseIndex>();
/**
 * Shared by the legs whose i-th response is the final one to request i (nearly all): they need
 * no maps of their own (two per leg held were ~3% of analyze's live heap).
 */
const IN_ORDER: ResponseIndex = { final: new Map(), interim: new Map() };

function inOrder(responses: readonly HttpResponse[]): boolean {
  for (let i = 0; i < responses.length; i++) {
    const r = responses[i]!;
    if (r.requestIndex !== i || r.interim) return false;
  }
  return true;
}

function responseIndex(l: Leg): ResponseIndex {
  let ix = responseIndexes.get(l);
  if (ix === undefined) {
    if (inOrder(l.http?.responses ?? [])) {
      responseIndexes.set(l, IN_ORDER);
      return IN_ORDER;
    }
    ix = { final: new Map(), interim: new Map() };
    for (const r of l.http?.responses ?? []) {
      if (r.requestIndex === null) continue;
      if (!r.interim) {
        if (!ix.final.has(r.requestIndex)) ix.final.set(r.requestIndex, r);
      } else ix.interim.set(r.requestIndex, r);
    }
    responseIndexes.set(l, ix);
  }
  return ix;
}

/**
 * A leg's responses when the i-th is the final one to request i (nearly all legs), else null
 * (ask responseTo): what responseTo answers for each request, looked up once per leg.
 */
export function inOrderResponses(l: Leg): readonly HttpResponse[] | null {
  if (l.http === null) return null;
  return responseIndex(l) === IN_ORDER ? l.http.responses : null;
}

/** The final (non-interim) response to a request of the same leg, else its last interim one, else null. */
export function responseTo(l: Leg, req: HttpRequest): HttpResponse | null {
  if (l.http === null) return null;
  const ix = responseIndex(l);
  if (ix === IN_ORDER) return l.http.responses[req.index] ?? null;
  return ix.final.get(req.index) ?? ix.interim.get(req.index) ?? null;
}

/** The final (non-interim) response to a request of the same leg, or null. */
export function finalResponseTo(l: Leg, req: HttpRequest): HttpResponse | null {
  if (l.http === null) return null;
  const ix = responseIndex(l);
  if (ix === IN_ORDER) return l.http.responses[req.index] ?? null;
  return ix.final.get(req.index) ?? null;
}

/** When the request could be acted on: its header block complete, else its first byte. */
export function requestReady(req: HttpRequest): number {
  return req.headersCompleteTs >= 0 ? req.headersCompleteTs : req.firstByteTs;
}

/** "ip:port" / "[v6]:port" → address and port. */
export function splitEndpoint(endpoint: string): { address: string; port: number | null } {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(endpoint);
  if (v6) return { address: v6[1]!, port: Number(v6[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(endpoint);
  if (v4) return { address: v4[1]!, port: Number(v4[2]) };
  return { address: endpoint.replace(/^\[|\]$/g, ''), port: null };
}

/** Index (in triples) of the first delivery chunk that ends after `offset`, or the chunk count. */
export function firstChunkAfter(chunks: readonly number[], offset: number): number {
  let lo = 0;
  let hi = chunks.length / 3;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid * 3]! + chunks[mid * 3 + 1]! <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Capture time of the chunk holding the byte at `offset`, or null when it was never delivered. */
export function chunkTimeAt(chunks: readonly number[], offset: number): number | null {
  const i = firstChunkAfter(chunks, offset);
  if (i * 3 >= chunks.length) return null;
  return chunks[i * 3]! <= offset ? chunks[i * 3 + 2]! : null;
}

/** Sorts numerically-ish: IPv4 by octets, anything else after, as text. */
export function compareAddresses(a: string, b: string): number {
  const pa = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  const pb = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(b);
  if (pa && pb) {
    for (let i = 1; i <= 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareEndpoints(a: string, b: string): number {
  const ea = splitEndpoint(a);
  const eb = splitEndpoint(b);
  return compareAddresses(ea.address, eb.address) || (ea.port ?? 0) - (eb.port ?? 0);
}

/**
 * Sort order of two numbers as -1, 0 or 1 (NaN: 0, as a difference would say): a comparator
 * returning `a - b` hands the sort a fresh heap number for every fractional difference.
 */
export function order(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first element of the sorted array `a` that is >= v. */
export function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
