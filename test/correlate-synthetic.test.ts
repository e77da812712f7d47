/**
 * correlate() on hand-built captures (real pcap files through the whole pipeline) for what the
 * committed captures do not pin down: identical requests from two clients at the same moment,
 * identical requests from one client in sequence, identical requests under load (no pair the
 * skew tolerance alone allows, a new connection's first request), a proxy on several addresses,
 * PROXY headers deciding a tcp-mode pairing, and --proxy overrides.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate } from '../src/correlate/correlate.js';
import type { Session } from '../src/correlate/model.js';
import { conn, legsOf } from './helpers/synthetic-legs.js';
import { T0, merge, type Conversation } from './helpers/tcp-harness.js';

function get(host: string, extra = ''): string {
  return `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: synth/1\r\n${extra}\r\n`;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';

/** Request at `tq` (with the peer's ACK), response at `tr`. */
function exchange(c: Conversation, req: string, tq: number, resp: string, tr: number): void {
  c.data(0, req, { at: tq });
  c.ack(1);
  c.data(1, resp, { at: tr });
  c.ack(0);
}

function close(c: Conversation, at: number): void {
  c.fin(0, { at });
  c.fin(1);
  c.ack(0);
}

const sessionOf = (sessions: Session[], client: string): Session => {
  const s = sessions.find((x) => x.client === client);
  assert.ok(s, `no session for ${client}`);
  return s;
};

/** The server leg (source endpoint) carrying each exchange of a session. */
const sources = (s: Session): string[] => s.exchanges.map((e) => (e.serverLeg === null ? 'local' : s.serverLegs[e.serverLeg]!.source));

test('two clients, the identical request at the same moment: X-Forwarded-For decides', async () => {
  const a = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const b = conn('10.0.0.91:40001', '10.0.0.22:80', 1.000005);
  // The proxy serves b first; the responses come back in the other order.
  const sb = conn('10.0.0.22:50000', '10.0.0.2:80', 1.01005);
  const sa = conn('10.0.0.22:50001', '10.0.0.2:80', 1.01008);
  exchange(sb, get('example.test', 'X-Forwarded-For: 10.0.0.91\r\n'), 1.0102, OK, 1.0111);
  exchange(sa, get('example.test', 'X-Forwarded-For: 10.0.0.90\r\n'), 1.0103, OK, 1.0110);
  exchange(a, get('example.test'), 1.01, OK, 1.0115);
  exchange(b, get('example.test'), 1.010001, OK, 1.0112);
  for (const c of [a, b, sa, sb]) close(c, 1.02);
  const r = correlate(await legsOf(merge(a, b, sa, sb)));
  assert.deepEqual(r.proxies, [{ addresses: ['10.0.0.22'], listeners: ['10.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 2);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40000')), ['10.0.0.22:50001']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.91:40001')), ['10.0.0.22:50000']);
  for (const s of r.sessions) {
    assert.ok(s.serverLegs[0]!.evidence.includes('forwarded-for'));
    assert.deepEqual(s.exchanges[0]!.rewrites.request!.added, [['X-Forwarded-For', s.client.split(':')[0]!]]);
  }
  assert.deepEqual(r.serverOnlyConnections, []);
});

test('two connections of one client, the identical request at the same moment: served in order (FIFO)', async () => {
  const a = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const b = conn('10.0.0.90:40001', '10.0.0.22:80', 1.000005);
  const s1 = conn('10.0.0.22:50000', '10.0.0.2:80', 1.01005);
  const s2 = conn('10.0.0.22:50001', '10.0.0.2:80', 1.01008);
  exchange(s1, get('example.test'), 1.0102, OK, 1.011);
  exchange(s2, get('example.test'), 1.0103, OK, 1.0112);
  exchange(a, get('example.test'), 1.01, OK, 1.0111);
  exchange(b, get('example.test'), 1.010001, OK, 1.0113);
  for (const c of [a, b, s1, s2]) close(c, 1.02);
  const r = correlate(await legsOf(merge(a, b, s1, s2)));
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40000')), ['10.0.0.22:50000']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40001')), ['10.0.0.22:50001']);
  // Nothing rewritten, but connected after the request came: an http-mode proxy.
  assert.ok(r.sessions.every((s) => s.mode === 'http'));
  assert.deepEqual(r.sessions[0]!.exchanges[0]!.rewrites.request, {
    added: [], removed: [], changed: [], caseChanged: [], reordered: false, requestLine: null, body: 'same',
  });
});

