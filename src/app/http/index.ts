/**
 * HTTP/1.x protocol parsing for the correlate stage: requests and responses of one TCP
 * connection, with exact offsets, timestamps, header lists as on the wire and body fingerprints,
 * so the two legs through a proxy can be matched and their differences shown.
 *
 * Usage, per connection (the tcp stage's StreamHandler feeding it):
 *
 *   const [req, res] = createHttpConnectionParsers({ onMessage, onError });
 *   data(conn, dir, offset, bytes, ts) → [req, res][dir].push(offset, bytes, ts)
 *   gap(conn, dir, offset, length, _, ts) → [req, res][dir].gap(offset, length, ts)
 *   close(conn) → req.end(ts); res.end(ts)
 *
 * HttpStreamParser (one direction, `{ role: 'request' | 'response', onMessage, onError? }`):
 *  - the first push or gap sets the stream's start offset: a consumer that strips a PROXY
 *    protocol header (src/app/proxy-protocol/) starts pushing after it, offsets stay the stream's.
 *  - push(offset, data, ts): in-order bytes; `data` is read during the call only. Only the header
 *    block being parsed is copied (≤ maxHeaderBytes, 64 KiB); bodies are counted and hashed.
 *  - gap(offset, length, ts): missing bytes. Inside a body of known length (content-length, chunk
 *    data, close-delimited, tunnel) they are counted (`damaged`, `missingBytes`); inside a header
 *    block or chunk framing the message is emitted cut (`complete: false`) and the parser resyncs
 *    at the next line that looks like a request line (status line for responses).
 *  - end(ts): end of stream; finishes close-delimited bodies and tunnels, reports `truncated`.
 *  - onMessage(msg): each HttpMessage in order, once its framing ends; a message whose start line
 *    was parsed is always emitted, complete or not. Responses that become tunnels (101, 2xx to
 *    CONNECT) and the requests before them are emitted at end(), their body being the tunnel.
 *  - onError(err): protocol errors. Fatal ones (bad start line, headers_too_large, invalid
 *    Content-Length or request Transfer-Encoding, bad chunk) stop the parser: `notHttp` is true
 *    and the rest of the stream is only counted (`ignoredBytes`). Nothing throws on any input.
 *
 * Pairing: a response's framing depends on its request (HEAD, CONNECT; Expect only for a note).
 * A response parser is told, in request order, with `expectResponseTo(method, { expectContinue,
 * onSwitch })`; createHttpConnectionParsers wires this (the request parser's `responses` option).
 * Interim 1xx responses do not use up a request; 101 does. Unpaired responses are parsed as if
 * the request was neither HEAD nor CONNECT (note `unpaired`). After an Upgrade or CONNECT request
 * the request parser holds its input (bounded) until the response says tunnel or not; unpaired,
 * or when nothing is said, the held bytes decide (a request line means more HTTP).
 *
 * Framing follows RFC 9112 §6.3 (Transfer-Encoding beats Content-Length, note `cl_and_te`);
 * leniencies (bare LF, obs-fold, empty lines before a start line) are accepted and noted.
 */
export { HttpStreamParser, type HttpStreamParserOptions } from './stream-parser.js';
export { createHttpConnectionParsers, type HttpConnectionParserOptions } from './connection-parsers.js';
export { headerTokens, headerValue, headerValues, normalizeHeaderName } from './headers.js';
export { fnv1aHex, fnv1aUpdate, FNV1A_INIT } from './fnv1a.js';
export type {
  BodyFraming, HttpBody, HttpError, HttpErrorCode, HttpHeaders, HttpMessage, HttpMessageBase, HttpNote,
  HttpRequest, HttpResponse, HttpRole, ResponseExpectation,
} from './types.js';
export { CompactRequest, CompactResponse, headText } from './compact.js';
