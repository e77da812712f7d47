/**
 * HTTP/1.x parser playbooks: byte sequences in, exact message objects out. Every input is also
 * fed split at every byte boundary (and byte by byte): the result must not depend on how TCP
 * cut the stream.
 */
import { fnv } from './helpers/fnv-reference.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createHttpConnectionParsers, headerValue, HttpStreamParser, normalizeHeaderName,
  type HttpBody, type HttpError, type HttpMessage, type HttpRequest, type HttpResponse, type HttpRole,
} from '../src/app/http/index.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

interface Run {
  messages: HttpMessage[];
  errors: HttpError[];
  parser: HttpStreamParser;
}

/** One parser fed `pieces` (one push each, ts 1), then end(). */
function feed(role: HttpRole, pieces: Uint8Array[], setup?: (p: HttpStreamParser) => void): Run {
  const messages: HttpMessage[] = [];
  const errors: HttpError[] = [];
  const parser = new HttpStreamParser({ role, onMessage: (m) => messages.push(m), onError: (e) => errors.push(e) });
  setup?.(parser);
  let off = 0;
  for (const p of pieces) {
    parser.push(off, p, 1);
    off += p.length;
  }
  parser.end(1);
  return { messages, errors, parser };
}

/** Feeds `input` whole, split at every boundary, and byte by byte; all runs must agree. */
function playbook(role: HttpRole, input: string, setup?: (p: HttpStreamParser) => void): Run {
  const data = bytes(input);
  const whole = feed(role, [data], setup);
  for (let k = 1; k < data.length; k++) {
    const r = feed(role, [data.subarray(0, k), data.subarray(k)], setup);
    assert.deepEqual(r.messages, whole.messages, `split at ${k}`);
    assert.deepEqual(r.errors, whole.errors, `split at ${k}`);
  }
  const bytewise = feed(role, [...data].map((b) => Uint8Array.of(b)), setup);
  assert.deepEqual(bytewise.messages, whole.messages, 'byte by byte');
  assert.deepEqual(bytewise.errors, whole.errors, 'byte by byte');
  return whole;
}

type BodyInit = Partial<HttpBody> & { text?: string };

function body(b: BodyInit, wireLength: number): HttpBody {
  const text = b.text ?? '';
  return {
    framing: b.framing ?? 'none',
    length: b.length ?? text.length,
    wireLength: b.wireLength ?? wireLength,
    chunks: b.chunks ?? [],
    hash: b.hash ?? fnv(text),
  };
}

type Common = 'startLine' | 'headers' | 'offset' | 'headerBytes' | 'headerEndOffset' | 'endOffset';

/** A complete expected request: the listed fields are given, the rest take their usual values. */
function req(m: Pick<HttpRequest, 'method' | 'target' | Common> & Partial<Omit<HttpRequest, 'body'>>, b: BodyInit = {}): HttpRequest {
  return {
    kind: 'request', index: 0, version: 'HTTP/1.1', trailers: [], bodyOffset: m.headerEndOffset,
    firstByteTs: 1, headersCompleteTs: 1, lastByteTs: 1, damaged: false, missingBytes: 0, complete: true,
    keepAlive: true, notes: [], ...m, body: body(b, m.endOffset - m.headerEndOffset),
  };
}

function res(m: Pick<HttpResponse, 'status' | 'reason' | Common> & Partial<Omit<HttpResponse, 'body'>>, b: BodyInit = {}): HttpResponse {
  return {
    kind: 'response', index: 0, version: 'HTTP/1.1', trailers: [], bodyOffset: m.headerEndOffset,
    interim: false, requestMethod: null, requestIndex: null,
    firstByteTs: 1, headersCompleteTs: 1, lastByteTs: 1, damaged: false, missingBytes: 0, complete: true,
    keepAlive: true, notes: [], ...m, body: body(b, m.endOffset - m.headerEndOffset),
  };
}

/** Pairs a response parser the way the request parser would, for `methods` in order. */
const expecting = (...methods: string[]) => (p: HttpStreamParser): void => {
  for (const m of methods) p.expectResponseTo(m);
};

