/**
 * The http termination state when the client closes while waiting for the response: CH when the
 * proxy drops the server because the client left, sH when the client left only after the
 * proxy's own 504 (`timeout server`), even if the proxy's close of the server leg follows the
 * client's close within the reaction window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate } from '../src/correlate/correlate.js';
import { inferHttpVerdicts } from '../src/correlate/haproxy/verdict-http.js';
import type { Leg } from '../src/correlate/model.js';
import { conn, legsOf } from './helpers/synthetic-legs.js';
import { merge } from './helpers/tcp-harness.js';

const REQ = 'GET /slow HTTP/1.1\r\nHost: t.test\r\n\r\n';
const FWD = 'GET /slow HTTP/1.1\r\nhost: t.test\r\nx-forwarded-for: 10.0.0.90\r\nconnection: close\r\n\r\n';
const R504 = 'HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 0\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n';

async function verdictOf(answerFirst: boolean): Promise<{ termination: string; status: number }> {
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  c.data(0, REQ, { at: 1.001 });
  c.ack(1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.0012);
  s.data(0, FWD, { at: 1.0013 });
  s.ack(1);
  if (answerFirst) {
    // timeout server fires at 2.0013: the 504 and the proxy's FIN to the client; the client's FIN
    // 1 ms later; the proxy's FIN to the server 2 ms after that (within 5 ms of the client's).
    c.data(1, R504, { at: 2.0013 });
    c.fin(1, { at: 2.00131 });
    c.fin(0, { at: 2.0023 });
    c.ack(1);
    s.fin(0, { at: 2.0043 });
  } else {
    // The client gives up at 1.5 without an answer; the proxy drops the server 1 ms later.
    c.fin(0, { at: 1.5 });
    s.fin(0, { at: 1.501 });
    c.fin(1, { at: 1.5011 });
    c.ack(0);
  }
  s.fin(1);
  s.ack(0);
  const legs = await legsOf(merge(c, s));
  const r = correlate(legs);
  assert.equal(r.sessions.length, 1);
  const session = r.sessions[0]!;
  assert.equal(session.serverLegs[0]?.source, '10.0.0.22:50000');
  const byId = new Map<string, Leg>(legs.map((l) => [l.id, l]));
  const [v] = inferHttpVerdicts(session, byId);
  assert.ok(v);
  return { termination: v.termination, status: v.status };
}

test('client closes after the proxy\'s 504, racing its close of the server leg: sH, 504', async () => {
  assert.deepEqual(await verdictOf(true), { termination: 'sH--', status: 504 });
});

test('client closes while waiting, the proxy drops the server at once: CH, -1', async () => {
  assert.deepEqual(await verdictOf(false), { termination: 'CH--', status: -1 });
});
