import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conversation, eventsOf, handshake, merge, runCapture, runOne } from './helpers/tcp-harness.js';

const C = '10.3.0.1:52000';
const S = '10.3.0.2:443';

test('port reuse: a new SYN with another ISN on a closed 4-tuple is a second connection', async () => {
  const first = handshake(C, S, 1000, 5000);
  first.data(0, 'one');
  first.data(1, 'ONE');
  first.close();
  const second = handshake(C, S, 900000, 7000, { t0: first.t + 0.5 });
  second.data(0, 'two!');
  second.data(1, 'TWO!');
  second.close();
  const run = await runCapture(merge(first, second));
  assert.equal(run.conns.length, 2);
  const [a, b] = run.conns as [typeof run.conns[0], typeof run.conns[0]];
  assert.deepEqual(run.order, ['open 1', 'close 1', 'open 2', 'close 2']);
  for (const [r, req, resp] of [[a, 'one', 'ONE'], [b, 'two!', 'TWO!']] as const) {
    assert.equal(r.client, C);
    assert.equal(r.server, S);
    assert.equal(r.state, 'SF');
    assert.equal(r.history, 'ShADdFf');
    assert.equal(r.data[0].toString(), req);
    assert.equal(r.data[1].toString(), resp);
    assert.equal(r.closes, 1);
    assert.deepEqual(r.packets, [5, 3]);
  }
  assert.equal(a.conn.half[0].isn, 1000);
  assert.equal(b.conn.half[0].isn, 900000);
  assert.equal(run.stats.tcp, 16);
});

test('the same frame captured twice within 1 ms counts once; a later identical copy is a retransmission', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const p = conv.data(0, 'hello');
  conv.repeat(p, 0.0005); // same frame, 0.5 ms later (e.g. seen on two interfaces)
  conv.ack(1);
  const q = conv.data(0, 'world');
  conv.repeat(q, 0.3); // identical bytes 300 ms later: a retransmission
  conv.ack(1);
  const run = await runCapture(conv.packets);
  const r = run.conns[0]!;
  assert.equal(r.data[0].toString(), 'helloworld');
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 5 },
    { kind: 'data', offset: 5, length: 5 },
  ]);
  assert.deepEqual(r.anomalies, { duplicate_frame: 1 });
  assert.equal(run.stats.duplicateFrames, 1);
  assert.equal(run.stats.tcp, 9);
  assert.deepEqual(r.packets, [5, 3]); // SYN, ACK, hello, world, world again; the duplicate is not a packet
  assert.deepEqual(r.retransmittedBytes, [5, 0]);
  assert.equal(r.packetCallbacks, 8);
  assert.equal(r.history, 'ShADaT');
});

test('keep-alive probes (seq = next - 1, 0 or 1 byte) are not data', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'abc');
  conv.ack(1);
  conv.send(0, 'A', '', { seq: 1003, dt: 60 }); // 0-byte keep-alive
  conv.ack(1);
  conv.send(0, 'A', 'c', { seq: 1003, dt: 60 }); // 1-byte keep-alive (the last byte again)
  conv.ack(1);
  conv.send(1, 'A', '\0', { seq: 5000, dt: 1 }); // server's 1-byte probe before it sent any data
  conv.data(0, 'def');
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'abcdef');
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 3 },
    { kind: 'data', offset: 3, length: 3 },
  ]);
  assert.deepEqual(eventsOf(r, 1), []);
  assert.deepEqual(r.keepAlives, [1, 1]);
  assert.deepEqual(r.retransmittedBytes, [0, 0]);
  assert.deepEqual(r.bytes, [6, 0]);
  assert.deepEqual(r.anomalies, {});
  assert.equal(r.state, 'S1');
});

test('zero-window advertisements: w (logarithmic), not after the peer has closed', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'upload');
  for (let i = 0; i < 10; i++) conv.ack(1, { window: 0, dt: 0.2 });
  conv.ack(1, { window: 8192 });
  conv.fin(0);
  conv.ack(1, { window: 0 }); // after the client's FIN: boring (Zeek)
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'ShADawwFf');
  assert.deepEqual(r.zeroWindows, [0, 10]);
  assert.equal(r.state, 'SF');
});

test('RST carrying data: the data is not delivered, rst_with_data', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'req');
  conv.ack(1);
  conv.send(1, 'RA', 'Connection reset: diagnostic text');
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), []);
  assert.equal(r.data[1].length, 0);
  assert.deepEqual(r.bytes, [3, 0]);
  assert.deepEqual(r.anomalies, { rst_with_data: 1 });
  assert.equal(r.history, 'ShADar');
  assert.equal(r.state, 'RSTR');
});

