/**
 * HTTP/1.x parser for one direction of one connection. No I/O: the tcp stage pushes ordered bytes
 * and gaps, messages come out through `onMessage` as soon as they are complete.
 *
 * Memory is bounded: only the header block being parsed (≤ maxHeaderBytes) is copied; bodies
 * are counted and hashed, never kept. Nothing here throws on input; protocol errors go to
 * `onError`, and after a fatal one the parser stops (`notHttp`).
 */
import { fnv1aHex, fnv1aUpdate, FNV1A_INIT } from './fnv1a.js';
import { isKeepAlive, keepAliveOf, requestFraming, responseFraming, type Framing } from './framing.js';
import { headFacts, requestFramingOf, responseFramingOf, type HeadFacts } from './head-facts.js';
import {
  compactBody, CompactRequest, CompactResponse, commonSlice, internHashedHead, internHead, isHead, lastHeadKnown, lastInterned,
  type CompactParts, type InternedHead,
} from './compact.js';
import { latin1, parseFieldLines, scanFieldLines, splitLines } from './head-block.js';
import { headerTokens, headerValues } from './headers.js';
import { couldBeStartLine, looksLikeStartLine, parseRequestLine, requestLineMethodEnd, statusLineStatus } from './start-line.js';
import type {
  BodyFraming, HttpBody, HttpError, HttpErrorCode, HttpHeaders, HttpMessage, HttpNote, HttpRole, ResponseExpectation,
} from './types.js';

export interface HttpStreamParserOptions {
  role: HttpRole;
  /** Every message, in stream order, once complete (or once known to be cut short). */
  onMessage: (msg: HttpMessage) => void;
  onError?: (err: HttpError) => void;
  /** Header block (and trailer block) limit in bytes; default 65536. */
  maxHeaderBytes?: number;
  /**
   * Request role only: the response parser of the same connection. Each request is announced to
   * it (`expectResponseTo`) as soon as its header block is complete, and its verdict on
   * Upgrade/CONNECT tells this parser whether what follows is a tunnel.
   */
  responses?: HttpStreamParser;
  /**
   * Emit compact messages (src/app/http/compact.ts): the header block kept as one interned
   * string and decoded into `headers` only when that is read. Same values; for consumers that
   * keep many messages.
   */
  compact?: boolean;
}

type State =
  | 'idle' // between messages
  | 'head' // in a header block
  | 'body' // in a content-length body
  | 'chunk_size' | 'chunk_data' | 'chunk_end' | 'trailers'
  | 'close' | 'tunnel' // until end()
  | 'await' // request side, after Upgrade/CONNECT: input queued until we know if it is HTTP
  | 'resync' // after a gap: looking for a start line
  | 'stopped' // after a fatal error
  | 'ended';

type Verdict = 'unknown' | 'tunnel' | 'http';

/**
 * A message being parsed. One per parser, reset for each message (a message copies what it
 * keeps at emit): no object per message. Also the parts a compact message is built from.
 */
class Draft implements CompactParts {
  index = -1;
  offset = 0;
  firstByteTs = 0;
  startLine = '';
  version = '';
  method = '';
  target = '';
  status = 0;
  reason = '';
  requestMethod: string | null = null;
  requestIndex: number | null = null;
  headers: HttpHeaders | null = null;
  /** Compact mode: the header block's text (then `headers` holds only the framing fields). */
  head = '';
  /** Compact mode: what that text decides, shared by identical blocks (head-facts.ts). */
  facts: HeadFacts | null = null;
  startLineLength = 0;
  /** NO_FIELDS until trailers are parsed (a new list then: messages keep it). */
  trailers: HttpHeaders = NO_FIELDS;
  headerEndOffset = -1;
  headersCompleteTs = -1;
  lastByteTs = 0;
  framing: BodyFraming = 'none';
  length = 0;
  hash = FNV1A_INIT;
  /** NO_CHUNKS until the first chunk (a new list then: messages keep it). */
  chunks: number[] = NO_CHUNKS;
  missingBytes = 0;
  damaged = false;
  /** Cleared for each message (messages copy it). */
  readonly notes = new Set<HttpNote>();
  /** Request with Upgrade, or CONNECT: held back until we know whether a tunnel follows. */
  upgradeCapable = false;
  verdict: Verdict = 'unknown';
  /** Where the framing of a held-back request ended (-1 until then). */
  framedEnd = -1;
  // Set at emit, for the compact message.
  endOffset = 0;
  body: HttpBody = NO_BODY;
  complete = false;
  keepAlive = false;

  reset(offset: number, ts: number): void {
    this.index = -1;
    this.offset = offset;
    this.firstByteTs = ts;
    this.startLine = '';
    this.version = '';
    this.method = '';
    this.target = '';
    this.status = 0;
    this.reason = '';
    this.requestMethod = null;
    this.requestIndex = null;
    this.headers = null;
    this.head = '';
    this.facts = null;
    this.startLineLength = 0;
    this.trailers = NO_FIELDS;
    this.headerEndOffset = -1;
    this.headersCompleteTs = -1;
    this.lastByteTs = ts;
    this.framing = 'none';
    this.length = 0;
    this.hash = FNV1A_INIT;
    this.chunks = NO_CHUNKS;
    this.missingBytes = 0;
    this.damaged = false;
    if (this.notes.size > 0) this.notes.clear(); // clear() allocates a new table even when empty
    this.upgradeCapable = false;
    this.verdict = 'unknown';
    this.framedEnd = -1;
    this.endOffset = 0;
    this.body = NO_BODY;
    this.complete = false;
    this.keepAlive = false;
  }
}