test('one client, identical requests at once, delays that sum the same either way: first in, first served', async () => {
  // The timings of a real pair (captures/concurrent-identical, a re-run): HAProxy forwarded a's
  // request first and relayed s1's answer first. Paired crosswise, the forward plus relay delays
  // add up to the same total, and the single smallest one (a with s2) is a crossing pair.
  const a = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const b = conn('10.0.0.90:40001', '10.0.0.22:80', 1.000076);
  const s1 = conn('10.0.0.22:50000', '10.0.0.3:80', 1.002189);
  const s2 = conn('10.0.0.22:50001', '10.0.0.3:80', 1.002271);
  const xff = 'X-Forwarded-For: 10.0.0.90\r\n';
  exchange(s1, get('example.test', xff), 1.002217, OK, 1.004224);
  exchange(s2, get('example.test', xff), 1.002293, OK, 1.004543);
  exchange(a, get('example.test'), 1.002106, OK, 1.004763);
  exchange(b, get('example.test'), 1.00212, OK, 1.00489);
  for (const c of [a, b, s1, s2]) close(c, 1.006);
  const r = correlate(await legsOf(merge(a, b, s1, s2)));
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40000')), ['10.0.0.22:50000']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40001')), ['10.0.0.22:50001']);
  // Nothing but timing tells them apart: both pairings are flagged as uncertain.
  for (const s of r.sessions) assert.equal(s.serverLegs[0]!.confidence, 0.8);
});

test('four identical requests at once from one address over two servers, answered out of order: no crossing pairs', async () => {
  // Forwarded in arrival order (a b c d), two per server; web1 answers its second request first.
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => conn(`10.0.0.90:4000${i}`, '10.0.0.22:80', 1 + i * 0.00003));
  const legs = [0, 1, 2, 3].map((i) => conn(`10.0.0.22:5000${i}`, `10.0.0.${2 + (i % 2)}:80`, 1.00210 + i * 0.00008));
  const xff = 'X-Forwarded-For: 10.0.0.90\r\n';
  const answered = [1.0046, 1.0047, 1.0043, 1.0049];
  legs.forEach((l, i) => exchange(l, get('example.test', xff), 1.00213 + i * 0.00008, OK, answered[i]!));
  [a, b, c, d].forEach((x, i) => exchange(x!, get('example.test'), 1.0020 + i * 0.00001, OK, answered[i]! + 0.0002));
  for (const x of [a!, b!, c!, d!, ...legs]) close(x, 1.006);
  const r = correlate(await legsOf(merge(a!, b!, c!, d!, ...legs)));
  for (let i = 0; i < 4; i++) assert.deepEqual(sources(sessionOf(r.sessions, `10.0.0.90:4000${i}`)), [`10.0.0.22:5000${i}`], `client ${i}`);
});

test('identical POSTs of a keep-alive client and a new client, a loaded proxy: no pair forwarded or relayed backwards, a new connection carries the request it was opened for', async () => {
  // The times of three POSTs in bench.pcap (client 127.0.0.90:40877 and :34459, 07:57:25.09).
  // b's POST waits 4 ms for the connection s2 the proxy opens for it (SYN at 1.091136) and goes
  // out at 1.095399. Meanwhile a sends two POSTs on its keep-alive connection, both forwarded on
  // the reused connection s1. Crossing a's first POST with s2's request would have the proxy
  // relay s2's answer (1.096637) 1.65 ms before it came (a got its answer at 1.094984); pairing
  // a's second POST with s2 would give s2 a first request sent after it was opened.
  const post = (extra = ''): string => `POST /index.html HTTP/1.1\r\nHost: example.test\r\n${extra}Content-Length: 4\r\n\r\nqqqq`;
  const xff = 'X-Forwarded-For: 10.0.0.90\r\n';
  const POSTED = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone';
  const a = conn('10.0.0.90:40877', '10.0.0.22:80', 1.08);
  const b = conn('10.0.0.90:34459', '10.0.0.22:80', 1.087503);
  const s1 = conn('10.0.0.22:51716', '10.0.0.2:80', 1.084068);
  const s2 = conn('10.0.0.22:51730', '10.0.0.2:80', 1.091136);
  exchange(a, get('example.test'), 1.084, OK, 1.09068);
  exchange(s1, get('example.test', xff), 1.084136, OK, 1.090665);
  exchange(b, post(), 1.087521, POSTED, 1.096681);
  exchange(a, post(), 1.092802, POSTED, 1.094984);
  exchange(s1, post(xff), 1.093173, POSTED, 1.09497);
  exchange(a, post(), 1.095146, POSTED, 1.09698);
  exchange(s1, post(xff), 1.095179, POSTED, 1.096579);
  exchange(s2, post(xff), 1.095399, POSTED, 1.096637);
  for (const x of [a, b, s1, s2]) close(x, 1.2);
  const r = correlate(await legsOf(merge(a, b, s1, s2)));
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40877')), ['10.0.0.22:51716', '10.0.0.22:51716', '10.0.0.22:51716']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:34459')), ['10.0.0.22:51730']);
  assert.deepEqual(sessionOf(r.sessions, '10.0.0.90:40877').exchanges.map((e) => Math.round((e.forwardedAt! - T0) * 1e6)), [1084136, 1093173, 1095179]);
});

