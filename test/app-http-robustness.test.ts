/**
 * What the HTTP/1 parser does with input that is not (or not valid) HTTP: fatal errors stop it
 * (`notHttp`), framing errors follow RFC 9112 §6.3, memory stays bounded, and no input whatever
 * makes it throw (seeded fuzzing).
 */
import { prng } from './helpers/prng.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createHttpConnectionParsers, HttpStreamParser, type HttpError, type HttpMessage, type HttpRole,
} from '../src/app/http/index.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

interface Run {
  messages: HttpMessage[];
  errors: HttpError[];
  parser: HttpStreamParser;
}

function run(role: HttpRole, input: string | Uint8Array, opts: { maxHeaderBytes?: number; expect?: string[] } = {}): Run {
  const messages: HttpMessage[] = [];
  const errors: HttpError[] = [];
  const parser = new HttpStreamParser({
    role, onMessage: (m) => messages.push(m), onError: (e) => errors.push(e),
    ...(opts.maxHeaderBytes !== undefined ? { maxHeaderBytes: opts.maxHeaderBytes } : {}),
  });
  for (const m of opts.expect ?? []) parser.expectResponseTo(m);
  const data = typeof input === 'string' ? bytes(input) : input;
  parser.push(0, data, 1);
  parser.end(2);
  return { messages, errors, parser };
}

const codes = (r: Run): [string, boolean][] => r.errors.map((e) => [e.code, e.fatal]);

test('garbage instead of HTTP: one fatal bad_start_line, then nothing is parsed (notHttp)', () => {
  const r = run('request', 'hello there, this is not HTTP\r\nGET / HTTP/1.1\r\n\r\n');
  assert.deepEqual(codes(r), [['bad_start_line', true]]);
  assert.equal(r.messages.length, 0);
  assert.equal(r.parser.notHttp, true);
  // More input later is only counted.
  const p = new HttpStreamParser({ role: 'request', onMessage: () => assert.fail('no message expected') });
  p.push(0, bytes('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'), 1); // a TLS ClientHello
  assert.equal(p.notHttp, true, 'rejected at its first byte, without waiting for a line');
  p.push(11, bytes('GET / HTTP/1.1\r\n\r\n'), 2);
  p.end(3);
  assert.equal(p.ignoredBytes, 18);
});