test('request with a body, then pipelined requests: offsets, original header case and order, OWS trimmed', () => {
  const input =
    'POST /Upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\ncontent-length: 11\r\n\r\nhello world' +
    'GET /a HTTP/1.1\r\nX-Weird-Case:   spaced value \t\r\n\r\n' +
    'DELETE /b HTTP/1.1\r\nContent-Length: 0\r\n\r\n';
  const r = playbook('request', input);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    req({
      method: 'POST', target: '/Upload?x=1', startLine: 'POST /Upload?x=1 HTTP/1.1',
      headers: [['Host', 'example.com'], ['Content-Type', 'text/plain'], ['content-length', '11']],
      offset: 0, headerBytes: 94, headerEndOffset: 94, endOffset: 105,
    }, { framing: 'content-length', text: 'hello world', wireLength: 11 }),
    req({
      index: 1, method: 'GET', target: '/a', startLine: 'GET /a HTTP/1.1',
      headers: [['X-Weird-Case', 'spaced value']],
      offset: 105, headerBytes: 51, headerEndOffset: 156, endOffset: 156,
    }),
    req({
      index: 2, method: 'DELETE', target: '/b', startLine: 'DELETE /b HTTP/1.1', headers: [['Content-Length', '0']],
      offset: 156, headerBytes: 41, headerEndOffset: 197, endOffset: 197,
    }, { framing: 'content-length' }),
  ]);
  assert.equal(r.parser.notHttp, false);
});

test('chunked response with extensions and trailers, then a pipelined response', () => {
  const input =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n' +
    '5;name=val\r\nhello\r\nB\r\nhello world\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n' +
    'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop';
  const r = playbook('response', input, expecting('GET', 'GET'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    res({
      status: 200, reason: 'OK', startLine: 'HTTP/1.1 200 OK', requestMethod: 'GET', requestIndex: 0,
      headers: [['Transfer-Encoding', 'chunked'], ['Content-Type', 'text/plain']],
      trailers: [['Expires', 'never'], ['X-Checksum', 'abc']],
      offset: 0, headerBytes: 73, headerEndOffset: 73, endOffset: 146,
    }, { framing: 'chunked', text: 'hellohello world', chunks: [5, 11], wireLength: 73 }),
    res({
      index: 1, status: 404, reason: 'Not Found', startLine: 'HTTP/1.1 404 Not Found', requestMethod: 'GET', requestIndex: 1,
      headers: [['Content-Length', '3']], offset: 146, headerBytes: 45, headerEndOffset: 191, endOffset: 194,
    }, { framing: 'content-length', text: 'nop' }),
  ]);
});

test('a HEAD response has no body whatever Content-Length says', () => {
  const input = 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const r = playbook('response', input, expecting('HEAD', 'GET'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    res({
      status: 200, reason: 'OK', startLine: 'HTTP/1.1 200 OK', requestMethod: 'HEAD', requestIndex: 0,
      headers: [['Content-Length', '1234']], offset: 0, headerBytes: 41, headerEndOffset: 41, endOffset: 41,
    }),
    res({
      index: 1, status: 200, reason: 'OK', startLine: 'HTTP/1.1 200 OK', requestMethod: 'GET', requestIndex: 1,
      headers: [['Content-Length', '2']], offset: 41, headerBytes: 38, headerEndOffset: 79, endOffset: 81,
    }, { framing: 'content-length', text: 'ok' }),
  ]);
  // Unpaired, the same bytes would be read as a 1234-byte body: the parser must be told.
  const unpaired = feed('response', [bytes(input)]);
  assert.equal(unpaired.messages.length, 1);
  assert.deepEqual(unpaired.messages[0]!.notes, ['unpaired']);
  assert.equal(unpaired.messages[0]!.complete, false);
  assert.deepEqual(unpaired.errors.map((e) => e.code), ['truncated']);
});

test('204 and 304 have no body even with Content-Length or Transfer-Encoding', () => {
  const input =
    'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n' +
    'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  const r = playbook('response', input, expecting('DELETE', 'GET', 'GET'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    res({
      status: 204, reason: 'No Content', startLine: 'HTTP/1.1 204 No Content', requestMethod: 'DELETE', requestIndex: 0,
      headers: [['Content-Length', '5']], offset: 0, headerBytes: 46, headerEndOffset: 46, endOffset: 46,
    }),
    res({
      index: 1, status: 304, reason: 'Not Modified', startLine: 'HTTP/1.1 304 Not Modified', requestMethod: 'GET', requestIndex: 1,
      headers: [['Transfer-Encoding', 'chunked']], offset: 46, headerBytes: 57, headerEndOffset: 103, endOffset: 103,
    }),
    res({
      index: 2, status: 200, reason: 'OK', startLine: 'HTTP/1.1 200 OK', requestMethod: 'GET', requestIndex: 2,
      headers: [['Content-Length', '0']], offset: 103, headerBytes: 38, headerEndOffset: 141, endOffset: 141,
    }, { framing: 'content-length' }),
  ]);
});