interface Expectation {
  method: string;
  index: number;
  expectContinue: boolean;
  onSwitch: ((tunnel: boolean) => void) | null;
}

type Queued = { offset: number; data: Uint8Array; ts: number } | { offset: number; length: number; ts: number };

const DEFAULT_MAX_HEADER_BYTES = 65536;
const MAX_CHUNK_LINE = 4096;
const MAX_CHUNKS_KEPT = 4096;
/** Requests announced without a response yet; past it the oldest are forgotten (pairing is lost by then anyway). */
const MAX_EXPECTATIONS = 65536;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;.*)?$/s;
const NO_BYTES = new Uint8Array(0);
/** reset() keeps a block buffer up to this size (most header blocks fit). */
const MAX_KEPT_BUF = 2048;
/** Shared empty lists of a draft: never written (a message gets a fresh [] in the plain mode). */
const NO_FIELDS: HttpHeaders = Object.freeze([]) as unknown as HttpHeaders;
const NO_CHUNKS: number[] = Object.freeze([]) as unknown as number[];
const NO_BODY = compactBody('none', 0, 0, NO_CHUNKS, FNV1A_INIT);

/**
 * Compact mode: what the start line of an interned header block parsed into, by block (the
 * same few blocks come again and again under load). Bounded: when full it starts over.
 */
interface StartLineFacts {
  role: HttpRole;
  method: string;
  target: string;
  version: string;
  status: number;
  reason: string;
}
const MAX_START_LINES = 16384;
let startLines = new Map<string, StartLineFacts>();

/** The fields framing and connection handling read: all a compact header scan decodes. */
function framingField(name: string): boolean {
  switch (name.length) {
    case 6: return name.toLowerCase() === 'expect';
    case 7: return name.toLowerCase() === 'upgrade';
    case 10: return name.toLowerCase() === 'connection';
    case 14: return name.toLowerCase() === 'content-length';
    case 17: return name.toLowerCase() === 'transfer-encoding';
    default: return false;
  }
}

export class HttpStreamParser {
  readonly role: HttpRole;
  /** True once a fatal error stopped the parser: the rest of the stream is not parsed. */
  notHttp = false;
  /** Bytes thrown away while resynchronising after a gap. */
  skippedBytes = 0;
  /** Bytes announced missing by gap(). */
  missingBytes = 0;
  /** Bytes received after the parser stopped. */
  ignoredBytes = 0;
  /** Messages emitted so far. */
  messages = 0;

  private readonly onMessage: (msg: HttpMessage) => void;
  private readonly onError: ((err: HttpError) => void) | null;
  private readonly maxHeaderBytes: number;
  private readonly responses: HttpStreamParser | null;
  private readonly compact: boolean;

  private state: State = 'idle';
  /** Next stream offset expected from the tcp stage (input side; queued input counts as taken). */
  private next = 0;
  /** The first push or gap sets where the stream starts (not 0 when a PROXY header was stripped). */
  private started = false;
  private draft: Draft | null = null;
  /** Compact mode: the interned block of this parser's last message. */
  private prevHead: InternedHead | null = null;
  /** The one Draft this parser fills, message after message (`draft` is it or null). */
  private slot: Draft | null = null;
  private nextIndex = 0;
  private prevKeepAlive = true;
  private leadingEmpty = 0;
  private resynced = false;

  // The block (header block, trailers, chunk-size line, or resync line) being accumulated.
  // Bytes past the current parse position may sit in it; they are dropped and read again from the input.
  private buf = NO_BYTES; // allocated when first needed, grows by doubling, up to maxHeaderBytes
  private bufLen = 0;
  /** Stream offset of buf[0]. */
  private bufBase = 0;
  private scanPos = 0;
  private lineStart = 0;
  private lineIndex = 0;
  private firstLineEnd = 0;
  /** Resync: capture time of the line being accumulated, and whether its beginning was dropped. */
  private lineTs = 0;
  private lineTail = false;

  private remaining = 0;
  private crSeen = false;

  private readonly expectations: Expectation[] = [];
  private expectationCount = 0;
  private queue: Queued[] = [];
  private queuedBytes = 0;

