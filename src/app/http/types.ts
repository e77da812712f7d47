/**
 * The HTTP/1.x parser's data model: what a parsed message looks like, and the notes and errors
 * it reports. Plain data only (no methods), so messages can be kept, compared and printed as JSON.
 */

export type HttpRole = 'request' | 'response';

/**
 * Ordered header fields, [name, value], exactly as on the wire: original case and order, values
 * without surrounding OWS and with obs-fold unfolded. Decoded as latin1 (one char per byte) so any
 * byte survives a round trip.
 */
export type HttpHeaders = [string, string][];

/**
 * How the body's end was found (RFC 9112 §6.3):
 *  - none: no body (GET without length, HEAD responses, 1xx/204/304, CONNECT requests);
 *  - content-length / chunked: as framed;
 *  - close: a response delimited by the end of the stream;
 *  - tunnel: after an upgrade (101) or a 2xx to CONNECT the rest of the stream is opaque and is
 *    counted as this message's body.
 */
export type BodyFraming = 'none' | 'content-length' | 'chunked' | 'close' | 'tunnel';

export interface HttpBody {
  framing: BodyFraming;
  /** Decoded body length (chunk framing removed), missing bytes included. */
  length: number;
  /** Bytes the body took on the wire (= endOffset - bodyOffset): chunk lines and trailers included. */
  wireLength: number;
  /** Data chunk sizes in order (the final 0 excluded; [] unless chunked; at most 4096 kept). */
  chunks: number[];
  /**
   * FNV-1a 32-bit of the decoded body bytes that were seen, 8 hex digits. Missing bytes are not
   * hashed: compare hashes only when neither message is damaged.
   */
  hash: string;
}

/** Things that were odd but parseable: counted by the correlate/report stages, never fatal. */
export type HttpNote =
  /** A line ended with a bare LF instead of CRLF. */
  | 'lf_only'
  /** Both Content-Length and Transfer-Encoding: Transfer-Encoding wins (RFC 9112 §6.3 rule 3). */
  | 'cl_and_te'
  /** Several Content-Length values, all equal: accepted. */
  | 'duplicate_content_length'
  /** Transfer-Encoding in an HTTP/1.0 message: framing is faulty, parsed as chunked anyway. */
  | 'te_in_http10'
  /** A header continued on the next line (obs-fold), unfolded with one space. */
  | 'obs_fold'
  /** Whitespace between a field name and its colon (a smuggling vector; the name is kept trimmed). */
  | 'space_before_colon'
  /** A header line without a colon, or with an empty name: skipped. */
  | 'invalid_header_line'
  /** Empty lines before the start line were skipped (RFC 9112 §2.2). */
  | 'leading_empty_lines'
  /** A response parsed without knowing its request (assumed not HEAD, not CONNECT). */
  | 'unpaired'
  /** A 100 (Continue) to a request that sent no `Expect: 100-continue`. */
  | 'unsolicited_100'
  /** The first message found after a resynchronisation (bytes were skipped before it). */
  | 'resynced'
  /** Follows a message after which the connection should have closed (Connection: close, HTTP/1.0). */
  | 'after_close'
  /** More than 4096 chunks: `body.chunks` holds the first 4096 only. */
  | 'too_many_chunks';

export interface HttpMessageBase {
  /** 0-based order of this message in its direction (interim responses included). */
  index: number;
  /** The start line exactly as on the wire, without its line ending. */
  startLine: string;
  /** 'HTTP/1.1', 'HTTP/1.0'. */
  version: string;
  headers: HttpHeaders;
  /** Trailer fields of a chunked body ([] otherwise). */
  trailers: HttpHeaders;
  /** Start line + header fields + blank line (= headerEndOffset - offset). */
  headerBytes: number;
  /** Stream offset of the start line's first byte. */
  offset: number;
  /** Stream offset just after the blank line ending the header block. */
  headerEndOffset: number;
  /** Where the body starts: always headerEndOffset in HTTP/1 (kept so consumers need not know). */
  bodyOffset: number;
  /** Stream offset just after the message (body, chunk framing and trailers included). */
  endOffset: number;
  body: HttpBody;
  /** Capture times: of the first byte, of the byte ending the header block (-1 if never seen), of the last byte. */
  firstByteTs: number;
  headersCompleteTs: number;
  lastByteTs: number;
  /** A gap fell inside the message. */
  damaged: boolean;
  /** Bytes of the message that the capture lacks. */
  missingBytes: number;
  /**
   * The message ended as its framing said. False when a gap cut its header block or chunk framing
   * (then headerEndOffset = bodyOffset = endOffset = the end of that gap), when the stream ended
   * early, or when its framing was invalid.
   */
  complete: boolean;
  /** Whether the connection persists after this message (RFC 9112 §9.3). */
  keepAlive: boolean;
  notes: HttpNote[];
}

export interface HttpRequest extends HttpMessageBase {
  kind: 'request';
  method: string;
  target: string;
}

export interface HttpResponse extends HttpMessageBase {
  kind: 'response';
  status: number;
  /** Reason phrase ('' when absent). */
  reason: string;
  /** 1xx other than 101: more responses to the same request follow. */
  interim: boolean;
  /** Method of the request this answers, as told by `expectResponseTo`; null when unpaired. */
  requestMethod: string | null;
  /** 0-based number of that `expectResponseTo` call (= the request's `index` when wired by the pair); null when unpaired. */
  requestIndex: number | null;
}

export type HttpMessage = HttpRequest | HttpResponse;

/**
 * Protocol errors. Fatal ones stop the parser (`notHttp` becomes true); the others are
 * recovered from by resynchronising at the next start line.
 */
export type HttpErrorCode =
  /** Fatal: the first line of a message is not an HTTP/1.x request/status line (garbage, TLS, HTTP/2). */
  | 'bad_start_line'
  /** Fatal: no end of the header block within the limit. */
  | 'headers_too_large'
  /** Fatal: an invalid, absurd or conflicting Content-Length (RFC 9112 §6.3 rule 5). */
  | 'bad_content_length'
  /** Fatal: a request whose Transfer-Encoding does not end with chunked (RFC 9112 §6.3 rule 4). */
  | 'bad_transfer_encoding'
  /** Fatal: an invalid chunk-size line or no CRLF after chunk data. */
  | 'bad_chunk'
  /** A gap inside a header block (or trailers): the message is cut, resync follows. */
  | 'gap_in_headers'
  /** A gap inside chunk framing: the message is cut, resync follows. */
  | 'gap_in_chunked'
  /** A gap between messages (or at the start of the stream): resync follows. */
  | 'gap_between_messages'
  /** The stream ended inside a message. */
  | 'truncated';

export interface HttpError {
  code: HttpErrorCode;
  /** The parser that saw it. */
  role: HttpRole;
  /** Stream offset where the problem was seen. */
  offset: number;
  ts: number;
  fatal: boolean;
  /** Human-readable detail (may quote a few bytes of input). */
  detail: string;
}

/** What a response parser is told about the request a coming response answers. */
export interface ResponseExpectation {
  /** The request sent `Expect: 100-continue`. */
  expectContinue?: boolean;
  /**
   * Called once the response decides whether the connection switched to a tunnel (101, or a 2xx
   * to CONNECT) or stays HTTP (any other final status). The request parser uses it to know
   * whether what follows an Upgrade/CONNECT request is HTTP.
   */
  onSwitch?: (tunnel: boolean) => void;
}