test('a request forwarded 0.2 ms before the client sent it (timestamp skew at most) loses to one forwarded 0.5 ms after', async () => {
  // b's header the proxy drops puts b's pairs below a's in the evidence order, so a is paired
  // first and nothing swaps afterwards: only the cost decides. s1's request precedes a's by
  // 0.2 ms and its answer is relayed 0.3 ms later (0.5 ms in all); s2's comes 0.5 ms after a's
  // and is relayed in 0.1 ms (0.6 ms): a goes with s2, and s1 (sent after b's request) with b.
  const xff = 'X-Forwarded-For: 10.0.0.90\r\n';
  const a = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const b = conn('10.0.0.90:40001', '10.0.0.22:80', 1.000005);
  const s1 = conn('10.0.0.22:50000', '10.0.0.2:80', 1.0097);
  const s2 = conn('10.0.0.22:50001', '10.0.0.2:80', 1.0104);
  exchange(b, get('example.test', 'Accept: */*\r\n'), 1.009, OK, 1.012);
  exchange(a, get('example.test'), 1.01, OK, 1.0119);
  exchange(s1, get('example.test', xff), 1.0098, OK, 1.0116);
  exchange(s2, get('example.test', xff), 1.0105, OK, 1.0118);
  for (const x of [a, b, s1, s2]) close(x, 1.02);
  const r = correlate(await legsOf(merge(a, b, s1, s2)));
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40000')), ['10.0.0.22:50001']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40001')), ['10.0.0.22:50000']);
});

test('HTTP through a tcp-mode proxy (connected on accept, bytes untouched): a tcp session', async () => {
  const c = conn('10.0.0.90:40000', '10.0.0.22:9000', 1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.00005);
  exchange(c, get('example.test'), 1.01, OK, 1.0106);
  exchange(s, get('example.test'), 1.0101, OK, 1.0105);
  close(c, 1.02);
  close(s, 1.0201);
  const r = correlate(await legsOf(merge(c, s)));
  assert.equal(r.sessions.length, 1);
  assert.equal(r.sessions[0]!.mode, 'tcp');
  assert.deepEqual(r.sessions[0]!.serverLegs.map((l) => [l.source, l.evidence]), [['10.0.0.22:50000', ['bytes', 'timing']]]);
});

test('identical requests from one keep-alive client in sequence, alternating over two server connections', async () => {
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const s1 = conn('10.0.0.23:50000', '10.0.0.2:80', 1.01002);
  const s2 = conn('10.0.0.23:50001', '10.0.0.3:80', 1.11002);
  const xff = 'X-Forwarded-For: 10.0.0.90\r\n';
  for (let i = 0; i < 6; i++) {
    const t = 1.01 + i * 0.1;
    exchange(i % 2 === 0 ? s1 : s2, get('example.test', xff), t + 0.0001, OK, t + 0.0005);
    exchange(c, get('example.test'), t, OK, t + 0.0006);
  }
  for (const x of [c, s1, s2]) close(x, 1.7);
  const r = correlate(await legsOf(merge(c, s1, s2)));
  assert.deepEqual(r.proxies, [{ addresses: ['10.0.0.22', '10.0.0.23'], listeners: ['10.0.0.22:80'] }]);
  assert.equal(r.sessions.length, 1);
  const s = r.sessions[0]!;
  assert.equal(s.exchanges.length, 6);
  assert.deepEqual(sources(s), ['10.0.0.23:50000', '10.0.0.23:50001', '10.0.0.23:50000', '10.0.0.23:50001', '10.0.0.23:50000', '10.0.0.23:50001']);
  // Each request paired with the one forwarded right after it, not a later identical one.
  s.exchanges.forEach((e, i) => assert.ok(Math.abs(e.forwardedAt! - (T0 + 1.01 + i * 0.1 + 0.0001)) < 1e-5, `#${i}`));
});

