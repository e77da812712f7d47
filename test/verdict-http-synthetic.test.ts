/**
 * http verdicts on hand-built exchanges (a client leg and the server leg the proxy opened for
 * it, through the whole pipeline):
 *  - termination when the client closes while waiting: CH when the proxy drops the server because
 *    the client left; sH when the client left only after the proxy's own 504 (`timeout server`),
 *    even if the proxy's close of the server leg follows the client's close within 5 ms;
 *  - bytes_read (%B) when the proxy never ACKs the server's last segment (it resets the server
 *    connection once it has the response): the whole body counts once the client got it all;
 *    else only what the proxy ACKed;
 *  - Tr when the proxy relays the server's answer only 10 ms after it came (a stalled poll loop):
 *    HAProxy read it in the loop that relayed it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate } from '../src/correlate/correlate.js';
import { inferHttpVerdicts } from '../src/correlate/haproxy/verdict-http.js';
import type { ExchangeVerdict, Leg } from '../src/correlate/model.js';
import { conn, legsOf } from './helpers/synthetic-legs.js';
import { merge, type Conversation } from './helpers/tcp-harness.js';

/**
 * 10.0.0.90 sends `request` at 1.001; the proxy connects to web1 at 1.0012 and forwards
 * `forwarded` at 1.0013; `rest` writes what follows on the client leg `c` and server leg `s`.
 */
async function verdictOf(request: string, forwarded: string, rest: (c: Conversation, s: Conversation) => void): Promise<ExchangeVerdict> {
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  c.data(0, request, { at: 1.001 });
  c.ack(1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.0012);
  s.data(0, forwarded, { at: 1.0013 });
  s.ack(1);
  rest(c, s);
  const legs = await legsOf(merge(c, s));
  const r = correlate(legs);
  assert.equal(r.sessions.length, 1);
  const session = r.sessions[0]!;
  assert.equal(session.serverLegs[0]?.source, '10.0.0.22:50000');
  const [v] = inferHttpVerdicts(session, new Map<string, Leg>(legs.map((l) => [l.id, l])));
  assert.ok(v);
  return v;
}

// ---------------------------------------------------------------- termination

const SLOW = 'GET /slow HTTP/1.1\r\nHost: t.test\r\n\r\n';
const SLOW_FWD = 'GET /slow HTTP/1.1\r\nhost: t.test\r\nx-forwarded-for: 10.0.0.90\r\nconnection: close\r\n\r\n';
const R504 = 'HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 0\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n';

test('client closes after the proxy\'s 504, racing its close of the server leg: sH, 504', async () => {
  const v = await verdictOf(SLOW, SLOW_FWD, (c, s) => {
    // timeout server fires at 2.0013: the 504 and the proxy's FIN to the client; the client's FIN
    // 1 ms later; the proxy's FIN to the server 2 ms after that (within 5 ms of the client's).
    c.data(1, R504, { at: 2.0013 });
    c.fin(1, { at: 2.00131 });
    c.fin(0, { at: 2.0023 });
    c.ack(1);
    s.fin(0, { at: 2.0043 });
    s.fin(1);
    s.ack(0);
  });
  assert.deepEqual([v.termination, v.status], ['sH--', 504]);
});

test('client closes while waiting, the proxy drops the server at once: CH, -1', async () => {
  const v = await verdictOf(SLOW, SLOW_FWD, (c, s) => {
    // The client gives up at 1.5 without an answer; the proxy drops the server 1 ms later.
    c.fin(0, { at: 1.5 });
    s.fin(0, { at: 1.501 });
    c.fin(1, { at: 1.5011 });
    c.ack(0);
    s.fin(1);
    s.ack(0);
  });
  assert.deepEqual([v.termination, v.status], ['CH--', -1]);
});

// ---------------------------------------------------------------- bytes_read

const GET = 'GET / HTTP/1.1\r\nHost: t.test\r\n\r\n';
const GET_FWD = 'GET / HTTP/1.1\r\nhost: t.test\r\nx-forwarded-for: 10.0.0.90\r\n\r\n';
const RESP = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 93\r\n\r\n${'x'.repeat(93)}`;
// HTX: 20 + "HTTP/1.1" + "200" + "OK" + headers (name + value) + 1 + body.
const FULL = 20 + 8 + 3 + 2 + (12 + 9 + 14 + 2) + 1 + 93; // 164

const resetUnacked = (forwarded: boolean) => (c: Conversation, s: Conversation): void => {
  s.data(1, RESP, { at: 1.002 }); // headers and body in one segment, never ACKed by the proxy:
  s.rst(0, { flags: 'R', at: 1.0021 }); // the proxy resets the server leg (a bare RST: no ACK)
  if (forwarded) {
    c.data(1, RESP, { at: 1.0022 });
    c.ack(0);
  }
  c.fin(0, { at: 1.01 });
  c.fin(1);
  c.ack(0);
};

test('the whole response forwarded to the client, its last segment never ACKed on the server leg: the whole body counts', async () => {
  const v = await verdictOf(GET, GET_FWD, resetUnacked(true));
  assert.deepEqual([v.bytesRead, v.status], [FULL, 200]);
});

test('nothing forwarded and nothing ACKed: only the headers count', async () => {
  const v = await verdictOf(GET, GET_FWD, resetUnacked(false));
  assert.equal(v.bytesRead, FULL - 93);
});

// ---------------------------------------------------------------- timers

test('the answer relayed 10 ms after the server sent it (a stalled proxy): Tr and Ta count to the relay', async () => {
  // bench.pcap, 127.0.0.90:45817 at 07:57:25.318: answer in at +2 ms, relayed at +13, logged 0/0/0/13/13.
  const v = await verdictOf(GET, GET_FWD, (c, s) => {
    s.data(1, RESP, { at: 1.002 });
    s.ack(0);
    c.data(1, RESP, { at: 1.012 });
    c.ack(0);
    c.fin(0, { at: 1.05 });
    c.fin(1);
    c.ack(0);
  });
  // Accept 1.00002 (the handshake's ACK); request read and connect() at the SYN 1.0012;
  // established as the proxy saw it at its first byte, 1.0013; response read at 1.012.
  assert.deepEqual(v.timers, { TR: 0, Tw: 0, Tc: 0, Tr: 10, Ta: 10 });
});