test('100-continue then 200: the interim response is a message that does not use up the request', () => {
  const input = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const r = playbook('response', input, (p) => p.expectResponseTo('PUT', { expectContinue: true }));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    res({
      status: 100, reason: 'Continue', startLine: 'HTTP/1.1 100 Continue', interim: true, requestMethod: 'PUT', requestIndex: 0,
      headers: [], offset: 0, headerBytes: 25, headerEndOffset: 25, endOffset: 25,
    }),
    res({
      index: 1, status: 200, reason: 'OK', startLine: 'HTTP/1.1 200 OK', requestMethod: 'PUT', requestIndex: 0,
      headers: [['Content-Length', '2']], offset: 25, headerBytes: 38, headerEndOffset: 63, endOffset: 65,
    }, { framing: 'content-length', text: 'ok' }),
  ]);
  // A 100 nobody asked for is noted, not rejected.
  const unasked = feed('response', [bytes(input)], expecting('PUT'));
  assert.deepEqual(unasked.messages.map((m) => m.notes), [['unsolicited_100'], []]);
});

test('the request side of 100-continue: wired parsers announce Expect to the response side', () => {
  const out: HttpMessage[] = [];
  const [rq, rs] = createHttpConnectionParsers({ onMessage: (m) => out.push(m) });
  rq.push(0, bytes('PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'), 1);
  rs.push(0, bytes('HTTP/1.1 100 Continue\r\n\r\n'), 2);
  rq.push(60, bytes('data'), 3);
  rs.push(25, bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 4);
  rq.end(5);
  rs.end(5);
  assert.deepEqual(out.map((m) => [m.kind, m.kind === 'request' ? m.method : m.status, m.notes, m.endOffset, m.lastByteTs]), [
    ['response', 100, [], 25, 2],
    ['request', 'PUT', [], 64, 3],
    ['response', 200, [], 63, 4],
  ]);
});

test('close-delimited response (HTTP/1.0, no length) is finished by end()', () => {
  const input = 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of this until close';
  const r = playbook('response', input, expecting('GET'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    res({
      status: 200, reason: 'OK', startLine: 'HTTP/1.0 200 OK', version: 'HTTP/1.0', requestMethod: 'GET', requestIndex: 0,
      headers: [['Server', 'x']], offset: 0, headerBytes: 30, headerEndOffset: 30, endOffset: 53, keepAlive: false,
    }, { framing: 'close', text: 'all of this until close' }),
  ]);
  // Nothing is emitted before the end: the body could go on.
  const early: HttpMessage[] = [];
  const p = new HttpStreamParser({ role: 'response', onMessage: (m) => early.push(m) });
  p.push(0, bytes(input), 1);
  assert.equal(early.length, 0);
  p.end(2);
  assert.equal(early.length, 1);
  assert.equal(early[0]!.lastByteTs, 1);
});

/** Feeds a request stream and a response stream through wired parsers, interleaved at split points. */
function playPair(reqInput: Uint8Array, resInput: Uint8Array, kReq: number, kRes: number, reqFirst: boolean): HttpMessage[] {
  const out: HttpMessage[] = [];
  const [rq, rs] = createHttpConnectionParsers({ onMessage: (m) => out.push(m), onError: (e) => assert.fail(`${e.code}: ${e.detail}`) });
  const steps: (() => void)[] = [
    () => rq.push(0, reqInput.subarray(0, kReq), 1),
    () => rs.push(0, resInput.subarray(0, kRes), 1),
  ];
  if (!reqFirst) steps.reverse();
  for (const s of steps) s();
  rq.push(kReq, reqInput.subarray(kReq), 1);
  rs.push(kRes, resInput.subarray(kRes), 1);
  rq.end(1);
  rs.end(1);
  // Emission order across the two parsers depends on the interleaving; per direction it may not.
  return [...out.filter((m) => m.kind === 'request'), ...out.filter((m) => m.kind === 'response')];
}