test('a proxy on three addresses: two listeners, server connections from a third', async () => {
  const convs: Conversation[] = [];
  let port = 50000;
  const clients = [['10.0.0.90:40000', '10.0.0.22:80'], ['10.0.0.91:40001', '10.0.0.24:8080']] as const;
  clients.forEach(([client, listener], k) => {
    const c = conn(client, listener, 1 + k * 0.5);
    for (let i = 0; i < 2; i++) {
      const t = 1.01 + k * 0.5 + i * 0.1;
      const s = conn(`10.0.0.23:${port++}`, '10.0.0.2:80', t + 0.00005);
      exchange(s, get('example.test', `X-Forwarded-For: ${client.split(':')[0]}\r\n`), t + 0.0001, OK, t + 0.0005);
      exchange(c, get('example.test'), t, OK, t + 0.0006);
      close(s, t + 0.001);
      convs.push(s);
    }
    close(c, 2 + k);
    convs.push(c);
  });
  const legs = await legsOf(merge(...convs));
  const r = correlate(legs);
  assert.deepEqual(r.proxies, [{ addresses: ['10.0.0.22', '10.0.0.23', '10.0.0.24'], listeners: ['10.0.0.22:80', '10.0.0.24:8080'] }]);
  assert.equal(r.sessions.length, 2);
  for (const s of r.sessions) {
    assert.equal(s.serverLegs.length, 2);
    assert.ok(s.serverLegs.every((l) => l.source.startsWith('10.0.0.23:')));
  }
  assert.equal(sessionOf(r.sessions, '10.0.0.91:40001').frontend, '10.0.0.24:8080');

  // --proxy naming one address: only its listener; the other listener's server legs are left over.
  const named = correlate(legs, { proxies: ['10.0.0.22'] });
  assert.deepEqual(named.proxies, [{ addresses: ['10.0.0.22', '10.0.0.23'], listeners: ['10.0.0.22:80'] }]);
  assert.equal(named.sessions.length, 1);
  assert.deepEqual(named.serverOnlyConnections.map((o) => o.kind), ['unpaired', 'unpaired']);
});

test('tcp mode: identical bytes from two clients at once, the PROXY headers decide', async () => {
  const a = conn('10.0.0.90:40000', '10.0.0.22:9000', 1);
  const b = conn('10.0.0.91:40001', '10.0.0.22:9000', 1.00001);
  // The proxy connects for b first, then a; both send "ping", the server echoes.
  const sb = conn('10.0.0.22:50000', '10.0.0.4:7', 1.00005);
  const sa = conn('10.0.0.22:50001', '10.0.0.4:7', 1.00006);
  sb.data(0, 'PROXY TCP4 10.0.0.91 10.0.0.22 40001 9000\r\n', { at: 1.0001 });
  sa.data(0, 'PROXY TCP4 10.0.0.90 10.0.0.22 40000 9000\r\n', { at: 1.0001 });
  a.data(0, 'ping', { at: 1.001 });
  b.data(0, 'ping', { at: 1.001001 });
  sb.data(0, 'ping', { at: 1.0011 });
  sa.data(0, 'ping', { at: 1.0012 });
  sb.data(1, 'ping', { at: 1.0013 });
  sa.data(1, 'ping', { at: 1.0014 });
  b.data(1, 'ping', { at: 1.0015 });
  a.data(1, 'ping', { at: 1.0016 });
  for (const c of [a, b, sa, sb]) close(c, 1.01);
  const r = correlate(await legsOf(merge(a, b, sa, sb)));
  assert.deepEqual(r.proxies, [{ addresses: ['10.0.0.22'], listeners: ['10.0.0.22:9000'] }]);
  for (const s of r.sessions) {
    assert.equal(s.mode, 'tcp');
    assert.equal(s.serverLegs.length, 1);
    const leg = s.serverLegs[0]!;
    assert.equal(leg.proxyProtocol?.source, s.client);
    assert.ok(leg.evidence.includes('proxy-protocol') && leg.evidence.includes('bytes'));
    assert.equal(leg.confidence, 1);
    // Byte-exact ledger, shifted by the PROXY header.
    const up = s.ledger.filter((l) => l.direction === 'clientToServer');
    assert.deepEqual(up.map((l) => [l.fromOffset, l.toOffset, l.length]), [[0, 43, 4]]);
  }
  assert.equal(sessionOf(r.sessions, '10.0.0.90:40000').serverLegs[0]!.source, '10.0.0.22:50001');
});

