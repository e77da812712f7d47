/**
 * HAProxy's bytes_read (%B) for an HTTP stream. In 2.6 it is not the size on the wire: it counts
 * the response as it entered the response channel in HTX form (what the server or HAProxy's own
 * error message put there, before header rewrites such as an inserted Set-Cookie):
 *   start line: 20 (struct htx_sl) + version + status + reason, no spaces nor CRLF;
 *   each header: name + value (no ": " nor CRLF); a Connection header holding only close /
 *   keep-alive tokens is dropped by the H1 parser (the flags replace it);
 *   end of headers: 1; body: decoded bytes (chunk framing removed); chunked: 1 (end of trailers)
 *   plus each trailer's name + value.
 * Checked on every capture: 200 with 5 kept headers + 93 body = 228, HAProxy's 504 = 198, ...
 */
import type { HttpHeaders, HttpResponse } from '../../app/http/index.js';

const HTX_START_LINE = 20;
const HTX_END_OF_HEADERS = 1;
const HTX_END_OF_TRAILERS = 1;

/** HTX size of a response; `bodyBytes` overrides the body length (bytes actually received). */
export function htxResponseBytes(r: HttpResponse, bodyBytes?: number): number {
  const reason = r.reason;
  let n = HTX_START_LINE + r.version.length + statusLength(r.status) + reason.length;
  n += headerBytes(r.headers) + HTX_END_OF_HEADERS;
  n += bodyBytes ?? r.body.length;
  if (r.body.framing === 'chunked' && r.complete) n += HTX_END_OF_TRAILERS + headerBytes(r.trailers);
  return n;
}

/** String(status).length, without the string (statuses are three digits). */
function statusLength(status: number): number {
  return status >= 100 && status <= 999 && Math.floor(status) === status ? 3 : String(status).length;
}

function headerBytes(headers: HttpHeaders): number {
  let n = 0;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (isConnection(name) && onlyConnectionFlags(value)) continue;
    n += name.length + value.length;
  }
  return n;
}

const CONNECTION = 'connection';

/**
 * name.toLowerCase() === 'connection' without lower-casing every name: only ASCII letters fold
 * to these (the non-ASCII characters that lower-case to ASCII ones, K and İ, are not among them
 * or add a character).
 */
function isConnection(name: string): boolean {
  if (name.length !== CONNECTION.length) return false;
  for (let i = 0; i < CONNECTION.length; i++) if ((name.charCodeAt(i) | 0x20) !== CONNECTION.charCodeAt(i)) return false;
  return true;
}

function onlyConnectionFlags(value: string): boolean {
  if (value === 'keep-alive' || value === 'close') return true;
  return value.split(',').every((t) => /^\s*(close|keep-alive)?\s*$/i.test(t));
}

/**
 * HAProxy 2.6's built-in error messages (http_err_msgs, as in the 2.6.12 binary), as HTX sizes
 * (their Connection: close header is dropped like any other), for answers the capture does not show (the client had already reset its connection, so the 504 never hit the wire but
 * is still logged).
 */
export const DEFAULT_ERROR_BYTES: Readonly<Record<number, number>> = {
  200: htxSize('HTTP/1.1', 200, 'OK', 58),
  400: htxSize('HTTP/1.1', 400, 'Bad request', 90),
  401: htxSize('HTTP/1.1', 401, 'Unauthorized', 112),
  403: htxSize('HTTP/1.1', 403, 'Forbidden', 93),
  404: htxSize('HTTP/1.1', 404, 'Not Found', 83),
  405: htxSize('HTTP/1.1', 405, 'Method Not Allowed', 146),
  407: htxSize('HTTP/1.1', 407, 'Unauthorized', 112),
  408: htxSize('HTTP/1.1', 408, 'Request Time-out', 110),
  410: htxSize('HTTP/1.1', 410, 'Gone', 114),
  413: htxSize('HTTP/1.1', 413, 'Payload Too Large', 106),
  421: htxSize('HTTP/1.1', 421, 'Misdirected Request', 104),
  422: htxSize('HTTP/1.1', 422, 'Unprocessable Content', 116),
  425: htxSize('HTTP/1.1', 425, 'Too Early', 80),
  429: htxSize('HTTP/1.1', 429, 'Too Many Requests', 117),
  500: htxSize('HTTP/1.1', 500, 'Internal Server Error', 97),
  501: htxSize('HTTP/1.1', 501, 'Not Implemented', 136),
  502: htxSize('HTTP/1.1', 502, 'Bad Gateway', 107),
  503: htxSize('HTTP/1.1', 503, 'Service Unavailable', 107),
  504: htxSize('HTTP/1.1', 504, 'Gateway Time-out', 92),
};

/** Size of an error message with HAProxy's three headers: content-length, cache-control: no-cache, content-type: text/html. */
function htxSize(version: string, status: number, reason: string, body: number): number {
  const headers = 'content-length'.length + String(body).length + 'cache-control'.length + 'no-cache'.length
    + 'content-type'.length + 'text/html'.length;
  return HTX_START_LINE + version.length + String(status).length + reason.length + headers + HTX_END_OF_HEADERS + body;
}