/**
 * Every pair of split points, either direction first, as long as it is causal: a response's
 * header block never arrives before its request's (a capture cannot show that either).
 */
function pairPlaybook(reqInput: string, resInput: string): HttpMessage[] {
  const rq = bytes(reqInput);
  const rs = bytes(resInput);
  const whole = playPair(rq, rs, rq.length, rs.length, true);
  const requestHeadEnds = whole.filter((m) => m.kind === 'request').map((m) => m.headerEndOffset);
  const responses = whole.filter((m): m is HttpResponse => m.kind === 'response');
  const causal = (kReq: number, kRes: number): boolean =>
    responses.every((m) => m.headerEndOffset > kRes || (requestHeadEnds[m.requestIndex!] ?? Infinity) <= kReq);
  for (let kReq = 0; kReq <= rq.length; kReq++) {
    for (let kRes = 0; kRes <= rs.length; kRes++) {
      for (const reqFirst of [true, false]) {
        if (!causal(reqFirst ? kReq : 0, kRes)) continue;
        const r = playPair(rq, rs, kReq, kRes, reqFirst);
        assert.deepEqual(r, whole, `split at ${kReq}/${kRes}, ${reqFirst ? 'request' : 'response'} first`);
      }
    }
  }
  return whole;
}

test('Upgrade: websocket answered by 101: both directions become a tunnel, counted as the body', () => {
  const wsClient = '\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'; // masked "Hello"
  const wsServer = '\x81\x05Hello';
  const messages = pairPlaybook(
    'GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' + wsClient,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' + wsServer,
  );
  assert.deepEqual(messages, [
    req({
      method: 'GET', target: '/chat', startLine: 'GET /chat HTTP/1.1',
      headers: [['Host', 'h'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade']],
      offset: 0, headerBytes: 72, headerEndOffset: 72, endOffset: 83, keepAlive: false,
    }, { framing: 'tunnel', text: wsClient }),
    res({
      status: 101, reason: 'Switching Protocols', startLine: 'HTTP/1.1 101 Switching Protocols', requestMethod: 'GET', requestIndex: 0,
      headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade']],
      offset: 0, headerBytes: 77, headerEndOffset: 77, endOffset: 84, keepAlive: false,
    }, { framing: 'tunnel', text: wsServer }),
  ]);
  // A request parser on its own tells the websocket frames from a request line by their first bytes.
  const alone = feed('request', [bytes('GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n' + wsClient)]);
  assert.deepEqual(alone.messages.map((m) => [m.body.framing, m.body.length]), [['tunnel', 11]]);
});

test('Upgrade refused (plain 200): the request is emitted as is and HTTP goes on', () => {
  const messages = pairPlaybook(
    'GET /a HTTP/1.1\r\nUpgrade: h2c\r\n\r\nGET /b HTTP/1.1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb',
  );
  assert.deepEqual(messages.map((m) => [m.kind, m.kind === 'request' ? m.target : m.status, m.body.framing, m.endOffset]), [
    ['request', '/a', 'none', 33],
    ['request', '/b', 'none', 52],
    ['response', 200, 'content-length', 39],
    ['response', 200, 'content-length', 78],
  ]);
  // Unpaired, the next request line tells that HTTP goes on.
  const alone = playbook('request', 'GET /a HTTP/1.1\r\nUpgrade: h2c\r\n\r\nGET /b HTTP/1.1\r\nUpgrade: h2c\r\n\r\nGET /c HTTP/1.1\r\n\r\n');
  assert.deepEqual(alone.messages.map((m) => [(m as HttpRequest).target, m.body.framing, m.endOffset]), [['/a', 'none', 33], ['/b', 'none', 66], ['/c', 'none', 85]]);
});

test('CONNECT: 407 keeps HTTP, then 200 turns the rest of both streams into a tunnel', () => {
  const tlsC = '\x16\x03\x01\x00\x05hello';
  const tlsS = '\x16\x03\x03\x00\x02ok';
  const messages = pairPlaybook(
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n' +
      'CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n' + tlsC,
    'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n' +
      'HTTP/1.1 200 Connection established\r\n\r\n' + tlsS,
  );
  assert.deepEqual(messages.map((m) => [m.kind, m.index, m.body.framing, m.body.length, m.offset, m.headerEndOffset, m.endOffset]), [
    ['request', 0, 'none', 0, 0, 59, 59],
    ['request', 1, 'tunnel', 10, 59, 128, 138],
    ['response', 0, 'content-length', 0, 0, 65, 65],
    ['response', 1, 'tunnel', 7, 65, 104, 111],
  ]);
  const last = messages[3] as HttpResponse;
  assert.equal(last.requestMethod, 'CONNECT');
  assert.equal(last.requestIndex, 1);
  assert.equal(last.body.hash, fnv(tlsS));
});

test('timestamps: first byte, header block complete, last byte', () => {
  const out: HttpMessage[] = [];
  const p = new HttpStreamParser({ role: 'request', onMessage: (m) => out.push(m) });
  p.push(0, bytes('POST / HTTP/1.1\r\nCont'), 10);
  p.push(21, bytes('ent-Length: 4\r\n\r\nab'), 11);
  p.push(40, bytes('cd'), 12);
  p.end(13);
  assert.deepEqual(out.map((m) => [m.firstByteTs, m.headersCompleteTs, m.lastByteTs, m.endOffset]), [[10, 11, 12, 42]]);
});

test('leniencies: bare LF, obs-fold, leading empty lines, space before colon; all noted', () => {
  const input = '\r\n\nGET /x HTTP/1.1\nHost: a\n  b\r\nX-Y : z\r\nno colon here\r\n\n';
  const r = playbook('request', input);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages, [
    req({
      method: 'GET', target: '/x', startLine: 'GET /x HTTP/1.1', headers: [['Host', 'a b'], ['X-Y', 'z']],
      offset: 3, headerBytes: 54, headerEndOffset: 57, endOffset: 57,
      notes: ['leading_empty_lines', 'lf_only', 'obs_fold', 'space_before_colon', 'invalid_header_line'],
    }),
  ]);
});

test('Content-Length and Transfer-Encoding together: chunked wins (RFC 9112 §6.3), noted', () => {
  const input = 'POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n';
  const r = playbook('request', input);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages.map((m) => [m.body.framing, m.body.length, m.body.chunks, m.notes, m.endOffset]), [
    ['chunked', 3, [3], ['cl_and_te'], 81],
    ['none', 0, [], [], 99],
  ]);
});

