/**
 * The usual wiring: one parser per direction of a TCP connection, the request side announcing
 * each request to the response side (HEAD, CONNECT, Expect) and learning from it whether an
 * Upgrade/CONNECT turned the connection into a tunnel.
 */
import { HttpStreamParser, type HttpStreamParserOptions } from './stream-parser.js';

export type HttpConnectionParserOptions = Omit<HttpStreamParserOptions, 'role' | 'responses'>;

/**
 * [requests (client→server), responses (server→client)]: indexed like the tcp stage's `Dir`,
 * so a StreamHandler routes with `parsers[dir].push(offset, data, ts)`.
 */
export function createHttpConnectionParsers(opts: HttpConnectionParserOptions): readonly [HttpStreamParser, HttpStreamParser] {
  // Options passed on as they are, the role apart (no copy of them per connection).
  const responses = new HttpStreamParser(opts, 'response');
  const requests = new HttpStreamParser(opts, 'request', responses);
  return [requests, responses];
}