test('half-close: the server keeps sending after the client FIN, all delivered', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET /big');
  conv.fin(0);
  conv.ack(1);
  conv.data(1, 'part1-');
  conv.data(1, 'part2-');
  conv.data(1, 'end');
  conv.ack(0);
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'GET /big');
  assert.equal(r.data[1].toString(), 'part1-part2-end');
  assert.deepEqual(r.bytes, [8, 15]);
  assert.deepEqual(r.anomalies, {});
  assert.equal(r.history, 'ShADFadf');
  assert.equal(r.state, 'SF');
});

test('idle expiry by capture time: an idle connection is closed before a later one starts', async () => {
  const idle = handshake('10.3.0.1:52001', S, 1000, 5000);
  idle.data(0, 'first');
  const later = handshake('10.3.0.1:52002', S, 2000, 6000, { t0: 100 }); // 100 s of capture time later
  later.data(0, 'second');
  const run = await runCapture(merge(idle, later), { limits: { idleTimeout: 10 } });
  assert.deepEqual(run.order, ['open 1', 'close 1', 'open 2', 'close 2']);
  const [a, b] = run.conns as [typeof run.conns[0], typeof run.conns[0]];
  assert.deepEqual(a.anomalies, { expired_idle: 1 });
  assert.equal(a.state, 'S1');
  assert.equal(a.data[0].toString(), 'first');
  assert.deepEqual(b.anomalies, {}); // closed by the end of the capture, not by expiry
});

test('never by wall clock: connections of an old capture within the timeout are not expired', async () => {
  // T0 is in 2023: with the wall clock, everything would be long idle.
  const a = handshake('10.3.0.1:52003', S, 1000, 5000);
  a.data(0, 'a');
  const b = handshake('10.3.0.1:52004', S, 2000, 6000, { t0: 8 });
  b.data(0, 'b');
  const run = await runCapture(merge(a, b), { limits: { idleTimeout: 10 } });
  assert.deepEqual(run.order, ['open 1', 'open 2', 'close 1', 'close 2']);
  for (const r of run.conns) assert.deepEqual(r.anomalies, {});
});

test('expiryInterval: closed connections are looked at that often (analyze: 0.1 s), not once a second', async () => {
  const a = handshake('10.3.0.1:52010', S, 1000, 5000);
  a.data(0, 'a');
  a.close();
  const b = handshake('10.3.0.1:52011', S, 2000, 6000, { t0: 0.5 });
  b.data(0, 'b');
  const quick = await runCapture(merge(a, b), { limits: { closeLinger: 0.1, expiryInterval: 0.1 } });
  assert.deepEqual(quick.order, ['open 1', 'close 1', 'open 2', 'close 2']);
  // Once a second: 0.5 s later the closed connection still waits, past its linger.
  const slow = await runCapture(merge(a, b), { limits: { closeLinger: 0.1 } });
  assert.deepEqual(slow.order, ['open 1', 'open 2', 'close 1', 'close 2']);
  for (const r of [...quick.conns, ...slow.conns]) assert.deepEqual(r.anomalies, {});
  assert.deepEqual(quick.conns.map((r) => r.state), ['SF', 'S1']);
});

test('close is called exactly once per connection, for many kinds of endings', async () => {
  const convs: Conversation[] = [];
  let port = 40000;
  const next = (t0: number) => new Conversation(`10.3.1.1:${port++}`, S, 100 * port, 7 * port, { t0 });
  const sf = handshake(`10.3.1.1:${port++}`, S, 1, 2, { t0: 0 }); sf.data(0, 'x'); sf.close(); convs.push(sf);
  const rej = next(0.1); rej.syn(); rej.rst(1, { flags: 'RA', ack: rej.next[0] }); convs.push(rej);
  const s0 = next(0.2); s0.syn(); convs.push(s0);
  const rst = handshake(`10.3.1.1:${port++}`, S, 5, 6, { t0: 0.3 }); rst.rst(0); rst.rst(0); convs.push(rst);
  const mid = next(0.4); mid.data(1, 'zz'); convs.push(mid);
  const fin2 = handshake(`10.3.1.1:${port++}`, S, 8, 9, { t0: 0.5 }); fin2.close(); fin2.fin(0, { seq: 9, dt: 1 }); convs.push(fin2);
  const run = await runCapture(merge(...convs), { limits: { closeLinger: 0.5 } });
  // The FIN retransmitted 1 s after the close, past closeLinger, finds its connection completed:
  // it starts a 7th one of its own (a FIN from nowhere: SH, like Zeek).
  assert.equal(run.conns.length, 7);
  for (const r of run.conns) assert.equal(r.closes, 1, `connection ${r.id}`);
  assert.equal(run.order.filter((o) => o.startsWith('close')).length, 7);
  assert.deepEqual(run.conns.map((r) => r.state), ['SF', 'REJ', 'S0', 'RSTO', 'OTH', 'SF', 'SH']);
  assert.deepEqual(run.conns.map((r) => r.history), ['ShADFf', 'Sr', 'S', 'ShAR', '^d', 'ShAFf', 'F']);
  // Connection 6 completed (linger) before the stray FIN opened connection 7.
  assert.ok(run.order.indexOf('close 6') < run.order.indexOf('open 7'));
});