  constructor(opts: HttpStreamParserOptions);
  /** The role (and the response parser) apart: shared options, not copied per connection. */
  constructor(opts: Omit<HttpStreamParserOptions, 'role' | 'responses'>, role: HttpRole, responses?: HttpStreamParser);
  constructor(opts: Omit<HttpStreamParserOptions, 'role'> & { role?: HttpRole }, role?: HttpRole, responses?: HttpStreamParser) {
    this.role = role ?? opts.role ?? 'request';
    this.onMessage = opts.onMessage;
    this.onError = opts.onError ?? null;
    this.maxHeaderBytes = Math.max(64, opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    this.responses = this.role === 'request' ? (responses ?? opts.responses ?? null) : null;
    this.compact = opts.compact === true;
  }

  /**
   * Back to the state of a new parser (same options), for the next connection: a pool reuses
   * parsers so that per-connection state is not allocated, promoted and dropped for each one.
   * What was emitted stays the consumer's; the block buffer is kept unless it grew large.
   */
  reset(): void {
    this.notHttp = false;
    this.skippedBytes = 0;
    this.missingBytes = 0;
    this.ignoredBytes = 0;
    this.messages = 0;
    this.state = 'idle';
    this.next = 0;
    this.started = false;
    this.draft = null;
    this.prevHead = null;
    this.nextIndex = 0;
    this.prevKeepAlive = true;
    this.leadingEmpty = 0;
    this.resynced = false;
    if (this.buf.length > MAX_KEPT_BUF) this.buf = NO_BYTES;
    this.bufLen = 0;
    this.bufBase = 0;
    this.scanPos = 0;
    this.lineStart = 0;
    this.lineIndex = 0;
    this.firstLineEnd = 0;
    this.lineTs = 0;
    this.lineTail = false;
    this.remaining = 0;
    this.crSeen = false;
    if (this.expectations.length > 0) this.expectations.length = 0;
    this.expectationCount = 0;
    if (this.queue.length > 0) this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Response role: the next request on this connection (call in request order, before or while
   * its response arrives). Tells HEAD and CONNECT apart, and whether a 100 was asked for.
   * Without it a response is parsed as answering neither HEAD nor CONNECT (note `unpaired`).
   */
  expectResponseTo(method: string, opts: ResponseExpectation = {}): void {
    this.expect(method, opts.expectContinue ?? false, opts.onSwitch ?? null);
  }

  /** expectResponseTo without an options object (the paired request parser's way). */
  private expect(method: string, expectContinue: boolean, onSwitch: ((tunnel: boolean) => void) | null): void {
    if (this.role !== 'response') return;
    if (this.expectations.length >= MAX_EXPECTATIONS) this.expectations.shift();
    this.expectations.push({ method, index: this.expectationCount++, expectContinue, onSwitch });
  }

  /** In-order bytes at stream offset `offset`; `data` is only read during the call. */
  push(offset: number, data: Uint8Array, ts: number): void {
    this.pushRange(offset, data, 0, data.length, ts);
  }

  /**
   * push() of data[start, end) (at stream offset `offset`): the tcp stage's frame as it is,
   * without a view object per segment.
   */
  pushRange(offset: number, data: Uint8Array, start: number, end: number, ts: number): void {
    if (this.state === 'ended' || end <= start) return;
    this.start(offset);
    // The tcp stage delivers in order; be safe anyway: a jump is a gap, a repeat is dropped.
    if (offset > this.next) this.gap(this.next, offset - this.next, ts);
    else if (offset < this.next) {
      const skip = this.next - offset;
      if (skip >= end - start) return;
      start += skip;
      offset = this.next;
    }
    this.next = offset + (end - start);
    this.feed(offset - start, data, start, end, ts);
    if (this.state === 'await') this.tryResolve(false);
  }

  /** Bytes [offset, offset + length) will never arrive. */
  gap(offset: number, length: number, ts: number): void {
    if (this.state === 'ended' || length <= 0) return;
    this.start(offset);
    // Starting before the expected offset: the overlap was already delivered; after it: the
    // bytes in between are missing too.
    length += offset - this.next;
    offset = this.next;
    if (length <= 0) return;
    this.missingBytes += length;
    this.next = offset + length;
    this.lose(offset, length, ts);
    if (this.state === 'await') this.tryResolve(false);
  }

  /** End of the stream: finishes close-delimited bodies and tunnels; anything else open is truncated. */
  end(ts: number): void {
    if (this.state === 'ended') return;
    if (this.state === 'await') this.tryResolve(true);
    const d = this.draft;
    switch (this.state) {
      case 'close':
      case 'tunnel':
        if (d !== null) this.complete(d, this.next);
        break;
      case 'head':
        if (d !== null && this.lineIndex >= 1) {
          this.error('truncated', this.next, ts, 'stream ended inside a header block');
          this.emitPartial(d, this.next);
        } else if (this.bufLen > 0) {
          this.error('truncated', this.next, ts, 'stream ended inside a start line');
        }
        break;
      case 'body':
      case 'chunk_size':
      case 'chunk_data':
      case 'chunk_end':
      case 'trailers':
        if (d !== null) {
          this.error('truncated', this.next, ts, `stream ended inside a ${d.framing} body`);
          this.emitPartial(d, this.next);
        }
        break;
      default:
        break;
    }
    this.draft = null;
    this.state = 'ended';
  }

  // ---- input ----

  private start(offset: number): void {
    if (this.started) return;
    this.started = true;
    this.next = offset;
  }

  /** data[start, len) is the input; `offset` is the stream offset of data[0] (perhaps before the stream starts). */
  private feed(offset: number, data: Uint8Array, start: number, len: number, ts: number): void {
    let i = start;
    while (i < len) {
      const d = this.draft;
      switch (this.state) {
        case 'idle': {
          const b = data[i]!;
          // RFC 9112 §2.2: empty lines before a start line are ignored.
          if (b === 0x0d || b === 0x0a) {
            this.leadingEmpty++;
            i++;
            break;
          }
          this.startDraft(offset + i, ts);
          break;
        }
        case 'head':
        case 'trailers':
          i = this.takeBlock(offset, data, i, len, ts);
          break;
        case 'resync':
          i = this.resyncScan(offset, data, i, len, ts);
          break;
        case 'body': {
          const n = Math.min(this.remaining, len - i);
          this.bodyBytes(d!, data, i, n, ts);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.complete(d!, offset + i);
          break;
        }
        case 'chunk_data': {
          const n = Math.min(this.remaining, len - i);
          this.bodyBytes(d!, data, i, n, ts);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = 'chunk_end';
            this.crSeen = false;
          }
          break;
        }
        case 'chunk_size':
          i = this.takeChunkLine(offset, data, i, len, ts);
          break;
        case 'chunk_end': {
          const b = data[i]!;
          d!.lastByteTs = ts;
          if (b === 0x0d && !this.crSeen) {
            this.crSeen = true;
          } else if (b === 0x0a) {
            if (!this.crSeen) d!.notes.add('lf_only');
            this.enterBlock('chunk_size', offset + i + 1);
          } else {
            this.fatal('bad_chunk', offset + i, ts, 'no CRLF after chunk data');
            break;
          }
          i++;
          break;
        }
        case 'close':
        case 'tunnel':
          this.bodyBytes(d!, data, i, len - i, ts);
          i = len;
          break;
        case 'await': {
          const rest = data.slice(i, len);
          this.queue.push({ offset: offset + i, data: rest, ts });
          this.queuedBytes += rest.length;
          i = len;
          break;
        }
        case 'stopped':
          this.ignoredBytes += len - i;
          i = len;
          break;
        case 'ended':
          i = len;
          break;
      }
    }
  }

  /** The gap counterpart of feed(): how the missing bytes affect each state. */
  private lose(offset: number, length: number, ts: number): void {
    while (length > 0) {
      const d = this.draft;
      switch (this.state) {
        case 'idle':
          this.error('gap_between_messages', offset, ts, `${length} bytes missing between messages`);
          this.enterResync(offset + length);
          return;
        case 'resync':
          this.skippedBytes += this.bufLen;
          this.enterResync(offset + length);
          return;
        case 'head':
          this.error('gap_in_headers', offset, ts, `${length} bytes missing in a header block`);
          if (d !== null && this.lineIndex >= 1) {
            this.damage(d, length, ts);
            this.emitPartial(d, offset + length);
          } else {
            this.skippedBytes += this.bufLen;
            this.draft = null;
          }
          this.enterResync(offset + length);
          return;
        case 'chunk_size':
        case 'chunk_end':
        case 'trailers':
          if (this.state === 'trailers') this.error('gap_in_headers', offset, ts, `${length} bytes missing in the trailers`);
          else this.error('gap_in_chunked', offset, ts, `${length} bytes missing in chunk framing`);
          this.damage(d!, length, ts);
          this.emitPartial(d!, offset + length);
          this.enterResync(offset + length);
          return;
        case 'body':
        case 'chunk_data': {
          const n = Math.min(this.remaining, length);
          this.damage(d!, n, ts);
          d!.length += n;
          this.remaining -= n;
          offset += n;
          length -= n;
          if (this.remaining === 0) {
            if (this.state === 'body') this.complete(d!, offset);
            else {
              this.state = 'chunk_end';
              this.crSeen = false;
            }
          }
          break;
        }
        case 'close':
        case 'tunnel':
          this.damage(d!, length, ts);
          d!.length += length;
          return;
        case 'await':
          this.queue.push({ offset, length, ts });
          return;
        case 'stopped':
        case 'ended':
          return;
      }
    }
  }

  private damage(d: Draft, n: number, ts: number): void {
    d.damaged = true;
    d.missingBytes += n;
    d.lastByteTs = ts;
  }

  private bodyBytes(d: Draft, data: Uint8Array, i: number, n: number, ts: number): void {
    if (n <= 0) return;
    d.hash = fnv1aUpdate(d.hash, data, i, i + n);
    d.length += n;
    d.lastByteTs = ts;
  }

  // ---- blocks: header block, trailers, chunk-size lines, resync lines ----

  private enterBlock(state: 'head' | 'trailers' | 'chunk_size', base: number): void {
    this.state = state;
    this.bufLen = 0;
    this.bufBase = base;
    this.scanPos = 0;
    this.lineStart = 0;
    this.lineIndex = 0;
  }

  private enterResync(base: number): void {
    this.enterBlock('head', base);
    this.state = 'resync';
    this.lineTail = false;
    this.resynced = true;
    this.draft = null;
  }

  /** Copies up to `n` bytes of data[i..] into the block buffer, growing it up to the limit. */
  private append(data: Uint8Array, i: number, n: number): void {
    const need = this.bufLen + n;
    if (need > this.buf.length) {
      let size = Math.max(256, this.buf.length);
      while (size < need) size *= 2;
      // Not from Node's shared pool: a reused parser keeps its buffer, which must not pin a pool slab.
      const bigger = Buffer.allocUnsafeSlow(size);
      bigger.set(this.buf.subarray(0, this.bufLen));
      this.buf = bigger;
    }
    this.buf.set(data.subarray(i, i + n), this.bufLen);
    this.bufLen = need;
  }

  /** Header block or trailer block: returns the new input index. */
  private takeBlock(offset: number, data: Uint8Array, i: number, len: number, ts: number): number {
    if (this.state === 'head' && this.bufLen === 0 && this.lineIndex === 0) {
      const taken = this.wholeHead(offset, data, i, len, ts);
      if (taken >= 0) return taken;
    }
    const d = this.draft!;
    const n = Math.min(len - i, this.maxHeaderBytes - this.bufLen);
    this.append(data, i, n);
    const buf = this.buf.subarray(0, this.bufLen);
    for (;;) {
      const lf = buf.indexOf(0x0a, this.scanPos);
      if (lf < 0) break;
      this.scanPos = lf + 1;
      const lineLen = lf - this.lineStart;
      if (this.state === 'head' && this.lineIndex === 0) {
        if (!this.acceptStartLine(d, lf, ts)) return len;
      } else if (lineLen === 0 || (lineLen === 1 && buf[lf - 1] === 0x0d)) {
        // The blank line: every byte up to here is the block; what follows is read again from data.
        this.bufLen = lf + 1;
        const end = this.bufBase + this.bufLen;
        if (this.state === 'head') this.finishHead(d, ts);
        else this.finishTrailers(d, ts);
        return end - offset;
      }
      this.lineIndex++;
      this.lineStart = lf + 1;
    }
    if (this.state === 'head' && this.lineIndex === 0 && !couldBeStartLine(this.role, buf, this.bufLen)) {
      this.fatal('bad_start_line', this.bufBase, ts, `not an HTTP/1 ${this.role === 'request' ? 'request' : 'status'} line: ${quote(buf, 0, this.bufLen)}`);
      return len;
    }
    if (n < len - i) {
      this.fatal('headers_too_large', this.bufBase, ts, `no end of the ${this.state === 'head' ? 'header' : 'trailer'} block within ${this.maxHeaderBytes} bytes`);
      return len;
    }
    return i + n;
  }

  /**
   * The common case of a header block: all of it in `data` from `i` (start line, fields, blank
   * line), within the limit. Decoded once from the input, not copied: the same result as the
   * line-by-line path below, which takes every other case. Returns the input index after the
   * block, or -1 when this is not the case.
   */
  private wholeHead(offset: number, data: Uint8Array, i: number, len: number, ts: number): number {
    // Compact mode: a connection often sends the same block again (the same request, the same
    // response): then one native compare finds it, no scan, no hash.
    const prev = this.prevHead;
    if (prev !== null && prev.bytes !== null) {
      const n = prev.bytes.length;
      if (n <= len - i && n <= this.maxHeaderBytes && isHead(prev, data, i, i + n)) {
        return this.acceptHead(offset, i, i + n - 1, i + prev.text.indexOf('\n'), prev.text, true, len, ts);
      }
    }
    // One pass: the first LF (end of the start line), the blank line (an LF right after an LF,
    // or after an LF and a CR) and the hash the compact mode interns the block by.
    const stop = Math.min(len, i + this.maxHeaderBytes);
    let hash = FNV1A_INIT;
    let first = -1;
    let end = -1;
    for (let k = i; k < stop; k++) {
      const c = data[k]!;
      hash = Math.imul(hash ^ c, 0x01000193);
      if (c !== 0x0a) continue;
      if (first < 0) {
        first = k;
        continue;
      }
      const p = data[k - 1];
      if (p === 0x0a || (p === 0x0d && k - 2 >= first && data[k - 2] === 0x0a)) {
        end = k;
        break;
      }
    }
    // Not all of it here (or over the limit): the line-by-line path decides.
    if (end < 0) return -1;
    // Compact mode: interned from the bytes, so a block seen before is not decoded again.
    let text: string;
    let known = false;
    if (this.compact) {
      text = internHashedHead(data, i, end + 1, hash);
      known = lastHeadKnown();
      this.prevHead = lastInterned();
    } else text = latin1(data, i, end + 1);
    return this.acceptHead(offset, i, end, first, text, known, len, ts);
  }

  /** wholeHead's block found: input[i, end] (the first LF at `first`), its text. */
  private acceptHead(offset: number, i: number, end: number, first: number, text: string, known: boolean, len: number, ts: number): number {
    const d = this.draft!;
    this.bufBase = offset + i;
    this.bufLen = end + 1 - i;
    this.lineIndex = 1;
    if (!this.acceptStartLineText(d, text, first - i, ts, known)) return len;
    this.finishHead(d, ts, text, known);
    return end + 1;
  }

  private takeChunkLine(offset: number, data: Uint8Array, i: number, len: number, ts: number): number {
    const d = this.draft!;
    d.lastByteTs = ts;
    const lf = lfIndex(data, i, len);
    const stop = lf < 0 ? len : lf;
    const n = Math.min(stop - i, MAX_CHUNK_LINE + 1 - this.bufLen);
    this.append(data, i, n);
    if (this.bufLen > MAX_CHUNK_LINE) {
      this.fatal('bad_chunk', this.bufBase, ts, `chunk-size line longer than ${MAX_CHUNK_LINE} bytes`);
      return len;
    }
    if (lf < 0) return len;
    let end = this.bufLen;
    if (end > 0 && this.buf[end - 1] === 0x0d) end--;
    else d.notes.add('lf_only');
    const line = latin1(this.buf, 0, end);
    const m = CHUNK_SIZE_LINE.exec(line);
    if (m === null) {
      this.fatal('bad_chunk', this.bufBase, ts, `invalid chunk-size line: ${JSON.stringify(line.slice(0, 40))}`);
      return len;
    }
    const size = parseInt(m[1]!, 16);
    if (size === 0) {
      this.enterBlock('trailers', offset + lf + 1);
    } else {
      if (d.chunks === NO_CHUNKS) d.chunks = [size];
      else if (d.chunks.length < MAX_CHUNKS_KEPT) d.chunks.push(size);
      else d.notes.add('too_many_chunks');
      this.remaining = size;
      this.state = 'chunk_data';
    }
    return lf + 1;
  }

  private resyncScan(offset: number, data: Uint8Array, i: number, len: number, ts: number): number {
    if (this.bufLen === 0) this.lineTs = ts;
    const n = Math.min(len - i, this.maxHeaderBytes - this.bufLen);
    this.append(data, i, n);
    const buf = this.buf.subarray(0, this.bufLen);
    for (;;) {
      const lf = buf.indexOf(0x0a, this.scanPos);
      if (lf < 0) break;
      this.scanPos = lf + 1;
      let stop = lf;
      if (stop > this.lineStart && buf[stop - 1] === 0x0d) stop--;
      if (!this.lineTail && stop - this.lineStart >= 12 && looksLikeStartLine(this.role, latin1(buf, this.lineStart, stop))) {
        // Found: the line becomes the first line of a new message, parsed again by the head state
        // (kept in the buffer: it may have begun in an earlier push).
        this.skippedBytes += this.lineStart;
        this.buf.copyWithin(0, this.lineStart, lf + 1);
        const base = this.bufBase + this.lineStart;
        const lineLen = lf + 1 - this.lineStart;
        this.enterBlock('head', base);
        this.bufLen = lineLen;
        this.startDraft(base, this.lineTs);
        return base + lineLen - offset;
      }
      this.lineTail = false;
      this.lineStart = lf + 1;
      this.lineTs = ts;
    }
    // Keep only the incomplete last line.
    this.skippedBytes += this.lineStart;
    this.buf.copyWithin(0, this.lineStart, this.bufLen);
    this.bufBase += this.lineStart;
    this.bufLen -= this.lineStart;
    this.scanPos = this.bufLen;
    this.lineStart = 0;
    if (this.bufLen >= this.maxHeaderBytes) {
      // A line longer than any start line we accept: drop it, and its tail cannot be one either.
      this.skippedBytes += this.bufLen;
      this.bufBase += this.bufLen;
      this.bufLen = 0;
      this.scanPos = 0;
      this.lineTail = true;
    }
    return i + n;
  }

  // ---- messages ----

  private startDraft(offset: number, ts: number): void {
    const d = (this.slot ??= new Draft());
    d.reset(offset, ts);
    if (this.resynced) d.notes.add('resynced');
    if (this.leadingEmpty > 0) d.notes.add('leading_empty_lines');
    if (!this.prevKeepAlive) d.notes.add('after_close');
    this.resynced = false;
    this.leadingEmpty = 0;
    this.draft = d;
    if (this.state !== 'head') this.enterBlock('head', offset);
  }

  /** The first line of a header block, buf[0, lf]: false when it is not HTTP (the parser stopped). */
  private acceptStartLine(d: Draft, lf: number, ts: number): boolean {
    let stop = lf;
    if (stop > 0 && this.buf[stop - 1] === 0x0d) stop--;
    else d.notes.add('lf_only');
    return this.acceptLine(d, latin1(this.buf, 0, stop), stop, lf, ts);
  }

  /**
   * acceptStartLine when the block's text is at hand: the line ends at `lf` in it. `known`: the
   * text is an interned block seen before, whose start line was likely parsed already.
   */
  private acceptStartLineText(d: Draft, text: string, lf: number, ts: number, known = false): boolean {
    let stop = lf;
    if (stop > 0 && text.charCodeAt(stop - 1) === 0x0d) stop--;
    else d.notes.add('lf_only');
    if (known) {
      const s = startLines.get(text);
      if (s !== undefined && s.role === this.role) {
        d.method = s.method;
        d.target = s.target;
        d.version = s.version;
        d.status = s.status;
        d.reason = s.reason;
        return this.acceptedLine(d, text, stop, lf);
      }
    }
    if (!this.acceptLine(d, text, stop, lf, ts)) return false;
    if (this.compact) {
      if (startLines.size >= MAX_START_LINES) startLines = new Map();
      startLines.set(text, { role: this.role, method: d.method, target: d.target, version: d.version, status: d.status, reason: d.reason });
    }
    return true;
  }

  /** The start line is text[0, stop). */
  private acceptLine(d: Draft, text: string, stop: number, lf: number, ts: number): boolean {
    if (this.role === 'request') {
      const m = requestLineMethodEnd(text, stop);
      if (m < 0) return this.fatal('bad_start_line', d.offset, ts, `not an HTTP/1 request line: ${JSON.stringify(text.slice(0, Math.min(stop, 80)))}`);
      d.method = commonSlice(text, 0, m);
      d.target = commonSlice(text, m + 1, stop - 9);
      d.version = commonSlice(text, stop - 8, stop);
    } else {
      const status = statusLineStatus(text, stop);
      if (status < 0) return this.fatal('bad_start_line', d.offset, ts, `not an HTTP/1 status line: ${JSON.stringify(text.slice(0, Math.min(stop, 80)))}`);
      d.version = commonSlice(text, 0, 8);
      d.status = status;
      d.reason = stop > 12 ? commonSlice(text, 13, stop) : '';
    }
    return this.acceptedLine(d, text, stop, lf);
  }

  /** The start line text[0, stop) was parsed into the draft. */
  private acceptedLine(d: Draft, text: string, stop: number, lf: number): true {
    // Only plain messages store it (compact ones derive it from the head).
    if (!this.compact) d.startLine = stop === text.length ? text : text.slice(0, stop);
    d.startLineLength = stop;
    d.index = this.nextIndex++;
    this.firstLineEnd = lf + 1;
    return true;
  }

  /**
   * The fields of the header block (complete or cut short; `text`: its text when already decoded,
   * else it is in buf): all of them, or in compact mode the framing ones.
   */
  private readFields(d: Draft, text?: string, known = false): HttpHeaders {
    if (this.compact) {
      // With `text`, the block was interned already (wholeHead), `known` saying if it was new.
      if (text === undefined) {
        d.head = internHead(this.buf, 0, this.bufLen);
        known = lastHeadKnown();
        this.prevHead = lastInterned();
      } else d.head = text;
      // A block seen before is likely to come again: its facts are kept. One seen for the first
      // time (unique ones are common: request ids, cookies) is scanned as in the plain mode.
      if (!known) return scanFieldLines(d.head, this.firstLineEnd, d.notes, framingField);
      const f = headFacts(d.head, this.firstLineEnd, framingField);
      d.facts = f;
      for (const n of f.notes) d.notes.add(n);
      return f.fields;
    }
    if (text !== undefined) return scanFieldLines(text, this.firstLineEnd, d.notes);
    return scanFieldLines(latin1(this.buf, this.firstLineEnd, this.bufLen), 0, d.notes);
  }

  private finishHead(d: Draft, ts: number, text?: string, known = false): void {
    d.headers = this.readFields(d, text, known);
    d.headerEndOffset = this.bufBase + this.bufLen;
    d.headersCompleteTs = ts;
    d.lastByteTs = ts;
    const f = this.role === 'request' ? this.requestHead(d) : this.responseHead(d);
    d.framing = f.framing;
    if (f.error !== null) {
      this.fatal(f.error.code, d.offset, ts, f.error.detail, d.headerEndOffset);
      return;
    }
    switch (f.framing) {
      case 'none':
        this.complete(d, d.headerEndOffset);
        break;
      case 'content-length':
        if (f.contentLength === 0) this.complete(d, d.headerEndOffset);
        else {
          this.state = 'body';
          this.remaining = f.contentLength;
        }
        break;
      case 'chunked':
        this.enterBlock('chunk_size', d.headerEndOffset);
        break;
      case 'close':
      case 'tunnel':
        this.state = f.framing;
        break;
    }
  }

  private requestHead(d: Draft): Framing {
    const headers = d.headers!;
    const f = d.facts;
    d.upgradeCapable = d.method === 'CONNECT' || (f !== null ? f.upgrade : headerValues(headers, 'upgrade').length > 0);
    this.announce(d);
    return f !== null ? requestFramingOf(f, d.method, d.version, d.notes) : requestFraming(d.method, headers, d.version, d.notes);
  }

  /** Tells the paired response parser about this request. */
  private announce(d: Draft): void {
    if (this.responses === null) return;
    const expectContinue = d.facts !== null ? d.facts.expectContinue : d.headers !== null && headerTokens(d.headers, 'expect').includes('100-continue');
    let onSwitch: ((tunnel: boolean) => void) | null = null;
    if (d.upgradeCapable) {
      // By index: the draft object is reused for later messages.
      const index = d.index;
      onSwitch = (tunnel) => this.verdict(index, tunnel);
    }
    this.responses.expect(d.method, expectContinue, onSwitch);
  }

  private responseHead(d: Draft): Framing {
    const interim = d.status >= 100 && d.status < 200 && d.status !== 101;
    // Interim responses answer the request at the head of the queue without consuming it.
    const exp = interim ? this.expectations[0] : this.expectations.shift();
    if (exp === undefined) d.notes.add('unpaired');
    else {
      d.requestMethod = exp.method;
      d.requestIndex = exp.index;
      if (d.status === 100 && !exp.expectContinue) d.notes.add('unsolicited_100');
    }
    const f = d.facts !== null ? responseFramingOf(d.facts, d.status, d.requestMethod, d.version, d.notes)
      : responseFraming(d.status, d.requestMethod, d.headers!, d.version, d.notes);
    if (!interim) exp?.onSwitch?.(f.framing === 'tunnel');
    return f;
  }

  private finishTrailers(d: Draft, ts: number): void {
    d.trailers = parseFieldLines(splitLines(this.buf, 0, this.bufLen, d.notes), d.notes);
    d.lastByteTs = ts;
    this.complete(d, this.bufBase + this.bufLen);
  }

  /** The message's framing ended at `end`. */
  private complete(d: Draft, end: number): void {
    if (this.role === 'request' && d.upgradeCapable && d.framing !== 'tunnel') {
      // What follows is a tunnel or more HTTP: hold the request until we know which.
      d.framedEnd = end;
      if (d.verdict === 'tunnel') this.toTunnel(d);
      else if (d.verdict === 'http') this.emit(d, end, true);
      else this.state = 'await';
      return;
    }
    this.emit(d, end, true);
  }

  private toTunnel(d: Draft): void {
    d.framing = 'tunnel';
    this.state = 'tunnel';
  }

  /** Called by the paired response parser once it knows. */
  private verdict(index: number, tunnel: boolean): void {
    const d = this.draft;
    // A message already emitted (its verdict came too late to matter) is not the draft any more.
    if (d === null || d.index !== index) return;
    d.verdict = tunnel ? 'tunnel' : 'http';
    if (this.state === 'await') this.tryResolve(false);
  }

  /**
   * In 'await': decide, then replay the queued input. Without a verdict from the response side
   * (none paired, too much queued, or the end of the stream) the queued bytes decide: a request
   * line means HTTP, anything else a tunnel.
   */
  private tryResolve(force: boolean): void {
    const d = this.draft;
    if (this.state !== 'await' || d === null) return;
    let v = d.verdict;
    if (v === 'unknown' && (force || this.responses === null || this.queuedBytes > this.maxHeaderBytes)) {
      v = this.guess(force || this.queuedBytes > this.maxHeaderBytes);
    }
    if (v === 'unknown') return;
    if (v === 'tunnel') this.toTunnel(d);
    else this.emit(d, d.framedEnd, true);
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const q of queue) {
      if (this.state === 'await') {
        this.queue.push(q);
        this.queuedBytes += 'data' in q ? q.data.length : 0;
      } else if ('data' in q) this.feed(q.offset, q.data, 0, q.data.length, q.ts);
      else this.lose(q.offset, q.length, q.ts);
    }
    // Another Upgrade/CONNECT in the replayed input: it may be decidable already.
    if (this.state === 'await') this.tryResolve(force);
  }

