/**
 * Gaps (bytes the capture lacks) in every part of a message: counted where the framing still
 * tells where the message ends, otherwise the message is cut and the parser resyncs at the next
 * start line. Each playbook also runs with every data piece split at every byte.
 */
import { fnv } from './helpers/fnv-reference.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createHttpConnectionParsers, HttpStreamParser, type HttpError, type HttpMessage, type HttpRole,
} from '../src/app/http/index.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** Data (a string) or a gap of that many bytes; the ts of step i is i + 1. */
type Step = string | { gap: number };

interface Run {
  messages: HttpMessage[];
  errors: HttpError[];
  parser: HttpStreamParser;
}

function run(role: HttpRole, steps: Step[], setup?: (p: HttpStreamParser) => void, splitStep = -1, splitAt = 0): Run {
  const messages: HttpMessage[] = [];
  const errors: HttpError[] = [];
  const parser = new HttpStreamParser({ role, onMessage: (m) => messages.push(m), onError: (e) => errors.push(e) });
  setup?.(parser);
  let off = 0;
  steps.forEach((s, i) => {
    const ts = i + 1;
    if (typeof s !== 'string') {
      parser.gap(off, s.gap, ts);
      off += s.gap;
      return;
    }
    const b = bytes(s);
    if (i === splitStep) {
      parser.push(off, b.subarray(0, splitAt), ts);
      parser.push(off + splitAt, b.subarray(splitAt), ts);
    } else parser.push(off, b, ts);
    off += b.length;
  });
  parser.end(steps.length + 1);
  return { messages, errors, parser };
}

function playbook(role: HttpRole, steps: Step[], setup?: (p: HttpStreamParser) => void): Run {
  const whole = run(role, steps, setup);
  steps.forEach((s, i) => {
    if (typeof s !== 'string') return;
    for (let k = 1; k < s.length; k++) {
      const r = run(role, steps, setup, i, k);
      assert.deepEqual(r.messages, whole.messages, `step ${i} split at ${k}`);
      assert.deepEqual(r.errors, whole.errors, `step ${i} split at ${k}`);
      assert.equal(r.parser.skippedBytes, whole.parser.skippedBytes, `step ${i} split at ${k}`);
    }
  });
  return whole;
}

const summary = (m: HttpMessage): unknown[] => [
  m.kind === 'request' ? m.target : m.status, m.offset, m.headerEndOffset, m.endOffset, m.body.framing, m.body.length,
  m.damaged, m.missingBytes, m.complete, m.notes,
];

test('gap inside a content-length body: counted, damaged, the next message is untouched', () => {
  const r = playbook('request', [
    'POST /u HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc', { gap: 4 }, 'hij', 'GET /n HTTP/1.1\r\n\r\n',
  ]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages.map(summary), [
    ['/u', 0, 40, 50, 'content-length', 10, true, 4, true, []],
    ['/n', 50, 69, 69, 'none', 0, false, 0, true, []],
  ]);
  const m = r.messages[0]!;
  assert.equal(m.body.hash, fnv('abchij'), 'only the bytes seen are hashed');
  assert.deepEqual([m.firstByteTs, m.headersCompleteTs, m.lastByteTs], [1, 1, 3]);
  assert.equal(r.parser.missingBytes, 4);
});

test('gap running from a body into the next request: body completed, resync at the following request line', () => {
  const r = playbook('request', [
    'POST /u HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc', { gap: 12 }, 'n HTTP/1.1\r\n\r\nGET /z HTTP/1.1\r\n\r\n',
  ]);
  assert.deepEqual(r.errors.map((e) => [e.code, e.offset, e.fatal]), [['gap_between_messages', 50, false]]);
  assert.deepEqual(r.messages.map(summary), [
    ['/u', 0, 40, 50, 'content-length', 10, true, 7, true, []],
    ['/z', 69, 88, 88, 'none', 0, false, 0, true, ['resynced']],
  ]);
  assert.equal(r.parser.skippedBytes, 14);
  assert.equal(r.messages[1]!.firstByteTs, 3);
});

test('gap inside a header block: the message is emitted cut, with the fields before the gap, then resync', () => {
  const r = playbook('request', [
    'GET /a HTTP/1.1\r\nHost: x\r\nUser-Ag', { gap: 10 }, 'ent\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n',
  ]);
  assert.deepEqual(r.errors, [{ code: 'gap_in_headers', role: 'request', offset: 33, ts: 2, fatal: false, detail: '10 bytes missing in a header block' }]);
  assert.deepEqual(r.messages, [
    {
      kind: 'request', method: 'GET', target: '/a', index: 0, startLine: 'GET /a HTTP/1.1', version: 'HTTP/1.1',
      headers: [['Host', 'x']], trailers: [], headerBytes: 43, offset: 0, headerEndOffset: 43, bodyOffset: 43, endOffset: 43,
      body: { framing: 'none', length: 0, wireLength: 0, chunks: [], hash: fnv('') },
      firstByteTs: 1, headersCompleteTs: -1, lastByteTs: 2, damaged: true, missingBytes: 10, complete: false,
      keepAlive: true, notes: [],
    },
    {
      kind: 'request', method: 'GET', target: '/b', index: 1, startLine: 'GET /b HTTP/1.1', version: 'HTTP/1.1',
      headers: [['Host', 'y']], trailers: [], headerBytes: 28, offset: 50, headerEndOffset: 78, bodyOffset: 78, endOffset: 78,
      body: { framing: 'none', length: 0, wireLength: 0, chunks: [], hash: fnv('') },
      firstByteTs: 3, headersCompleteTs: 3, lastByteTs: 3, damaged: false, missingBytes: 0, complete: true,
      keepAlive: true, notes: ['resynced'],
    },
  ]);
  assert.equal(r.parser.skippedBytes, 7);
  assert.equal(r.parser.notHttp, false);
});

