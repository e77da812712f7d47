/**
 * Compact messages: what `HttpStreamParser` emits with `compact: true`. Same fields and values
 * as the plain objects of the default mode, but built for consumers that keep many messages
 * alive for a while (the correlate stage, pairing legs as connections complete):
 *  - the header block is kept as ONE latin1 string, interned (identical blocks, the common case
 *    under load, share it); the header list is decoded from it when `headers` is first read, and
 *    that list is shared by every message with the same block (read-only!);
 *  - the start line, header byte count and body offset are derived, not stored;
 *  - bodies without content share one frozen object.
 */
import { fnv1aHex, FNV1A_INIT } from './fnv1a.js';
import { latin1, scanFieldLines } from './head-block.js';
import type { BodyFraming, HttpBody, HttpHeaders, HttpMessageBase, HttpNote, HttpRequest, HttpResponse } from './types.js';

const EMPTY_HEADERS: HttpHeaders = Object.freeze([]) as unknown as HttpHeaders;
const EMPTY_NOTES: HttpNote[] = Object.freeze([]) as unknown as HttpNote[];
const EMPTY_CHUNKS: number[] = Object.freeze([]) as unknown as number[];

// ---------------------------------------------------------------- interning

/** Bounded: when full it starts over (old strings stay valid, they are just no longer shared). */
const MAX_INTERNED = 16384;
/** Blocks seen again, up to this size, also keep their bytes, to be compared natively (memcmp). */
const MAX_BYTES_KEPT = 4096;

/** An interned header block. */
export interface InternedHead {
  readonly text: string;
  /** The same as bytes once the block was seen twice (unique ones are common), else null. */
  bytes: Uint8Array | null;
}

/**
 * Interned blocks by the FNV-1a hash of their bytes, so that a block seen before is found
 * without decoding it into a new string (and hashing that). A block whose hash collides with
 * another's replaces it: both stay correct, they just share less.
 */
let heads = new Map<number, InternedHead>();
/** Decoded header lists by block text (keys are interned blocks). */
let lists = new Map<string, HttpHeaders>();

let lastKnown = false;
let lastEntry: InternedHead | null = null;

