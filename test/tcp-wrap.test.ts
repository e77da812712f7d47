import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conversation, converse, eventsOf, handshake, pattern, runOne } from './helpers/tcp-harness.js';

const C = '172.16.0.1:33000';
const S = '172.16.0.2:8443';

test('sequence numbers wrap 2^32 in the middle of both streams: seamless bytes and offsets', async () => {
  const conv = handshake(C, S, 0xfffffff0, 0xfffffffa);
  // Client data starts at 0xfffffff1: 15 bytes before the wrap, then on past it.
  const req = [pattern(10, 1), pattern(10, 2), pattern(10, 3)];
  for (const p of req) conv.data(0, p);
  conv.ack(1);
  // Server data starts at 0xfffffffb: 5 bytes before the wrap.
  const resp = [pattern(4, 4), pattern(4, 5), pattern(100, 6)];
  for (const p of resp) conv.data(1, p);
  conv.ack(0);
  conv.close();
  assert.equal(conv.next[0], ((0xfffffff0 + 1 + 30 + 1) >>> 0)); // really wrapped
  const r = await runOne(conv.packets);
  assert.deepEqual(r.data[0], Buffer.concat(req));
  assert.deepEqual(r.data[1], Buffer.concat(resp));
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 10 },
    { kind: 'data', offset: 10, length: 10 },
    { kind: 'data', offset: 20, length: 10 },
  ]);
  assert.deepEqual(eventsOf(r, 1), [
    { kind: 'data', offset: 0, length: 4 },
    { kind: 'data', offset: 4, length: 4 },
    { kind: 'data', offset: 8, length: 100 },
  ]);
  assert.deepEqual(r.bytes, [30, 108]);
  assert.deepEqual(r.missedBytes, [0, 0]);
  assert.deepEqual(r.retransmittedBytes, [0, 0]);
  assert.equal(r.state, 'SF');
  assert.equal(r.history, 'ShADadFf');
});

test('ISN 0xffffffff: the first data byte is at sequence 0', async () => {
  const conv = handshake(C, S, 0xffffffff, 0xffffffff);
  conv.data(0, 'abc');
  conv.data(1, 'defgh');
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'abc');
  assert.equal(r.data[1].toString(), 'defgh');
  assert.deepEqual(r.bytes, [3, 5]);
  assert.equal(r.state, 'SF');
});

test('reordering, retransmission and an ACKed gap across the wrap', async () => {
  const conv = handshake(C, S, 0xffffffe0, 7);
  // Offsets [0,20) [20,40) [40,60) [60,80); the wrap is at offset 31.
  const segs = [pattern(20, 1), pattern(20, 2), pattern(20, 3), pattern(20, 4)];
  conv.data(0, segs[0]!);
  const s1 = conv.data(0, segs[1]!, { drop: true }); // straddles the wrap, arrives late
  const s2 = conv.data(0, segs[2]!); // after the wrap, held
  conv.repeat(s1, 0.001);
  conv.repeat(s2, 0.2); // retransmission of post-wrap bytes
  conv.data(0, segs[3]!, { drop: true }); // never captured ...
  conv.ack(1); // ... but ACKed
  conv.data(0, 'tail');
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 20 },
    { kind: 'data', offset: 20, length: 20 },
    { kind: 'data', offset: 40, length: 20 },
    { kind: 'gap', offset: 60, length: 20, reason: 'not_captured' },
    { kind: 'data', offset: 80, length: 4 },
  ]);
  assert.deepEqual(r.data[0], Buffer.concat([segs[0]!, segs[1]!, segs[2]!, Buffer.from('tail')]));
  assert.deepEqual(r.retransmittedBytes, [20, 0]);
  assert.deepEqual(r.missedBytes, [20, 0]);
  assert.deepEqual(r.bytes, [84, 0]);
});

test('a long conversation wrapping in the server direction stays byte-exact', async () => {
  // 40 rounds x 3000 response bytes = 120000 bytes from ISN 2^32 - 50000: wraps in round ~17.
  const conv = handshake(C, S, 123456, 0x100000000 - 50000);
  converse(conv, 40, 50, 3000);
  conv.close();
  const r = await runOne(conv.packets);
  assert.deepEqual(r.data[0], conv.sentBytes(0));
  assert.deepEqual(r.data[1], conv.sentBytes(1));
  assert.deepEqual(r.bytes, [2000, 120000]);
  assert.deepEqual(r.missedBytes, [0, 0]);
  assert.equal(r.state, 'SF');
  assert.equal(r.history, 'ShADadFf');
});

test('midstream connection whose first packet sits just below the wrap', async () => {
  const conv = new Conversation(C, S, 0xfffffffe, 0x7fffffff);
  conv.data(0, 'xyz1234');
  conv.ack(1);
  conv.data(0, 'after');
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'xyz1234after');
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 7 },
    { kind: 'data', offset: 7, length: 5 },
  ]);
});