test('gap inside a start line: nothing to emit for it, resync at the next request line', () => {
  const r = playbook('request', ['GET /a HT', { gap: 5 }, '\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n']);
  assert.deepEqual(r.errors.map((e) => e.code), ['gap_in_headers']);
  assert.deepEqual(r.messages.map(summary), [['/b', 27, 46, 46, 'none', 0, false, 0, true, ['resynced']]]);
  assert.equal(r.parser.skippedBytes, 9 + 13);
});

test('a line split around the resync point is still found, whatever the push boundaries', () => {
  const r = playbook('response', [{ gap: 3 }, 'xx\r\nHTTP/1.1 204 No Content\r\n\r\n'], (p) => p.expectResponseTo('GET'));
  assert.deepEqual(r.messages.map(summary), [[204, 7, 34, 34, 'none', 0, false, 0, true, ['resynced']]]);
});

test('gap inside chunk data: counted; chunk sizes kept', () => {
  const r = playbook('response', [
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe', { gap: 3 }, '\r\n2\r\nok\r\n0\r\n\r\n',
  ], (p) => p.expectResponseTo('GET'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.messages.map(summary), [[200, 0, 47, 69, 'chunked', 7, true, 3, true, []]]);
  assert.deepEqual(r.messages[0]!.body.chunks, [5, 2]);
  assert.equal(r.messages[0]!.body.hash, fnv('heok'));
});

test('gap inside chunk framing: message cut, resync at the next status line', () => {
  const r = playbook('response', [
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1', { gap: 6 }, 'xyz\r\n0\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n',
  ], (p) => { p.expectResponseTo('GET'); p.expectResponseTo('GET'); });
  assert.deepEqual(r.errors.map((e) => [e.code, e.offset]), [['gap_in_chunked', 58]]);
  assert.deepEqual(r.messages.map(summary), [
    [200, 0, 47, 64, 'chunked', 5, true, 6, false, []],
    [304, 74, 103, 103, 'none', 0, false, 0, true, ['resynced']],
  ]);
});

test('gap at the start of the stream (capture began mid-connection): resync', () => {
  const r = playbook('response', [{ gap: 100 }, ' of a body\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
  assert.deepEqual(r.errors.map((e) => [e.code, e.offset]), [['gap_between_messages', 0]]);
  assert.deepEqual(r.messages.map(summary), [[200, 112, 150, 150, 'content-length', 0, false, 0, true, ['resynced', 'unpaired']]]);
});

test('gap in a close-delimited body and in a tunnel: counted', () => {
  const r = playbook('response', ['HTTP/1.1 200 OK\r\n\r\nab', { gap: 5 }, 'cd'], (p) => p.expectResponseTo('GET'));
  assert.deepEqual(r.messages.map(summary), [[200, 0, 19, 28, 'close', 9, true, 5, true, []]]);
  const t = playbook('response', ['HTTP/1.1 101 Switching Protocols\r\n\r\nab', { gap: 5 }, 'cd'], (p) => p.expectResponseTo('GET'));
  assert.deepEqual(t.messages.map(summary), [[101, 0, 36, 45, 'tunnel', 9, true, 5, true, []]]);
});

test('gap while the request side waits for the verdict on an Upgrade: replayed into the tunnel', () => {
  const out: HttpMessage[] = [];
  const [rq, rs] = createHttpConnectionParsers({ onMessage: (m) => out.push(m) });
  rq.push(0, bytes('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'), 1); // 40 bytes
  rq.push(40, bytes('\x81\x80'), 2);
  rq.gap(42, 4, 3);
  rq.push(46, bytes('\x88\x80'), 4);
  assert.equal(out.length, 0, 'held until the response says');
  rs.push(0, bytes('HTTP/1.1 101 Switching Protocols\r\n\r\n'), 5);
  rq.end(6);
  rs.end(6);
  assert.deepEqual(out.map(summary), [
    ['/ws', 0, 40, 48, 'tunnel', 8, true, 4, true, []],
    [101, 0, 36, 36, 'tunnel', 0, false, 0, true, []],
  ]);
});

test('end() inside a body: the message is emitted incomplete, with a truncated error', () => {
  const r = playbook('request', ['POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc']);
  assert.deepEqual(r.errors.map((e) => [e.code, e.fatal]), [['truncated', false]]);
  assert.deepEqual(r.messages.map(summary), [['/', 0, 39, 42, 'content-length', 3, false, 0, false, []]]);
});
