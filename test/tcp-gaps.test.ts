import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsOf, handshake, pattern, runOne } from './helpers/tcp-harness.js';

const C = '10.2.0.1:45000';
const S = '10.2.0.2:8080';
const A10 = 'aaaaaaaaaa';
const B10 = 'bbbbbbbbbb';
const C10 = 'cccccccccc';

test('segment missing from the capture but ACKed (ACK after the next segment): not_captured gap, G', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.data(0, B10, { drop: true });
  conv.data(0, C10); // held until the ACK proves the hole was received
  conv.ack(1); // ACKs 30
  conv.close();
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'not_captured' },
    { kind: 'data', offset: 20, length: 10 },
  ]);
  assert.equal(r.data[0].toString(), A10 + C10);
  assert.deepEqual(r.missedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [30, 0]);
  // Like Zeek, the ACK's own letter (a) comes before the gap it reveals (G).
  assert.equal(r.history, 'ShADaGFf');
  assert.equal(r.state, 'SF');
});

test('server-side segment ACKed before the next one arrives: not_captured gap, lower-case g', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET');
  conv.data(1, pattern(100, 1));
  conv.data(1, pattern(50, 2), { drop: true }); // offsets [100,150)
  conv.ack(0); // client ACKs 150
  conv.data(1, pattern(25, 3)); // [150,175): the hole below it is known ACKed
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 100 },
    { kind: 'gap', offset: 100, length: 50, reason: 'not_captured' },
    { kind: 'data', offset: 150, length: 25 },
  ]);
  assert.deepEqual(r.data[1], Buffer.concat([pattern(100, 1), pattern(25, 3)]));
  assert.deepEqual(r.missedBytes, [0, 50]);
  assert.deepEqual(r.bytes, [3, 175]);
  assert.equal(r.history, 'ShADdg');
});

test('hole never ACKed before the end of the capture: unacknowledged gap at close', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.ack(1); // ACKs 10
  conv.data(0, B10, { drop: true });
  conv.data(0, C10);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'unacknowledged' },
    { kind: 'data', offset: 20, length: 10 },
  ]);
  assert.deepEqual(r.missedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [30, 0]);
});

test('hole partly ACKed: split into not_captured and unacknowledged at close', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.data(0, B10, { drop: true }); // [10,20)
  conv.data(0, C10, { drop: true }); // [20,30)
  conv.ack(1, { ack: 1001 + 20 }); // receiver got up to 20
  conv.data(0, 'dddddddddd'); // [30,40) held
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'not_captured' },
    { kind: 'gap', offset: 20, length: 10, reason: 'unacknowledged' },
    { kind: 'data', offset: 30, length: 10 },
  ]);
  assert.deepEqual(r.missedBytes, [20, 0]);
});

test('frame cut by the snap length: the captured part, then a snaplen gap of the rest', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const big = pattern(100, 7);
  // Ethernet 14 + IPv4 20 + TCP 20 = 54 header bytes: keep 40 payload bytes.
  conv.data(0, big, { snap: 54 + 40 });
  conv.data(0, 'next');
  conv.ack(1);
  conv.close();
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 40 },
    { kind: 'gap', offset: 40, length: 60, reason: 'snaplen' },
    { kind: 'data', offset: 100, length: 4 },
  ]);
  assert.deepEqual(r.data[0], Buffer.concat([big.subarray(0, 40), Buffer.from('next')]));
  assert.deepEqual(r.missedBytes, [60, 0]);
  assert.deepEqual(r.bytes, [104, 0]);
  assert.equal(r.state, 'SF');
});

test('snap length cutting a held out-of-order segment', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const second = pattern(30, 8);
  const p1 = conv.data(0, A10, { drop: true });
  conv.data(0, second, { snap: 54 + 12 }); // [10,40), only 12 bytes captured, held
  conv.repeat(p1, 0.001);
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'data', offset: 10, length: 12 },
    { kind: 'gap', offset: 22, length: 18, reason: 'snaplen' },
  ]);
  assert.deepEqual(r.bytes, [40, 0]);
});

test('ACKed tail never captured: not_captured gap at close, FIN offset respected', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.data(0, B10, { drop: true }); // [10,20), never captured
  conv.fin(0); // FIN at offset 20
  conv.ack(1); // ACKs 20 and the FIN
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'not_captured' },
  ]);
  assert.deepEqual(r.missedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [20, 0]);
  assert.equal(r.state, 'SF');
});

test('ACKed tail without FIN, connection left open: not_captured gap at the end', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(1, pattern(30, 1));
  conv.data(1, pattern(70, 2), { drop: true });
  conv.ack(0); // ACKs 100
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 30 },
    { kind: 'gap', offset: 30, length: 70, reason: 'not_captured' },
  ]);
  assert.deepEqual(r.bytes, [0, 100]);
  assert.deepEqual(r.missedBytes, [0, 70]);
  assert.equal(r.state, 'S1');
});

test('hole before a FIN that is never ACKed: the FIN proves the bytes were sent (unacknowledged gap)', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.ack(1);
  conv.data(0, B10, { drop: true }); // [10,20)
  conv.fin(0, { ack: 5001 }); // FIN at offset 20, the capture ends before any ACK
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'unacknowledged' },
  ]);
  assert.deepEqual(r.missedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [20, 0]);
});

test('data beyond the FIN is not delivered (data_after_fin)', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'abc');
  conv.fin(0);
  conv.data(0, 'late', { seq: 1001 + 3 + 1 }); // after the FIN's sequence number
  conv.ack(1);
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'abc');
  assert.deepEqual(r.bytes, [3, 0]);
  assert.deepEqual(r.anomalies, { data_after_fin: 1 });
  assert.equal(r.state, 'SF');
});

test('FIN on a frame cut by the snap length: the cut bytes are a snaplen gap, the FIN is not a byte', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET');
  conv.ack(1);
  const big = pattern(100, 9);
  conv.send(1, 'FPA', big, { snap: 54 + 30 }); // [0,100), FIN at 100; only 30 bytes captured
  conv.ack(0); // ACKs 101: the data and the FIN
  conv.fin(0);
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 30 },
    { kind: 'gap', offset: 30, length: 70, reason: 'snaplen' },
  ]);
  assert.deepEqual(r.bytes, [3, 100]);
  assert.deepEqual(r.missedBytes, [0, 70]);
  assert.equal(r.state, 'SF');
});

test('FIN missing from the capture: ACKed one past the data, the peer closes too: the FIN, not a byte', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET');
  conv.ack(1);
  conv.data(1, pattern(20, 4));
  conv.fin(1, { drop: true }); // the server's FIN, never captured
  conv.ack(0); // the client ACKs 21: the data and the FIN
  conv.fin(0);
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), [{ kind: 'data', offset: 0, length: 20 }]);
  assert.deepEqual(r.bytes, [3, 20]);
  assert.deepEqual(r.missedBytes, [0, 0]);
  assert.equal(r.state, 'SF');
  assert.deepEqual(r.anomalies, { fin_not_captured: 1 });
});

test('one byte past the data ACKed but the peer never closes: a byte not captured, not a FIN', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET');
  conv.ack(1);
  conv.data(1, pattern(20, 4));
  conv.data(1, 'x', { drop: true }); // a 1-byte write, never captured
  conv.ack(0); // ACKs 21
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 20 },
    { kind: 'gap', offset: 20, length: 1, reason: 'not_captured' },
  ]);
  assert.deepEqual(r.bytes, [3, 21]);
  assert.deepEqual(r.anomalies, {});
});
