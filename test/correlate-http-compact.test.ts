/**
 * Compact HTTP messages (what the correlate stage parses into: src/app/http/compact.ts) carry
 * the same values as the parser's plain objects: on every message of every committed capture,
 * and on hand-made streams that exercise the corners of header parsing (bare LF, obs-fold into a
 * framing field, space before a colon, invalid lines, trailers, interim responses, a gap inside a
 * header block), fed whole and split at every byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpConnectionParsers, HttpStreamParser, type HttpMessage, type HttpRole } from '../src/app/http/index.js';
import { CompactRequest, CompactResponse } from '../src/app/http/compact.js';
import { runPipeline } from '../src/pipeline.js';
import { committedCaptures } from './helpers/tools.js';

const plainOf = (m: HttpMessage): HttpMessage => (m instanceof CompactRequest || m instanceof CompactResponse ? m.toPlain() : m);

test('compact and plain messages agree on every committed capture', async () => {
  let total = 0;
  for (const file of committedCaptures()) {
    const out: [HttpMessage[], HttpMessage[]] = [[], []];
    const parsers = new Map<number, ReturnType<typeof createHttpConnectionParsers>[]>();
    await runPipeline({
      files: [file],
      handler: {
        open: (c) => parsers.set(c.seq, [0, 1].map((k) => createHttpConnectionParsers({ compact: k === 1, onMessage: (m) => out[k as 0 | 1].push(m) }))),
        data: (c, dir, offset, data, ts) => { for (const p of parsers.get(c.seq)!) p[dir].push(offset, data, ts); },
        gap: (c, dir, offset, length, _r, ts) => { for (const p of parsers.get(c.seq)!) p[dir].gap(offset, length, ts); },
        close: (c) => { for (const p of parsers.get(c.seq)!) { p[0].end(c.end); p[1].end(c.end); } },
      },
    });
    assert.equal(out[1].length, out[0].length, file);
    out[1].forEach((m, i) => assert.deepEqual(plainOf(m), out[0][i], `${file} #${i}`));
    total += out[0].length;
  }
  assert.ok(total > 300, String(total));
});

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

function run(role: HttpRole, pieces: Uint8Array[], compact: boolean, gapAt = -1): HttpMessage[] {
  const messages: HttpMessage[] = [];
  const p = new HttpStreamParser({ role, compact, onMessage: (m) => messages.push(plainOf(m)) });
  let off = 0;
  for (const piece of pieces) {
    if (off === gapAt) {
      p.gap(off, 7, 1);
      off += 7;
    }
    p.push(off, piece, 1);
    off += piece.length;
  }
  p.end(2);
  return messages;
}

const CASES: [HttpRole, string][] = [
  ['request', 'GET /a HTTP/1.1\nHost: x\n\nPOST /b HTTP/1.1\r\nContent-Length:\r\n  5\r\nX: y\r\n\r\nhello'],
  ['request', 'GET / HTTP/1.1\r\nHost : x\r\nbad line\r\n\tfolded\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /next HTTP/1.1\r\n\r\n'],
  ['response', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n'],
  ['response', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n'],
  ['request', 'GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n'],
];

test('compact and plain messages agree on corner cases, whole and split', () => {
  for (const [role, text] of CASES) {
    const data = bytes(text);
    const want = run(role, [data], false);
    assert.deepEqual(run(role, [data], true), want, text);
    for (let k = 1; k < data.length; k++) {
      const split = [data.subarray(0, k), data.subarray(k)];
      assert.deepEqual(run(role, split, true), want, `${text} split at ${k}`);
    }
    // A gap inside the first header block: cut message, resync.
    const gapped = [data.subarray(0, 9), data.subarray(16)];
    assert.deepEqual(run(role, gapped, true, 9), run(role, gapped, false, 9), `${text} with a gap`);
  }
});

test('identical header blocks share one string and one decoded header list', () => {
  const out: HttpMessage[] = [];
  const p = new HttpStreamParser({ role: 'request', compact: true, onMessage: (m) => out.push(m) });
  const req = bytes('GET / HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\n\r\n');
  p.push(0, req, 1);
  p.push(req.length, Buffer.from(req), 2);
  const [a, b] = out as [CompactRequest, CompactRequest];
  assert.equal(a.head, b.head);
  assert.equal(a.headers, b.headers);
  assert.deepEqual(a.headers, [['Host', 'example.test'], ['Accept', '*/*']]);
  assert.equal(a.startLine, 'GET / HTTP/1.1');
});

test('a repeated header block is decided once: each message still gets its notes and framing', () => {
  const block = 'POST /u HTTP/1.1\r\nHost : x\r\nContent-Length: 2, 2\r\nExpect: 100-continue\r\n\r\nhi';
  // Seen once: scanned; twice: decided and kept; three times: the kept decision replayed.
  const data = bytes(block + block + block);
  const compact = run('request', [data], true);
  assert.deepEqual(compact, run('request', [data], false));
  assert.equal(compact.length, 3);
  for (const m of compact) {
    assert.deepEqual(m.notes, ['space_before_colon', 'duplicate_content_length']);
    assert.equal(m.body.framing, 'content-length');
    assert.equal(m.body.length, 2);
  }
  assert.deepEqual(compact.map((m) => m.offset), [0, block.length, 2 * block.length]);
});

test('one response header block frames by the request it answers (HEAD: no body)', () => {
  for (const order of [['HEAD', 'GET'], ['GET', 'HEAD']] as const) {
    const out: HttpMessage[] = [];
    const [req, resp] = createHttpConnectionParsers({ compact: true, onMessage: (m) => out.push(plainOf(m)) });
    req.push(0, bytes(order.map((m) => `${m} / HTTP/1.1\r\n\r\n`).join('')), 1);
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n';
    const body = (m: string): string => (m === 'GET' ? 'hi' : '');
    resp.push(0, bytes(order.map((m) => head + body(m)).join('')), 2);
    const responses = out.filter((m) => m.kind === 'response');
    assert.deepEqual(responses.map((m) => [m.requestMethod, m.body.framing, m.body.length, m.endOffset - m.offset]),
      order.map((m) => (m === 'GET' ? ['GET', 'content-length', 2, head.length + 2] : ['HEAD', 'none', 0, head.length])));
  }
});

test('a reset parser pair parses like a new one, whatever state the last connection left it in', () => {
  const conn = (parsers: ReturnType<typeof createHttpConnectionParsers>, out: HttpMessage[], reqText: string, respText: string, finish: boolean): HttpMessage[] => {
    const [req, resp] = parsers;
    req.push(100, bytes(reqText), 1);
    resp.push(200, bytes(respText), 2);
    if (finish) {
      req.end(3);
      resp.end(3);
    }
    return out;
  };
  const upgrade = 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nmore bytes';
  const reqs = 'POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.0\r\n\r\n';
  const resps = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
  for (const compact of [true, false]) {
    const fresh: HttpMessage[] = [];
    conn(createHttpConnectionParsers({ compact, onMessage: (m) => fresh.push(plainOf(m)) }), fresh, reqs, resps, true);
    // Left unfinished: a request held for its Upgrade verdict, a response cut in its header block.
    let out: HttpMessage[] = [];
    const parsers = createHttpConnectionParsers({ compact, onMessage: (m) => out.push(plainOf(m)) });
    conn(parsers, out, upgrade, 'HTTP/1.1 101 Switch', false);
    parsers[0].reset();
    parsers[1].reset();
    out = [];
    conn(parsers, out, reqs, resps, true);
    assert.deepEqual(out, fresh);
    assert.equal(parsers[0].messages, 2);
    assert.equal(parsers[1].notHttp, false);
  }
});