  private guess(final: boolean): Verdict {
    const first: number[] = [];
    for (const q of this.queue) {
      if (!('data' in q)) return first.length === 0 ? 'tunnel' : 'http'; // the prefix so far was a request line's
      for (const b of q.data) {
        if (b === 0x0a) {
          const line = Uint8Array.from(first);
          let end = line.length;
          if (end > 0 && line[end - 1] === 0x0d) end--;
          return parseRequestLine(latin1(line, 0, end)) !== null ? 'http' : 'tunnel';
        }
        first.push(b);
        if (first.length > 8192) return 'tunnel';
      }
      if (!couldBeStartLine('request', Uint8Array.from(first), first.length)) return 'tunnel';
    }
    return final ? 'http' : 'unknown';
  }

  /** Emits what is known of a message its framing did not finish (gap, error, end of stream). */
  private emitPartial(d: Draft, end: number): void {
    if (d.headers === null) {
      // Cut inside the header block: keep the complete field lines, and still announce the request.
      d.headers = this.readFields(d);
      d.headerEndOffset = end;
      if (this.role === 'request') this.announce(d);
    }
    this.emit(d, end, false);
  }

  private emit(d: Draft, end: number, complete: boolean): void {
    const headers = d.headers ?? [];
    const headerEndOffset = d.headerEndOffset < 0 ? end : d.headerEndOffset;
    const keepAlive = d.facts !== null ? keepAliveOf(d.facts.connection, d.version, d.framing) : isKeepAlive(headers, d.version, d.framing);
    const msg = this.compact ? this.compactMessage(d, end, complete, headerEndOffset, keepAlive) : this.plainMessage(d, end, complete, headerEndOffset, keepAlive, headers);
    this.prevKeepAlive = keepAlive;
    this.messages++;
    if (this.draft === d) {
      this.draft = null;
      if (this.state !== 'stopped' && this.state !== 'resync') this.state = 'idle';
    }
    this.onMessage(msg);
  }

