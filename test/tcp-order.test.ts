import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsOf, handshake, merge, runCapture, runOne, type ConnResult } from './helpers/tcp-harness.js';

const C = '10.1.0.1:50000';
const S = '10.1.0.2:80';
const A10 = 'aaaaaaaaaa';
const B10 = 'bbbbbbbbbb';
const C10 = 'cccccccccc';

test('out-of-order segments are delivered in order, each at its offset, held ones with their arrival time', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10); // t=0.004
  const b = conv.data(0, B10, { drop: true });
  conv.data(0, C10); // t=0.006, held
  conv.repeat(b, 0.001); // B arrives at t=0.007
  conv.ack(1);
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), A10 + B10 + C10);
  assert.deepEqual(r.events.filter((e) => e.dir === 0), [
    { kind: 'data', dir: 0, offset: 0, length: 10, ts: 0.004 },
    { kind: 'data', dir: 0, offset: 10, length: 10, ts: 0.007 },
    { kind: 'data', dir: 0, offset: 20, length: 10, ts: 0.006 },
  ]);
  assert.deepEqual(r.retransmittedBytes, [0, 0]);
  assert.deepEqual(r.missedBytes, [0, 0]);
  assert.deepEqual(r.bytes, [30, 0]);
  assert.equal(r.history, 'ShADaFf');
  assert.equal(r.state, 'SF');
});

test('reordering across several holes, filled last to first', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const segs = ['0123', '4567', '89AB', 'CDEF', 'GHIJ'];
  const pkts = segs.map((p) => conv.data(0, p, { drop: true }));
  for (const i of [4, 2, 0, 3, 1]) conv.repeat(pkts[i]!, 0.001);
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), segs.join(''));
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 4 },
    { kind: 'data', offset: 4, length: 4 },
    { kind: 'data', offset: 8, length: 4 },
    { kind: 'data', offset: 12, length: 4 },
    { kind: 'data', offset: 16, length: 4 },
  ]);
  assert.deepEqual(r.retransmittedBytes, [0, 0]);
});

test('a retransmission is delivered once and counted once (retransmittedBytes, T)', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  const b = conv.data(0, B10);
  conv.repeat(b, 0.2); // RTO: same bytes, new IP ID would be nicer but the copy is 200 ms later
  conv.ack(1);
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), A10 + B10);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'data', offset: 10, length: 10 },
  ]);
  assert.deepEqual(r.retransmittedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [20, 0]);
  assert.equal(r.history, 'ShADTaFf');
  assert.deepEqual(r.anomalies, {});
  assert.equal(r.packets[0], 7);
});

test('t is logarithmic: the 1st and the 10th retransmission write a letter, not the others', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.ack(1); // a (before any retransmission)
  conv.data(1, 'response-bytes');
  for (let i = 0; i < 12; i++) conv.data(1, 'response-bytes', { seq: 5001, dt: 0.3 });
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'ShAadtt');
  assert.deepEqual(r.retransmittedBytes, [0, 12 * 14]);
  assert.equal(r.data[1].toString(), 'response-bytes');
});

test('partial overlap: only the new tail is delivered, the overlap counts as retransmitted', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const all = '0123456789ABCDEFGHIJ';
  conv.data(0, all.slice(0, 10));
  conv.data(0, all.slice(5, 15), { seq: 1006 });
  conv.data(0, all.slice(15, 20), { seq: 1016 });
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), all);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'data', offset: 10, length: 5 },
    { kind: 'data', offset: 15, length: 5 },
  ]);
  assert.deepEqual(r.retransmittedBytes, [5, 0]);
  assert.deepEqual(r.bytes, [20, 0]);
});

test('partial overlap between out-of-order segments', async () => {
  const conv = handshake(C, S, 1000, 5000);
  const all = '0123456789ABCDEFGHIJKLMNO';
  conv.data(0, all.slice(0, 5)); // [0,5)
  conv.data(0, all.slice(15, 25), { seq: 1016 }); // [15,25) held
  conv.data(0, all.slice(10, 20), { seq: 1011 }); // [10,20) held, overlaps [15,20)
  conv.data(0, all.slice(5, 10), { seq: 1006 }); // fills the hole
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), all);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 5 },
    { kind: 'data', offset: 5, length: 5 },
    { kind: 'data', offset: 10, length: 5 },
    { kind: 'data', offset: 15, length: 10 },
  ]);
  assert.deepEqual(r.retransmittedBytes, [5, 0]);
  assert.deepEqual(r.anomalies, {});
});

