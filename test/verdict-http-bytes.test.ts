/**
 * bytes_read (%B) of an http exchange when the proxy never ACKs the server's last segment (it
 * resets the server connection once it has the response): HAProxy received the whole response,
 * as the client leg shows, so the whole body counts; when nothing reached the client, only what
 * the proxy ACKed does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate } from '../src/correlate/correlate.js';
import { inferHttpVerdicts } from '../src/correlate/haproxy/verdict-http.js';
import type { Leg } from '../src/correlate/model.js';
import { conn, legsOf } from './helpers/synthetic-legs.js';
import { merge } from './helpers/tcp-harness.js';

const REQ = 'GET / HTTP/1.1\r\nHost: t.test\r\n\r\n';
const FWD = 'GET / HTTP/1.1\r\nhost: t.test\r\nx-forwarded-for: 10.0.0.90\r\n\r\n';
const BODY = 'x'.repeat(93);
const RESP = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 93\r\n\r\n${BODY}`;
// HTX: 20 + "HTTP/1.1" + "200" + "OK" + headers (name + value) + 1 + body.
const FULL = 20 + 8 + 3 + 2 + (12 + 9 + 14 + 2) + 1 + 93; // 164

async function bytesRead(forwarded: boolean): Promise<{ bytesRead: number; status: number }> {
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  c.data(0, REQ, { at: 1.001 });
  c.ack(1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.0012);
  s.data(0, FWD, { at: 1.0013 });
  s.ack(1);
  s.data(1, RESP, { at: 1.002 }); // headers and body in one segment, never ACKed by the proxy:
  s.rst(0, { flags: 'R', at: 1.0021 }); // the proxy resets the server leg (a bare RST: no ACK)
  if (forwarded) {
    c.data(1, RESP, { at: 1.0022 });
    c.ack(0);
  }
  c.fin(0, { at: 1.01 });
  c.fin(1);
  c.ack(0);
  const legs = await legsOf(merge(c, s));
  const r = correlate(legs);
  assert.equal(r.sessions.length, 1);
  const [v] = inferHttpVerdicts(r.sessions[0]!, new Map<string, Leg>(legs.map((l) => [l.id, l])));
  assert.ok(v);
  return { bytesRead: v.bytesRead, status: v.status };
}

test('the whole response forwarded to the client, its last segment never ACKed on the server leg: the whole body counts', async () => {
  assert.deepEqual(await bytesRead(true), { bytesRead: FULL, status: 200 });
});

test('nothing forwarded and nothing ACKed: only the headers count', async () => {
  const r = await bytesRead(false);
  assert.equal(r.bytesRead, FULL - 93);
});