  private plainMessage(d: Draft, end: number, complete: boolean, headerEndOffset: number, keepAlive: boolean, headers: HttpHeaders): HttpMessage {
    const chunks = d.chunks === NO_CHUNKS ? [] : d.chunks;
    const trailers = d.trailers === NO_FIELDS ? [] : d.trailers;
    const body = { framing: d.framing, length: d.length, wireLength: end - headerEndOffset, chunks, hash: fnv1aHex(d.hash) };
    const notes = [...d.notes];
    // Two literals rather than a spread of a shared part: this runs once per message.
    return this.role === 'request'
      ? {
          kind: 'request', method: d.method, target: d.target,
          index: d.index, startLine: d.startLine, version: d.version, headers, trailers,
          headerBytes: headerEndOffset - d.offset, offset: d.offset, headerEndOffset, bodyOffset: headerEndOffset, endOffset: end,
          body, firstByteTs: d.firstByteTs, headersCompleteTs: d.headersCompleteTs, lastByteTs: d.lastByteTs,
          damaged: d.damaged, missingBytes: d.missingBytes, complete, keepAlive, notes,
        }
      : {
          kind: 'response', status: d.status, reason: d.reason,
          interim: d.status >= 100 && d.status < 200 && d.status !== 101,
          requestMethod: d.requestMethod, requestIndex: d.requestIndex,
          index: d.index, startLine: d.startLine, version: d.version, headers, trailers,
          headerBytes: headerEndOffset - d.offset, offset: d.offset, headerEndOffset, bodyOffset: headerEndOffset, endOffset: end,
          body, firstByteTs: d.firstByteTs, headersCompleteTs: d.headersCompleteTs, lastByteTs: d.lastByteTs,
          damaged: d.damaged, missingBytes: d.missingBytes, complete, keepAlive, notes,
        };
  }

