/**
 * The correlate stage's building blocks on hand-made values: header rewrites, body and
 * forwarding-header comparisons, target normalisation, connect-attempt chains, the byte ledger.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpBody, HttpHeaders, HttpRequest } from '../src/app/http/index.js';
import { AttemptPool } from '../src/correlate/connect-attempts.js';
import { compareBodies, forwardingNamesClient, normalizeTarget, targetsRelated } from '../src/correlate/http-match.js';
import { mapBytes } from '../src/correlate/ledger.js';
import type { LedgerEntry, Leg, LegDirection } from '../src/correlate/model.js';
import { compareMessages } from '../src/correlate/rewrites.js';

function body(over: Partial<HttpBody> = {}): HttpBody {
  return { framing: 'none', length: 0, wireLength: 0, chunks: [], hash: '811c9dc5', ...over };
}

function req(startLine: string, headers: HttpHeaders, b: HttpBody = body(), over: Partial<HttpRequest> = {}): HttpRequest {
  const [method = '', target = '', version = ''] = startLine.split(' ');
  return {
    kind: 'request', method, target, index: 0, startLine, version, headers, trailers: [], headerBytes: 100,
    offset: 0, headerEndOffset: 100, bodyOffset: 100, endOffset: 100 + b.wireLength, body: b,
    firstByteTs: 1, headersCompleteTs: 1, lastByteTs: 1, damaged: false, missingBytes: 0, complete: true,
    keepAlive: true, notes: [], ...over,
  };
}

test('rewrites: a lower-cased name is a case change, an appended X-Forwarded-For an addition', () => {
  const before = req('GET / HTTP/1.1', [['Host', 'a.test'], ['User-Agent', 'u'], ['Connection', 'keep-alive'], ['X-Forwarded-For', '1.1.1.1']]);
  const after = req('GET / HTTP/1.1', [['host', 'a.test'], ['user-agent', 'u'], ['x-forwarded-for', '1.1.1.1'], ['x-forwarded-for', '10.0.0.90'], ['x-extra', 'v']]);
  assert.deepEqual(compareMessages(before, after), {
    added: [['x-forwarded-for', '10.0.0.90'], ['x-extra', 'v']],
    removed: [['Connection', 'keep-alive']],
    changed: [],
    caseChanged: [['Host', 'host'], ['User-Agent', 'user-agent'], ['X-Forwarded-For', 'x-forwarded-for']],
    reordered: false,
    requestLine: null,
    body: 'same',
  });
});

test('rewrites: changed values, reordering, a rewritten request line', () => {
  const before = req('GET /old HTTP/1.1', [['Host', 'a.test'], ['Accept', '*/*'], ['X-Id', '1']]);
  const after = req('GET /new HTTP/1.1', [['Accept', '*/*'], ['Host', 'b.test'], ['X-Id', '1']]);
  const r = compareMessages(before, after);
  assert.deepEqual(r.changed, [['host', 'a.test', 'b.test']]);
  assert.deepEqual(r.caseChanged, []);
  assert.equal(r.reordered, true);
  assert.deepEqual(r.requestLine, { before: 'GET /old HTTP/1.1', after: 'GET /new HTTP/1.1' });
});

test('bodies: same, reframed (chunked → length), changed, unknown (damaged or cut)', () => {
  const cl = req('POST / HTTP/1.1', [], body({ framing: 'content-length', length: 10, wireLength: 10, hash: 'aaaaaaaa' }));
  const ch = req('POST / HTTP/1.1', [], body({ framing: 'chunked', length: 10, wireLength: 20, chunks: [10], hash: 'aaaaaaaa' }));
  const other = req('POST / HTTP/1.1', [], body({ framing: 'content-length', length: 10, wireLength: 10, hash: 'bbbbbbbb' }));
  assert.equal(compareBodies(cl, cl), 'same');
  assert.equal(compareBodies(ch, cl), 'reframed');
  assert.equal(compareBodies(cl, other), 'changed');
  assert.equal(compareBodies(cl, { ...other, damaged: true }), 'unknown');
  assert.equal(compareBodies(cl, { ...other, complete: false }), 'unknown');
});