test('in-order segment running into a held one: the held (first) copy wins for the overlap', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10); // [0,10)
  conv.data(0, C10, { seq: 1021 }); // [20,30) held
  conv.data(0, B10 + 'ZZZZZ', { seq: 1011 }); // [10,25): [20,25) differs from the held copy
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), A10 + B10 + C10);
  assert.deepEqual(r.retransmittedBytes, [5, 0]);
  assert.deepEqual(r.anomalies, { overlap_different_bytes: 1 });
  assert.deepEqual(r.bytes, [30, 0]);
});

test('retransmission with different bytes over delivered data: first copy wins, overlap_different_bytes', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.data(0, 'XXXXXXXXXX', { seq: 1001, dt: 0.2 }); // not yet ACKed: compared with the kept bytes
  conv.data(0, A10, { seq: 1001, dt: 0.2 }); // same bytes again: no new anomaly
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), A10);
  assert.deepEqual(eventsOf(r, 0), [{ kind: 'data', offset: 0, length: 10 }]);
  assert.deepEqual(r.retransmittedBytes, [20, 0]);
  assert.deepEqual(r.anomalies, { overlap_different_bytes: 1 });
});

test('overlap with different bytes over held out-of-order data: first copy wins', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10);
  conv.data(0, C10, { seq: 1021 }); // held
  conv.data(0, 'ZZZZZZZZZZ', { seq: 1021 }); // different copy of the held bytes
  conv.data(0, B10, { seq: 1011 });
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), A10 + B10 + C10);
  assert.deepEqual(r.retransmittedBytes, [10, 0]);
  assert.deepEqual(r.anomalies, { overlap_different_bytes: 1 });
});

test('out-of-order beyond the buffer bound: the hole becomes a gap, later data flows', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, A10); // [0,10)
  conv.data(0, B10, { drop: true }); // [10,20) never captured, never ACKed
  conv.data(0, C10); // held: 10 bytes
  conv.data(0, 'dddddddddd'); // held: 20 bytes (at the bound, not over it)
  conv.data(0, 'eeeeeeeeee'); // 30 bytes > 20: give up on the hole
  conv.data(0, 'ffffffffff'); // in order again
  conv.ack(1);
  const r = await runOne(conv.packets, { limits: { maxBufferedBytesPerDirection: 20 } });
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'unacknowledged' },
    { kind: 'data', offset: 20, length: 10 },
    { kind: 'data', offset: 30, length: 10 },
    { kind: 'data', offset: 40, length: 10 },
    { kind: 'data', offset: 50, length: 10 },
  ]);
  assert.equal(r.data[0].toString(), A10 + C10 + 'dddddddddd' + 'eeeeeeeeee' + 'ffffffffff');
  assert.deepEqual(r.anomalies, { reassembly_buffer_overflow: 1 });
  assert.deepEqual(r.missedBytes, [10, 0]);
  assert.deepEqual(r.bytes, [60, 0]);
  assert.equal(r.history, 'ShADGa');
});

test('the total out-of-order bound applies across connections', async () => {
  const one = handshake('10.1.0.1:50001', S, 1000, 5000);
  one.data(0, A10);
  one.data(0, B10, { drop: true });
  one.data(0, C10); // 10 held
  one.data(0, 'dddddddddd'); // 20 held in connection 1
  const two = handshake('10.1.0.1:50002', S, 1000, 5000, { t0: 1 });
  two.data(0, A10);
  two.data(0, B10, { drop: true });
  two.data(0, C10); // 30 held in total > 25: connection 2 gives up its hole
  two.data(0, 'eeeee');
  const run = await runCapture(merge(one, two), { limits: { maxBufferedBytesTotal: 25 } });
  const [r1, r2] = run.conns as [ConnResult, ConnResult];
  assert.deepEqual(r2.anomalies, { reassembly_buffer_overflow: 1 });
  assert.deepEqual(eventsOf(r2, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'unacknowledged' },
    { kind: 'data', offset: 20, length: 10 },
    { kind: 'data', offset: 30, length: 5 },
  ]);
  // Connection 1 kept its data held until the end of the capture, then gave up its hole.
  assert.deepEqual(r1.anomalies, {});
  assert.deepEqual(eventsOf(r1, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'gap', offset: 10, length: 10, reason: 'unacknowledged' },
    { kind: 'data', offset: 20, length: 10 },
    { kind: 'data', offset: 30, length: 10 },
  ]);
});