test('IPv6 connection: same semantics, endpoints as [v6]:port', async () => {
  const conv = handshake('[2001:db8::1]:51000', '[2001:db8::2]:443', 1000, 5000);
  conv.data(0, 'GET / HTTP/1.1\r\n\r\n');
  conv.ack(1);
  const b = conv.data(1, 'HTTP/1.1 204 No Content\r\n\r\n', { drop: true });
  conv.data(1, 'trailer');
  conv.repeat(b, 0.001); // out of order
  conv.ack(0);
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.client, '[2001:db8::1]:51000');
  assert.equal(r.server, '[2001:db8::2]:443');
  assert.equal(r.conn.ipVersion, 6);
  assert.equal(r.state, 'SF');
  assert.equal(r.history, 'ShADadFf');
  assert.equal(r.data[0].toString(), 'GET / HTTP/1.1\r\n\r\n');
  assert.equal(r.data[1].toString(), 'HTTP/1.1 204 No Content\r\n\r\ntrailer');
  assert.deepEqual(r.bytes, [18, 34]);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 27 },
    { kind: 'data', offset: 27, length: 7 },
  ]);
});

test('IPv6 midstream: server-first heuristics and port reuse work like IPv4', async () => {
  const mid = new Conversation('[fd00::10]:60000', '[fd00::1]:8080', 10, 20);
  mid.data(1, 'late');
  mid.ack(0);
  mid.send(0, 'R', '', { dt: 0.1 });
  const again = handshake('[fd00::10]:60000', '[fd00::1]:8080', 77777, 88888, { t0: 1 });
  again.data(0, 'new');
  const run = await runCapture(merge(mid, again));
  assert.equal(run.conns.length, 2);
  const [a, b] = run.conns as [typeof run.conns[0], typeof run.conns[0]];
  assert.equal(a.client, '[fd00::10]:60000');
  assert.equal(a.history, '^dAR');
  assert.equal(b.history, 'ShAD');
  assert.equal(b.data[0].toString(), 'new');
  assert.equal(b.state, 'S1');
});

test('IPv6 has no IP ID: a duplicate is recognised only with a TCP timestamp', async () => {
  const withTs = handshake('[2001:db8::1]:51001', '[2001:db8::2]:443', 1000, 5000);
  const p = withTs.data(0, 'hello', { options: { ts: [111, 222] } });
  withTs.repeat(p, 0.0005);
  const plain = handshake('[2001:db8::1]:51002', '[2001:db8::2]:443', 1000, 5000, { t0: 1 });
  const q = plain.data(0, 'hello');
  plain.repeat(q, 0.0005); // indistinguishable from a fast retransmission
  const run = await runCapture(merge(withTs, plain));
  const [a, b] = run.conns as [typeof run.conns[0], typeof run.conns[0]];
  assert.deepEqual(a.anomalies, { duplicate_frame: 1 });
  assert.deepEqual(a.retransmittedBytes, [0, 0]);
  assert.deepEqual(b.anomalies, {});
  assert.deepEqual(b.retransmittedBytes, [5, 0]);
  assert.equal(a.data[0].toString(), 'hello');
  assert.equal(b.data[0].toString(), 'hello');
  assert.equal(run.stats.duplicateFrames, 1);
});

test('table full: the least recently active connection is completed (once) to make room', async () => {
  const a = handshake('10.3.2.1:41000', S, 1, 2, { t0: 0 });
  const b = handshake('10.3.2.1:41001', S, 3, 4, { t0: 0.1 });
  a.data(0, 'a', { at: 0.15 }); // a is now more recently active than b
  const c = handshake('10.3.2.1:41002', S, 5, 6, { t0: 0.2 });
  const run = await runCapture(merge(a, b, c), { limits: { maxOpenConnections: 2 } });
  assert.equal(run.conns.length, 3);
  for (const r of run.conns) assert.equal(r.closes, 1);
  assert.deepEqual(run.order, ['open 1', 'open 2', 'close 2', 'open 3', 'close 1', 'close 3']);
  assert.deepEqual(run.conns.map((r) => r.anomalies), [{}, { evicted_table_full: 1 }, {}]);
  assert.equal(run.conns[0]!.data[0].toString(), 'a');
});