test('forwarding headers: naming the client, naming another, passed through untouched', () => {
  const client = req('GET / HTTP/1.1', [['X-Forwarded-For', '1.2.3.4']]);
  const plain = req('GET / HTTP/1.1', []);
  const at = ['10.0.0.90'];
  assert.equal(forwardingNamesClient(req('GET / HTTP/1.1', [['x-forwarded-for', '1.2.3.4, 10.0.0.90']]), client, at), 'yes');
  assert.equal(forwardingNamesClient(req('GET / HTTP/1.1', [['X-Real-IP', '10.0.0.90']]), plain, at), 'yes');
  assert.equal(forwardingNamesClient(req('GET / HTTP/1.1', [['Forwarded', 'for="10.0.0.90:4711";proto=http']]), plain, at), 'yes');
  assert.equal(forwardingNamesClient(req('GET / HTTP/1.1', [['x-forwarded-for', '10.0.0.91']]), plain, at), 'no');
  assert.equal(forwardingNamesClient(req('GET / HTTP/1.1', [['X-Forwarded-For', '1.2.3.4']]), client, at), 'absent');
  assert.equal(forwardingNamesClient(plain, plain, at), 'absent');
});

test('targets: absolute-form and unreserved escapes normalised; prefix rewrites related, "/" is not', () => {
  assert.equal(normalizeTarget('http://a.test:80/a%7eb?x=%2F'), '/a~b?x=%2F');
  assert.equal(targetsRelated('/x/y', '/v2/x/y'), true);
  assert.equal(targetsRelated('/x?a=1', '/v2/x?a=2'), false);
  assert.equal(targetsRelated('/', '/index.html'), false);
});

function bareLeg(id: string, syn: number, end: number): Leg {
  const dir: LegDirection = {
    bytes: 0, missedBytes: 0, retransmittedBytes: 0, chunks: [], acks: [], gaps: [], head: new Uint8Array(0),
    firstDataTs: null, lastDataTs: null, finTs: null, rstTs: null, finOffset: null,
  };
  return {
    id, client: `10.0.0.22:${4000 + Number(id)}`, server: '10.0.0.2:80', clientAddress: '10.0.0.22', clientPort: 4000 + Number(id),
    serverAddress: '10.0.0.2', serverPort: 80, start: syn, end, state: 'REJ', history: 'Sr', synTs: syn, synAckTs: null,
    establishedTs: null, dirs: [dir, { ...dir }], http: null, proxyProtocol: null, captures: [0],
  };
}

test('connect attempts: the retry chain of a request is told apart from periodic checks by timing', () => {
  // Checks every ~1.0015 s from t=0; a request at 0.9547 retried at ~1.0025 s intervals, 503 at 2.9599.
  const checks = [0, 1.0011, 2.0026, 3.0043, 4.0059].map((t, i) => bareLeg(String(i), t, t + 0.0001));
  const tries = [0.9549, 1.9573, 2.9598].map((t, i) => bareLeg(String(10 + i), t, t + 0.00005));
  const pool = new AttemptPool([...checks, ...tries]);
  assert.deepEqual(pool.claim(0.5512, { kind: 'answer', t: 0.5513 }).map((l) => l.id), []);
  assert.deepEqual(pool.claim(0.9547, { kind: 'answer', t: 2.9599 }).map((l) => l.id), ['10', '11', '12']);
  assert.deepEqual(pool.claim(3.3736, { kind: 'answer', t: 3.374 }).map((l) => l.id), []);
  // The connection that worked came right away: no attempts before it.
  assert.deepEqual(new AttemptPool(checks).claim(0.9999, { kind: 'syn', t: 1.0001 }), []);
});

function chunked(triples: number[]): LegDirection {
  return {
    bytes: 0, missedBytes: 0, retransmittedBytes: 0, chunks: triples, acks: [], gaps: [], head: new Uint8Array(0),
    firstDataTs: null, lastDataTs: null, finTs: null, rstTs: null, finOffset: null,
  };
}

test('ledger: ranges split where either leg\'s chunks break, shifted by the PROXY header, gaps skipped', () => {
  const from = chunked([0, 10, 1.0, 10, 10, 2.0, 30, 5, 4.0]); // 20..30 never delivered
  const to = chunked([43, 5, 1.1, 48, 22, 2.1, 70, 8, 4.1]);
  const out: LedgerEntry[] = [];
  mapBytes(out, { direction: 'clientToServer', serverLeg: 0 }, from, 0, to, 43, 35);
  assert.deepEqual(out.map((e) => [e.fromOffset, e.toOffset, e.length, e.arrived, e.departed]), [
    [0, 43, 5, 1.0, 1.1],
    [5, 48, 5, 1.0, 2.1],
    [10, 53, 10, 2.0, 2.1],
    [30, 73, 5, 4.0, 4.1],
  ]);
});