  private compactMessage(d: Draft, end: number, complete: boolean, headerEndOffset: number, keepAlive: boolean): HttpMessage {
    // The draft is the parts (no object per message): it is done with once emitted.
    d.headerEndOffset = headerEndOffset;
    d.endOffset = end;
    d.body = compactBody(d.framing, d.length, end - headerEndOffset, d.chunks, d.hash);
    d.complete = complete;
    d.keepAlive = keepAlive;
    return this.role === 'request'
      ? new CompactRequest(d, d.method, d.target)
      : new CompactResponse(d, d.status, d.reason, d.requestMethod, d.requestIndex);
  }

  // ---- errors ----

  private error(code: HttpErrorCode, offset: number, ts: number, detail: string, fatal = false): void {
    this.onError?.({ code, role: this.role, offset, ts, fatal, detail });
  }

  /**
   * Unrecoverable: report, emit what is known of the current message (ending at `end`, or at the
   * bytes held of its header block), stop. Returns false.
   */
  private fatal(code: HttpErrorCode, offset: number, ts: number, detail: string, end = offset): false {
    const d = this.draft;
    this.notHttp = true;
    this.state = 'stopped';
    this.error(code, offset, ts, detail, true);
    if (d !== null && d.index >= 0) this.emitPartial(d, d.headers === null ? this.bufBase + this.bufLen : Math.max(end, d.headerEndOffset));
    this.draft = null;
    return false;
  }
}

/**
 * The first LF in data[from, end), or -1. A loop rather than indexOf: `data` may be a whole
 * capture buffer, whose bytes past `end` belong to other packets.
 */
function lfIndex(data: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (data[i] === 0x0a) return i;
  return -1;
}

/** A few bytes of input for an error message, printable. */
function quote(buf: Uint8Array, start: number, end: number): string {
  return JSON.stringify(latin1(buf, start, Math.min(end, start + 40)));
}