/** The one copy of the header block `data[start, end)` kept by compact messages, as latin1 text. */
export function internHead(data: Uint8Array, start: number, end: number): string {
  let h = FNV1A_INIT;
  for (let i = start; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return internHashedHead(data, start, end, h);
}

/** internHead when the caller hashed the block already (FNV-1a state, as fnv1aUpdate's loop leaves it). */
export function internHashedHead(data: Uint8Array, start: number, end: number, hash: number): string {
  const h = hash | 0;
  const known = heads.get(h);
  if (known !== undefined && isHead(known, data, start, end)) {
    // A copy (a Buffer's slice would be a view of the capture's buffer).
    if (known.bytes === null && end - start <= MAX_BYTES_KEPT) known.bytes = new Uint8Array(data.subarray(start, end));
    lastKnown = true;
    lastEntry = known;
    return known.text;
  }
  lastKnown = false;
  const text = latin1(data, start, end);
  const entry: InternedHead = { text, bytes: null };
  if (heads.size >= MAX_INTERNED) heads = new Map();
  heads.set(h, entry);
  lastEntry = entry;
  return text;
}

const compareBytes = Buffer.prototype.compare as (this: Uint8Array, target: Uint8Array, targetStart: number, targetEnd: number, sourceStart: number, sourceEnd: number) => number;

/** Whether the interned block `e` is `data[start, end)`. */
export function isHead(e: InternedHead, data: Uint8Array, start: number, end: number): boolean {
  const b = e.bytes;
  if (b !== null) return b.length === end - start && compareBytes.call(data, b, 0, b.length, start, end) === 0;
  const text = e.text;
  if (text.length !== end - start) return false;
  for (let i = start, j = 0; i < end; i++, j++) if (text.charCodeAt(j) !== data[i]) return false;
  return true;
}

/** The entry the last internHead call returned the text of. */
export function lastInterned(): InternedHead {
  return lastEntry!;
}

/** Whether the last internHead call found its text interned already (a block seen before). */
export function lastHeadKnown(): boolean {
  return lastKnown;
}

/** The header fields of a block (start line excluded), decoded once per distinct block. */
function headersOfBlock(head: string, fieldsFrom: number): HttpHeaders {
  let h = lists.get(head);
  if (h === undefined) {
    h = scanFieldLines(head, fieldsFrom, new Set());
    if (lists.size >= MAX_INTERNED) lists = new Map();
    lists.set(head, h);
  }
  return h;
}

// ---------------------------------------------------------------- bodies

class CompactBody implements HttpBody {
  readonly framing: BodyFraming;
  readonly length: number;
  readonly wireLength: number;
  readonly chunks: number[];
  /** The FNV-1a state as a signed 32-bit value (kept small-integer). */
  readonly hashBits: number;
  private hex: string | null = null;

  constructor(framing: BodyFraming, length: number, wireLength: number, chunks: number[], hashBits: number) {
    this.framing = framing;
    this.length = length;
    this.wireLength = wireLength;
    this.chunks = chunks;
    this.hashBits = hashBits;
  }

  get hash(): string {
    return (this.hex ??= fnv1aHex(this.hashBits >>> 0));
  }
}

const NO_BODY: HttpBody = Object.freeze({ framing: 'none', length: 0, wireLength: 0, chunks: EMPTY_CHUNKS, hash: fnv1aHex(FNV1A_INIT) });

/** Bodies without chunk sizes, by hash: the same response body sent again shares one (immutable) descriptor. */
let bodies = new Map<number, CompactBody>();

export function compactBody(framing: BodyFraming, length: number, wireLength: number, chunks: number[], hashState: number): HttpBody {
  if (framing === 'none' && length === 0 && wireLength === 0 && chunks.length === 0 && hashState === FNV1A_INIT) return NO_BODY;
  const bits = hashState | 0;
  if (chunks.length > 0) return new CompactBody(framing, length, wireLength, chunks, bits);
  const known = bodies.get(bits);
  if (known !== undefined && known.framing === framing && known.length === length && known.wireLength === wireLength) return known;
  const b = new CompactBody(framing, length, wireLength, EMPTY_CHUNKS, bits);
  if (known === undefined) {
    if (bodies.size >= MAX_INTERNED) bodies = new Map();
    bodies.set(bits, b);
  }
  return b;
}

// ---------------------------------------------------------------- messages

/**
 * Everything a compact message is built from (the parser's draft, at emit): the stored fields of
 * a message (types.ts documents them), the header block text instead of the decoded start line
 * and headers, and the notes as the draft collected them.
 */
export type CompactParts = Pick<HttpMessageBase,
  'index' | 'trailers' | 'offset' | 'headerEndOffset' | 'endOffset' | 'body' | 'firstByteTs' |
  'headersCompleteTs' | 'lastByteTs' | 'damaged' | 'missingBytes' | 'complete' | 'keepAlive'> & {
  /** The header block as received: start line, fields, blank line (cut short when the message is). */
  head: string;
  notes: Set<HttpNote>;
};

const DAMAGED = 1;
const COMPLETE = 2;
const KEEP_ALIVE = 4;
const INTERIM = 8;
/** A response's status, 0-999, above the flags. */
const STATUS_SHIFT = 4;

/** What few messages have: trailer fields, notes, missing bytes. */
interface Rare {
  trailers: HttpHeaders;
  notes: HttpNote[];
  missingBytes: number;
}

/** A message's later times, when one differs from its first byte's (not when it came in one segment). */
interface Later {
  headersCompleteTs: number;
  lastByteTs: number;
}

/** Where the fields start in a header block: just after the start line's LF. */
function fieldsStart(head: string): number {
  return head.indexOf('\n') + 1;
}

/** Length of the start line in a header block, without its line ending. */
function startLineEnd(head: string): number {
  const lf = fieldsStart(head) - 1;
  return lf > 0 && head.charCodeAt(lf - 1) === 0x0d ? lf - 1 : lf;
}

abstract class CompactMessage {
  readonly index: number;
  readonly head: string;
  readonly offset: number;
  readonly headerEndOffset: number;
  readonly endOffset: number;
  readonly body: HttpBody;
  private first: number;
  /** Null while both later times equal the first: two boxed numbers less per message. */
  private later: Later | null;
  /** Flags, and a response's status. */
  protected readonly bits: number;
  private readonly rare: Rare | null;

  constructor(p: CompactParts, interim: boolean, status: number) {
    this.index = p.index;
    this.head = p.head;
    this.offset = p.offset;
    this.headerEndOffset = p.headerEndOffset;
    this.endOffset = p.endOffset;
    this.body = p.body;
    this.first = p.firstByteTs;
    this.later = p.headersCompleteTs === p.firstByteTs && p.lastByteTs === p.firstByteTs ? null
      : { headersCompleteTs: p.headersCompleteTs, lastByteTs: p.lastByteTs };
    this.bits = (p.damaged ? DAMAGED : 0) | (p.complete ? COMPLETE : 0) | (p.keepAlive ? KEEP_ALIVE : 0) | (interim ? INTERIM : 0) | (status << STATUS_SHIFT);
    this.rare = p.trailers.length === 0 && p.notes.size === 0 && p.missingBytes === 0 ? null
      : { trailers: p.trailers.length === 0 ? EMPTY_HEADERS : p.trailers, notes: p.notes.size === 0 ? EMPTY_NOTES : [...p.notes], missingBytes: p.missingBytes };
  }

  get firstByteTs(): number {
    return this.first;
  }

  get headersCompleteTs(): number {
    return this.later === null ? this.first : this.later.headersCompleteTs;
  }

  get lastByteTs(): number {
    return this.later === null ? this.first : this.later.lastByteTs;
  }

  // Times can be corrected after parsing (correlate/point-losses.ts retimes late requests).
  set firstByteTs(ts: number) {
    if (ts !== this.first) this.later ??= { headersCompleteTs: this.first, lastByteTs: this.first };
    this.first = ts;
  }

  set headersCompleteTs(ts: number) {
    if (this.later === null && ts === this.first) return;
    (this.later ??= { headersCompleteTs: this.first, lastByteTs: this.first }).headersCompleteTs = ts;
  }

  set lastByteTs(ts: number) {
    if (this.later === null && ts === this.first) return;
    (this.later ??= { headersCompleteTs: this.first, lastByteTs: this.first }).lastByteTs = ts;
  }

  get damaged(): boolean {
    return (this.bits & DAMAGED) !== 0;
  }

  get complete(): boolean {
    return (this.bits & COMPLETE) !== 0;
  }

  get keepAlive(): boolean {
    return (this.bits & KEEP_ALIVE) !== 0;
  }

  get missingBytes(): number {
    return this.rare?.missingBytes ?? 0;
  }

  get trailers(): HttpHeaders {
    return this.rare?.trailers ?? EMPTY_HEADERS;
  }

  get notes(): HttpNote[] {
    return this.rare?.notes ?? EMPTY_NOTES;
  }

  /** Where the fields start in `head`: just after the start line's LF. */
  get fieldsFrom(): number {
    return fieldsStart(this.head);
  }

  /** Length of the start line in `head`, without its line ending. */
  get startLineLength(): number {
    return startLineEnd(this.head);
  }

  get startLine(): string {
    return this.head.slice(0, this.startLineLength);
  }

  /** 'HTTP/1.1' or 'HTTP/1.0' (shared strings), from the start line. */
  abstract get version(): string;

  /** Decoded on first use, shared by messages with the same header block: never modify it. */
  get headers(): HttpHeaders {
    const from = this.fieldsFrom;
    return from >= this.head.length ? EMPTY_HEADERS : headersOfBlock(this.head, from);
  }

  get headerBytes(): number {
    return this.headerEndOffset - this.offset;
  }

  get bodyOffset(): number {
    return this.headerEndOffset;
  }

  /** The same message as a plain object (what the default mode emits): for tests and printing. */
  toPlain(): HttpRequest | HttpResponse {
    const base = {
      index: this.index, startLine: this.startLine, version: this.version, headers: this.headers.map(([n, v]): [string, string] => [n, v]),
      trailers: this.trailers.map(([n, v]): [string, string] => [n, v]), headerBytes: this.headerBytes, offset: this.offset,
      headerEndOffset: this.headerEndOffset, bodyOffset: this.bodyOffset, endOffset: this.endOffset,
      body: { framing: this.body.framing, length: this.body.length, wireLength: this.body.wireLength, chunks: [...this.body.chunks], hash: this.body.hash },
      firstByteTs: this.firstByteTs, headersCompleteTs: this.headersCompleteTs, lastByteTs: this.lastByteTs,
      damaged: this.damaged, missingBytes: this.missingBytes, complete: this.complete, keepAlive: this.keepAlive, notes: [...this.notes],
    };
    if (this instanceof CompactRequest) return { kind: 'request', method: this.method, target: this.target, ...base };
    const r = this as unknown as CompactResponse;
    return { kind: 'response', status: r.status, reason: r.reason, interim: r.interim, requestMethod: r.requestMethod, requestIndex: r.requestIndex, ...base };
  }
}

export class CompactRequest extends CompactMessage implements HttpRequest {
  readonly method: string;
  readonly target: string;

  constructor(p: CompactParts, method: string, target: string) {
    super(p, false, 0);
    this.method = method;
    this.target = target;
  }

  get version(): string {
    const stop = startLineEnd(this.head);
    return commonSlice(this.head, stop - 8, stop);
  }

  get kind(): 'request' {
    return 'request';
  }
}

export class CompactResponse extends CompactMessage implements HttpResponse {
  readonly reason: string;
  readonly requestMethod: string | null;
  readonly requestIndex: number | null;

  constructor(p: CompactParts, status: number, reason: string, requestMethod: string | null, requestIndex: number | null) {
    super(p, status >= 100 && status < 200 && status !== 101, status);
    this.reason = reason;
    this.requestMethod = requestMethod;
    this.requestIndex = requestIndex;
  }

  get status(): number {
    return this.bits >>> STATUS_SHIFT;
  }

  get version(): string {
    return commonSlice(this.head, 0, 8);
  }

  get kind(): 'response' {
    return 'response';
  }

  get interim(): boolean {
    return (this.bits & INTERIM) !== 0;
  }
}

/** Common short strings of start lines, shared rather than kept once per message. */
const COMMON = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'HTTP/1.1', 'HTTP/1.0', 'OK', '/'];

/** By length: the common strings to try before slicing. */
const COMMON_BY_LENGTH: string[][] = [];
for (const s of COMMON) (COMMON_BY_LENGTH[s.length] ??= []).push(s);

/** text.slice(from, to), shared when it is a common string (found without slicing or hashing). */
export function commonSlice(text: string, from: number, to: number): string {
  const candidates = COMMON_BY_LENGTH[to - from];
  if (candidates !== undefined) for (const c of candidates) if (text.startsWith(c, from)) return c;
  return text.slice(from, to);
}

/** The header block text of a compact message (the key of everything memoised per block), else undefined. */
export function headText(m: object): string | undefined {
  return m instanceof CompactMessage ? m.head : undefined;
}