test('requests the proxy answered itself without a parsable request: 408 to silence, 400 to garbage', async () => {
  const ok = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const s = conn('10.0.0.22:50000', '10.0.0.2:80', 1.01005);
  exchange(s, get('example.test', 'X-Forwarded-For: 10.0.0.90\r\n'), 1.0101, OK, 1.0105);
  exchange(ok, get('example.test'), 1.01, OK, 1.0106);
  close(ok, 1.02);
  close(s, 1.021);
  const silent = conn('10.0.0.90:40001', '10.0.0.22:80', 2);
  silent.data(1, 'HTTP/1.1 408 Request Time-out\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', { at: 7 });
  close(silent, 7.001);
  const garbage = conn('10.0.0.90:40002', '10.0.0.22:80', 8);
  garbage.data(0, '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', { at: 8.001 });
  garbage.data(1, 'HTTP/1.1 400 Bad request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', { at: 8.002 });
  close(garbage, 8.003);
  const r = correlate(await legsOf(merge(ok, s, silent, garbage)));
  assert.equal(r.sessions.length, 3);
  for (const [client, status] of [['10.0.0.90:40001', 408], ['10.0.0.90:40002', 400]] as const) {
    const x = sessionOf(r.sessions, client);
    assert.equal(x.mode, 'http');
    assert.deepEqual(x.serverLegs, []);
    assert.deepEqual(x.exchanges.map((e) => [e.method, e.status, e.answeredLocally, e.serverLeg]), [['', status, true, null]]);
  }
});

test('chained proxies: two proxies; the middle connection is the first one\'s server leg and the second one\'s client leg', async () => {
  const c = conn('10.0.0.90:40000', '10.0.0.22:80', 1);
  const mid = conn('10.0.0.22:50000', '10.0.0.30:80', 1.01005);
  const s = conn('10.0.0.30:60000', '10.0.0.2:80', 1.0101);
  exchange(s, get('example.test', 'X-Forwarded-For: 10.0.0.90, 10.0.0.22\r\n'), 1.0102, OK, 1.0105);
  exchange(mid, get('example.test', 'X-Forwarded-For: 10.0.0.90\r\n'), 1.0101, OK, 1.0106);
  exchange(c, get('example.test'), 1.01, OK, 1.0107);
  for (const x of [c, mid, s]) close(x, 1.02);
  const r = correlate(await legsOf(merge(c, mid, s)));
  assert.deepEqual(r.proxies, [
    { addresses: ['10.0.0.22'], listeners: ['10.0.0.22:80'] },
    { addresses: ['10.0.0.30'], listeners: ['10.0.0.30:80'] },
  ]);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.90:40000')), ['10.0.0.22:50000']);
  assert.deepEqual(sources(sessionOf(r.sessions, '10.0.0.22:50000')), ['10.0.0.30:60000']);
  assert.deepEqual(r.serverOnlyConnections, []);
});

test('tcp mode: identical bytes from two clients at once, no PROXY header: accepted and connected in the same order (FIFO)', async () => {
  // a is accepted 10 µs before b; the proxy connects for a, then for b, each 30 µs after its
  // accept: b's accept is nearer to a's connect than a's own is, so nearest-in-time would swap them.
  const a = conn('10.0.0.90:40000', '10.0.0.22:9000', 1);
  const b = conn('10.0.0.91:40001', '10.0.0.22:9000', 1.00001);
  const sa = conn('10.0.0.22:50000', '10.0.0.4:7', 1.00005);
  const sb = conn('10.0.0.22:50001', '10.0.0.4:7', 1.00006);
  a.data(0, 'ping', { at: 1.001 });
  b.data(0, 'ping', { at: 1.001001 });
  sa.data(0, 'ping', { at: 1.0011 });
  sb.data(0, 'ping', { at: 1.0012 });
  sa.data(1, 'pong', { at: 1.0013 });
  sb.data(1, 'pong', { at: 1.0014 });
  a.data(1, 'pong', { at: 1.0015 });
  b.data(1, 'pong', { at: 1.0016 });
  for (const c of [a, b, sa, sb]) close(c, 1.01);
  const r = correlate(await legsOf(merge(a, b, sa, sb)));
  assert.deepEqual(r.sessions.map((s) => [s.client, s.serverLegs.map((l) => l.source)]).sort(), [
    ['10.0.0.90:40000', ['10.0.0.22:50000']],
    ['10.0.0.91:40001', ['10.0.0.22:50001']],
  ]);
});