test('Connection: close and HTTP/1.0 keep-alive; a message after a closing one is noted', () => {
  const input =
    'GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' +
    'GET /2 HTTP/1.1\r\nConnection: close\r\n\r\n' +
    'GET /3 HTTP/1.0\r\n\r\n';
  const r = playbook('request', input);
  assert.deepEqual(r.messages.map((m) => [m.keepAlive, m.notes]), [[true, []], [false, []], [false, ['after_close']]]);
});

test('duplicate equal Content-Length values are accepted', () => {
  const r = playbook('request', 'POST / HTTP/1.1\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nokGET / HTTP/1.1\r\n\r\n');
  assert.deepEqual(r.messages.map((m) => [m.body.length, m.notes]), [[2, ['duplicate_content_length']], [0, []]]);
});

test('headerValue and normalizeHeaderName', () => {
  const h: [string, string][] = [['Content-Type', 'a'], ['X-A', '1'], ['x-a', '2']];
  assert.equal(headerValue(h, 'content-type'), 'a');
  assert.equal(headerValue(h, 'X-a'), '1');
  assert.equal(headerValue(h, 'missing'), undefined);
  assert.equal(normalizeHeaderName('X-Forwarded-For'), 'x-forwarded-for');
});

test('the stream may start past offset 0 (a PROXY header stripped by the consumer): offsets stay the stream\'s', () => {
  const out: HttpMessage[] = [];
  const errors: HttpError[] = [];
  const p = new HttpStreamParser({ role: 'request', onMessage: (m) => out.push(m), onError: (e) => errors.push(e) });
  p.push(57, bytes('GET / HTTP/1.1\r\n\r\n'), 1);
  p.end(2);
  assert.deepEqual(errors, []);
  assert.deepEqual(out.map((m) => [m.offset, m.headerEndOffset, m.endOffset, m.notes]), [[57, 75, 75, []]]);
});
