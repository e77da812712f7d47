/**
 * Message body length, RFC 9112 §6.3, in its order of precedence. Kept apart from the stream
 * parser so the rules can be read (and tested) in one place.
 */
import { headerTokens, headerValues } from './headers.js';
import type { BodyFraming, HttpErrorCode, HttpHeaders, HttpNote } from './types.js';

export interface Framing {
  framing: BodyFraming;
  /** Body length for 'content-length', 0 otherwise. */
  contentLength: number;
  /** Set when the framing is invalid: an unrecoverable error (rules 4 and 5). */
  error: { code: HttpErrorCode; detail: string } | null;
}

const NONE: Framing = { framing: 'none', contentLength: 0, error: null };

/** Above 15 digits a length is absurd (a petabyte) and would lose precision as a JS number past 2^53. */
const MAX_LENGTH_DIGITS = 15;

/**
 * The value of one or more Content-Length fields: a number, or -1 when invalid (not digits, too
 * long, or differing values). Equal duplicates ("5, 5" or two fields) are accepted with a note.
 */
export function parseContentLength(values: readonly string[], notes: Set<HttpNote>): number {
  let found = -1;
  let count = 0;
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^[0-9]+$/.test(t) || t.length > MAX_LENGTH_DIGITS) return -1;
      const n = Number(t);
      if (found >= 0 && n !== found) return -1;
      found = n;
      count++;
    }
  }
  if (count > 1) notes.add('duplicate_content_length');
  return found;
}

/** Rules 3 to 6: Transfer-Encoding, then Content-Length, then the default for the kind. */
function fromFields(headers: HttpHeaders, version: string, isRequest: boolean, notes: Set<HttpNote>): Framing {
  const te = headerTokens(headers, 'transfer-encoding');
  const cl = headerValues(headers, 'content-length');
  if (headerValues(headers, 'transfer-encoding').length > 0) {
    // Rule 3: Transfer-Encoding overrides Content-Length (a smuggling signal worth a note).
    if (cl.length > 0) notes.add('cl_and_te');
    if (version === 'HTTP/1.0') notes.add('te_in_http10');
    if (te[te.length - 1] === 'chunked') return { framing: 'chunked', contentLength: 0, error: null };
    // Rule 4: without a final chunked, a response runs to the close; a request cannot be framed.
    if (!isRequest) return { framing: 'close', contentLength: 0, error: null };
    return { framing: 'none', contentLength: 0, error: { code: 'bad_transfer_encoding', detail: `Transfer-Encoding "${te.join(', ')}" does not end with chunked` } };
  }
  if (cl.length > 0) {
    const n = parseContentLength(cl, notes);
    if (n < 0) return { framing: 'none', contentLength: 0, error: { code: 'bad_content_length', detail: `invalid Content-Length "${cl.join(', ').slice(0, 80)}"` } };
    return { framing: 'content-length', contentLength: n, error: null };
  }
  return isRequest ? NONE : { framing: 'close', contentLength: 0, error: null };
}

export function requestFraming(method: string, headers: HttpHeaders, version: string, notes: Set<HttpNote>): Framing {
  // CONNECT has no content (RFC 9110 §9.3.6): what follows is the tunnel, or the next request.
  if (method === 'CONNECT') return NONE;
  return fromFields(headers, version, true, notes);
}

/** `requestMethod` null: unknown (unpaired), assumed neither HEAD nor CONNECT. */
export function responseFraming(status: number, requestMethod: string | null, headers: HttpHeaders, version: string, notes: Set<HttpNote>): Framing {
  if (status === 101) return { framing: 'tunnel', contentLength: 0, error: null };
  // Rule 1: never a body for HEAD, 1xx, 204, 304, whatever the fields say.
  if (requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return NONE;
  // Rule 2: a 2xx to CONNECT turns the connection into a tunnel.
  if (requestMethod === 'CONNECT' && status >= 200 && status < 300) return { framing: 'tunnel', contentLength: 0, error: null };
  return fromFields(headers, version, false, notes);
}

/** RFC 9112 §9.3: whether the connection persists after this message. */
export function isKeepAlive(headers: HttpHeaders, version: string, framing: BodyFraming): boolean {
  if (framing === 'close' || framing === 'tunnel') return false;
  return keepAliveOf(headerTokens(headers, 'connection'), version, framing);
}

/** isKeepAlive from the Connection tokens (lower case), already at hand. */
export function keepAliveOf(conn: readonly string[], version: string, framing: BodyFraming): boolean {
  if (framing === 'close' || framing === 'tunnel') return false;
  if (conn.includes('close')) return false;
  if (version === 'HTTP/1.0') return conn.includes('keep-alive');
  return true;
}