test('HTTP/2 prior knowledge preface and HTTP/0.9 are not HTTP/1', () => {
  assert.deepEqual(codes(run('request', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), [['bad_start_line', true]]);
  assert.deepEqual(codes(run('request', 'GET /index.html\r\n')), [['bad_start_line', true]]);
  assert.deepEqual(codes(run('response', 'SSH-2.0-OpenSSH_9.6\r\n')), [['bad_start_line', true]]);
  assert.deepEqual(codes(run('response', 'HTTP/1.1 20x OK\r\n\r\n')), [['bad_start_line', true]]);
});

test('a header block past the limit: headers_too_large, the message emitted cut, parser stopped', () => {
  const big = `GET / HTTP/1.1\r\n${'X-Pad: 0123456789abcdef\r\n'.repeat(3000)}\r\n`; // ~75 KB
  const r = run('request', big);
  assert.deepEqual(codes(r), [['headers_too_large', true]]);
  assert.equal(r.parser.notHttp, true);
  assert.equal(r.messages.length, 1);
  const m = r.messages[0]!;
  assert.equal(m.complete, false);
  assert.equal(m.endOffset, 65536);
  assert.equal(m.headers.length, Math.floor((65536 - 16) / 25));
  // Just under the limit is fine.
  const ok = `GET / HTTP/1.1\r\n${'X-Pad: 0123456789abcdef\r\n'.repeat(2600)}\r\n`;
  assert.deepEqual(codes(run('request', ok)), []);
  // A smaller limit applies to trailers too.
  const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-A: ${'0123456789'.repeat(8)}\r\n\r\n`;
  assert.deepEqual(codes(run('response', trailers, { maxHeaderBytes: 64, expect: ['GET'] })), [['headers_too_large', true]]);
});

test('invalid, absurd and conflicting Content-Length are unrecoverable (RFC 9112 §6.3 rule 5)', () => {
  for (const cl of ['abc', '-1', '1e3', '', '99999999999999999999', '5, 6']) {
    const r = run('request', `POST / HTTP/1.1\r\nContent-Length: ${cl}\r\n\r\nhello`);
    assert.deepEqual(codes(r), [['bad_content_length', true]], cl);
    assert.equal(r.messages.length, 1, cl);
    assert.equal(r.messages[0]!.complete, false, cl);
    assert.equal(r.messages[0]!.endOffset, r.messages[0]!.headerEndOffset, cl);
  }
  const two = run('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', { expect: ['GET'] });
  assert.deepEqual(codes(two), [['bad_content_length', true]]);
});

test('Transfer-Encoding without a final chunked: a request cannot be framed, a response runs to the close', () => {
  const rq = run('request', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxxxx');
  assert.deepEqual(codes(rq), [['bad_transfer_encoding', true]]);
  const rs = run('response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nxxxx', { expect: ['GET'] });
  assert.deepEqual(codes(rs), []);
  assert.deepEqual(rs.messages.map((m) => [m.body.framing, m.body.length, m.notes]), [['close', 4, ['cl_and_te']]]);
  // Transfer-Encoding in HTTP/1.0: parsed as chunked, noted as faulty framing.
  const old = run('response', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n', { expect: ['GET'] });
  assert.deepEqual(old.messages.map((m) => [m.body.framing, m.body.length, m.notes]), [['chunked', 1, ['te_in_http10']]]);
});

test('bad chunk framing is unrecoverable', () => {
  const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (const body of ['zz\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX0\r\n\r\n', '\r\n', 'fffffffffffffffff\r\n', `1;${'e'.repeat(5000)}\r\n`]) {
    const r = run('response', head + body, { expect: ['GET'] });
    assert.deepEqual(codes(r), [['bad_chunk', true]], JSON.stringify(body.slice(0, 20)));
    assert.equal(r.messages.length, 1);
    assert.equal(r.messages[0]!.complete, false);
  }
});


const REQUESTS = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /u HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello',
  'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n',
  'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
  'CONNECT h:443 HTTP/1.1\r\n\r\n',
  'HEAD /h HTTP/1.0\r\n\r\n',
  'POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
];
const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello',
  'HTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  'HTTP/1.0 200 OK\r\n\r\nclose-delimited',
];
const NOISE = ['\r\n', '\n', ' ', ':', '0', 'f', ';', 'HTTP/1.1 ', 'GET ', '\x00', '\xff', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n'];

function mutate(rand: () => number, s: string): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  let out = s;
  const n = Math.floor(rand() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rand() * (out.length + 1));
    switch (Math.floor(rand() * 4)) {
      case 0: out = out.slice(0, at) + pick(NOISE) + out.slice(at); break;
      case 1: out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 8)); break;
      case 2: out = out.slice(0, at) + String.fromCharCode(Math.floor(rand() * 256)) + out.slice(at + 1); break;
      default: out = out.slice(0, at) + out.slice(at, at + Math.floor(rand() * 20)) + out.slice(at); break;
    }
  }
  return out;
}

function stream(rand: () => number, role: HttpRole): Uint8Array {
  if (rand() < 0.1) return Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
  const corpus = role === 'request' ? REQUESTS : RESPONSES;
  let s = '';
  const n = 1 + Math.floor(rand() * 5);
  for (let k = 0; k < n; k++) s += mutate(rand, corpus[Math.floor(rand() * corpus.length)]!);
  return bytes(s);
}

/** Feeds `data` in random pieces, some turned into gaps; ts grows by step. */
function feedRandomly(rand: () => number, p: HttpStreamParser, data: Uint8Array, at: { ts: number }): void {
  let off = 0;
  while (off < data.length) {
    const len = Math.min(data.length - off, 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 64)));
    if (rand() < 0.05) p.gap(off, len, at.ts++);
    else p.push(off, data.subarray(off, off + len), at.ts++);
    off += len;
  }
}

/** Invariants that hold for any input, however broken. */
function check(messages: HttpMessage[], errors: HttpError[], p: HttpStreamParser, what: string): void {
  let prevEnd = 0;
  messages.forEach((m, i) => {
    assert.equal(m.kind, p.role, what);
    assert.equal(m.index, i, what);
    assert.ok(m.offset >= prevEnd, `${what}: messages in order`);
    assert.ok(m.offset <= m.headerEndOffset && m.headerEndOffset === m.bodyOffset && m.bodyOffset <= m.endOffset, what);
    assert.equal(m.headerBytes, m.headerEndOffset - m.offset, what);
    assert.equal(m.body.wireLength, m.endOffset - m.bodyOffset, what);
    assert.ok(m.body.length >= 0 && m.missingBytes >= 0 && m.body.length <= m.body.wireLength, what);
    assert.match(m.body.hash, /^[0-9a-f]{8}$/, what);
    assert.equal(m.damaged, m.missingBytes > 0, what);
    for (const [n, v] of [...m.headers, ...m.trailers]) assert.ok(typeof n === 'string' && n !== '' && typeof v === 'string', what);
    prevEnd = m.endOffset;
  });
  const fatal = errors.filter((e) => e.fatal);
  assert.ok(fatal.length <= 1, what);
  assert.equal(p.notHttp, fatal.length === 1, what);
  if (fatal.length === 1) assert.equal(errors[errors.length - 1], fatal[0], `${what}: nothing after a fatal error`);
  // Bounded memory: the block buffer never grows past the header limit.
  const internals = p as unknown as { buf: Uint8Array; queuedBytes: number };
  assert.ok(internals.buf.length <= 65536, what);
  assert.ok(internals.queuedBytes <= 65536 + 64, what);
}

test('seeded fuzz: mutated, spliced, gapped and random streams never throw; invariants hold', () => {
  const seen = new Map<string, number>();
  const tally = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);
  for (let seed = 1; seed <= 3000; seed++) {
    const rand = prng(seed);
    const what = `seed ${seed}`;
    const msgs: [HttpMessage[], HttpMessage[]] = [[], []];
    const errs: [HttpError[], HttpError[]] = [[], []];
    const parsers = rand() < 0.5
      ? createHttpConnectionParsers({ onMessage: (m) => msgs[m.kind === 'request' ? 0 : 1].push(m), onError: (e) => errs[e.role === 'request' ? 0 : 1].push(e) })
      : (['request', 'response'] as const).map((role, d) => new HttpStreamParser({
          role, onMessage: (m) => msgs[d]!.push(m), onError: (e) => errs[d]!.push(e),
        }));
    const at = { ts: 1 };
    const inputs = [stream(rand, 'request'), stream(rand, 'response')];
    try {
      feedRandomly(rand, parsers[0]!, inputs[0]!, at);
      feedRandomly(rand, parsers[1]!, inputs[1]!, at);
      parsers[0]!.end(at.ts);
      parsers[1]!.end(at.ts);
    } catch (e) {
      assert.fail(`${what}: threw ${String(e)}`);
    }
    check(msgs[0], errs[0], parsers[0]!, `${what} requests`);
    check(msgs[1], errs[1], parsers[1]!, `${what} responses`);
    for (const m of [...msgs[0], ...msgs[1]]) tally(`${m.kind}:${m.body.framing}:${m.complete ? 'complete' : 'cut'}`);
    for (const e of [...errs[0], ...errs[1]]) tally(e.code);
  }
  // The fuzz must reach the interesting paths, not just stop at the first byte.
  for (const k of [
    'request:none:complete', 'request:content-length:complete', 'request:chunked:complete', 'request:tunnel:complete',
    'response:close:complete', 'response:tunnel:complete', 'response:chunked:complete', 'request:none:cut',
    'bad_start_line', 'bad_chunk', 'gap_in_headers', 'gap_between_messages', 'gap_in_chunked', 'truncated', 'bad_content_length',
  ]) assert.ok((seen.get(k) ?? 0) >= 5, `${k} reached ${seen.get(k) ?? 0} times`);
});

test('an unmutated corpus parses without any error, however it is cut', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = prng(seed);
    const errors: HttpError[] = [];
    const messages: HttpMessage[] = [];
    const p = new HttpStreamParser({ role: 'request', onMessage: (m) => messages.push(m), onError: (e) => errors.push(e) });
    const plain = REQUESTS.filter((r) => !/Upgrade|CONNECT/.test(r));
    const picks = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => plain[Math.floor(rand() * plain.length)]!);
    const data = bytes(picks.join(''));
    let off = 0;
    while (off < data.length) {
      const len = Math.min(data.length - off, 1 + Math.floor(rand() * 16));
      p.push(off, data.subarray(off, off + len), off);
      off += len;
    }
    p.end(off);
    assert.deepEqual(errors, [], `seed ${seed}`);
    assert.equal(messages.length, picks.length, `seed ${seed}`);
    assert.ok(messages.every((m) => m.complete && !m.damaged), `seed ${seed}`);
  }
});
