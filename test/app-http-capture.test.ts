/**
 * The HTTP/1 parser on a real HAProxy capture (captures/http-keepalive): the tcp stage's streams
 * routed into one parser per connection direction must give back exactly the requests and
 * responses that the capture's clients (clients.jsonl) and servers (servers.jsonl) recorded.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  createHttpConnectionParsers, headerValue, normalizeHeaderName,
  type HttpError, type HttpMessage, type HttpRequest, type HttpResponse,
} from '../src/app/http/index.js';
import { runPipeline } from '../src/pipeline.js';

const DIR = 'captures/http-keepalive';

interface Leg {
  client: string;
  server: string;
  requests: HttpRequest[];
  responses: HttpResponse[];
  errors: HttpError[];
}

async function parseCapture(file: string): Promise<Leg[]> {
  const legs: Leg[] = [];
  const byId = new Map<string, { leg: Leg; parsers: ReturnType<typeof createHttpConnectionParsers> }>();
  await runPipeline({
    files: [file],
    handler: {
      open: (c) => {
        // Connection objects are recycled after close: copy what we need now.
        const leg: Leg = { client: c.client, server: c.server, requests: [], responses: [], errors: [] };
        const onMessage = (m: HttpMessage): void => {
          if (m.kind === 'request') leg.requests.push(m);
          else leg.responses.push(m);
        };
        legs.push(leg);
        byId.set(c.id, { leg, parsers: createHttpConnectionParsers({ onMessage, onError: (e) => leg.errors.push(e) }) });
      },
      data: (c, dir, offset, data, ts) => byId.get(c.id)!.parsers[dir].push(offset, data, ts),
      gap: (c, dir, offset, length, _reason, ts) => byId.get(c.id)!.parsers[dir].gap(offset, length, ts),
      close: (c) => {
        const o = byId.get(c.id)!;
        o.parsers[0].end(c.end);
        o.parsers[1].end(c.end);
        byId.delete(c.id);
      },
    },
  });
  return legs;
}

function jsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Node's flattened [name, value, name, value, ...] into pairs. */
function pairs(flat: unknown): [string, string][] {
  const a = flat as string[];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

const lowerNames = (h: [string, string][]): [string, string][] => h.map(([n, v]) => [normalizeHeaderName(n), v]);

test('http-keepalive capture: every request and response of both legs, as clients and servers recorded them', async () => {
  const legs = await parseCapture(`${DIR}/capture.pcap`);
  const clients = jsonl(`${DIR}/clients.jsonl`).filter((e) => e.event === 'response');
  const servers = jsonl(`${DIR}/servers.jsonl`).filter((e) => e.event === 'request');
  assert.equal(legs.length, 4);
  for (const leg of legs) {
    assert.deepEqual(leg.errors, [], `${leg.client} → ${leg.server}`);
    for (const m of [...leg.requests, ...leg.responses]) {
      assert.ok(m.complete && !m.damaged && m.notes.length === 0, `${leg.client} #${m.index}: ${JSON.stringify(m.notes)}`);
    }
    // Pairing by order: response i answers request i, and says so.
    assert.deepEqual(leg.responses.map((r) => [r.requestIndex, r.requestMethod]), leg.requests.map((q) => [q.index, q.method]));
    // Consecutive and covering the whole stream (keep-alive, no stray bytes).
    leg.requests.forEach((q, i) => assert.equal(q.offset, i === 0 ? 0 : leg.requests[i - 1]!.endOffset));
    leg.responses.forEach((r, i) => assert.equal(r.offset, i === 0 ? 0 : leg.responses[i - 1]!.endOffset));
  }

  // Client legs (client → HAProxy): what each client sent and received.
  for (const local of ['127.0.0.90:41915', '127.0.0.91:41329']) {
    const leg = legs.find((l) => l.client === local);
    assert.ok(leg, local);
    const seen = clients.filter((e) => e.local === local).sort((a, b) => (a.seq as number) - (b.seq as number));
    assert.equal(seen.length, 8);
    assert.deepEqual(
      leg.requests.map((q) => [q.method, q.target, headerValue(q.headers, 'host'), q.body.length]),
      seen.map((e) => [e.method, e.path, e.host, e.requestBodyBytes]),
      local,
    );
    assert.deepEqual(
      leg.responses.map((r) => [r.status, r.version, r.body.length, lowerNames(r.headers)]),
      seen.map((e) => [e.status, `HTTP/${String(e.httpVersion)}`, e.bodyBytes, pairs(e.headers)]),
      local,
    );
    assert.equal(leg.server, '127.0.0.22:80');
  }

  // Server legs (HAProxy → web1/web2): what each server received (X-Forwarded-For added) and sent.
  for (const leg of legs.filter((l) => l.client.startsWith('127.0.0.22:'))) {
    const seen = servers.filter((e) => e.remote === leg.client && e.local === leg.server)
      .sort((a, b) => (a.reqIndex as number) - (b.reqIndex as number));
    assert.equal(seen.length, 8, leg.client);
    assert.deepEqual(
      leg.requests.map((q) => [q.method, q.target, q.version, q.body.length, lowerNames(q.headers)]),
      seen.map((e) => [e.method, e.url, `HTTP/${String(e.httpVersion)}`, e.bodyBytes, pairs(e.headers)]),
      leg.client,
    );
    assert.deepEqual(
      leg.responses.map((r) => [r.status, r.body.length, r.body.framing === 'chunked' ? r.body.chunks.length : undefined]),
      seen.map((e) => [e.status, e.respBodyBytes, e.chunks]),
      leg.client,
    );
  }

  // Bodies pass the proxy unchanged: the 3000-byte uploads hash the same on both legs.
  const uploads = legs.flatMap((l) => l.requests.filter((q) => q.target === '/upload').map((q) => q.body.hash));
  assert.equal(uploads.length, 8);
  assert.equal(new Set(uploads).size, 1);
});
