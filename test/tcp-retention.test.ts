/**
 * Delivered-but-unACKed bytes are only referenced in the reader's buffer until it is about to be
 * reused (Retention). These captures are larger than the reader's 1 MiB buffer, so the
 * retransmission is compared after the original's bytes had to be copied out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HalfStream } from '../src/tcp/half-stream.js';
import { converse, handshake, merge, runCapture } from './helpers/tcp-harness.js';

const A = 'AAAAAAAAAA';

/** Connection 1 sends 10 bytes, 1.5 MB of other traffic follows, then 1 retransmits `again`. */
async function retransmitAcrossRefill(again: string) {
  const one = handshake('10.0.0.1:40000', '10.0.0.9:80', 1000, 5000, { t0: 0 });
  one.data(0, A, { at: 0.01 });
  const filler = handshake('10.0.0.2:40001', '10.0.0.9:80', 7000, 9000, { t0: 0.02, step: 0.00001 });
  converse(filler, 100, 100, 15_000);
  one.data(0, again, { seq: 1001, at: 5 });
  one.ack(1, { at: 5.01 });
  const run = await runCapture(merge(one, filler));
  const r = run.conns.find((c) => c.client === '10.0.0.1:40000');
  assert.ok(r);
  assert.ok(run.stats.packets > 1000);
  return r;
}

test('a retransmission with other bytes is caught after the reader reused its buffer', async () => {
  const r = await retransmitAcrossRefill('XXXXXXXXXX');
  assert.equal(r.data[0].toString(), A);
  assert.deepEqual(r.retransmittedBytes, [10, 0]);
  assert.deepEqual(r.anomalies, { overlap_different_bytes: 1 });
});

test('a retransmission with the same bytes after the buffer was reused is no anomaly', async () => {
  const r = await retransmitAcrossRefill(A);
  assert.equal(r.data[0].toString(), A);
  assert.deepEqual(r.retransmittedBytes, [10, 0]);
  assert.deepEqual(r.anomalies, {});
});

test('kept bytes: references, copies and ACK trimming agree on what was delivered', () => {
  const h = new HalfStream();
  const src = new Uint8Array(64).map((_, i) => i);
  assert.equal(h.keep(0, src, 0, 10, 1024), true); // first reference: the owner must track it
  assert.equal(h.keep(10, src, 20, 10, 1024), false);
  assert.equal(h.keptMatches(5, src, 5, 5), true);
  assert.equal(h.keptMatches(10, src, 20, 10), true);
  assert.equal(h.keptMatches(10, src, 21, 10), false);
  h.materialize(1024);
  src.fill(0xee); // the reader reused its buffer
  const orig = new Uint8Array(64).map((_, i) => i);
  assert.equal(h.keptMatches(0, orig, 0, 10), true);
  assert.equal(h.keptMatches(10, orig, 20, 10), true);
  h.forgetBelow(15);
  assert.equal(h.keepStart, 15);
  assert.equal(h.keepLength, 5);
  assert.equal(h.keptMatches(15, orig, 25, 5), true);
  assert.equal(h.keptMatches(15, orig, 24, 5), false);
  h.forgetBelow(20);
  assert.equal(h.keepBuf, null);
  assert.equal(h.keepStart, 20);
});

test('a reset direction equals a new one', () => {
  const fresh = new HalfStream();
  const used = new HalfStream();
  used.keep(0, new Uint8Array(100), 0, 100, 1024);
  used.materialize(1024);
  Object.assign(used, { nextOffset: 77, packets: 9, finOffset: 50, state: 'closed', ooo: [], dupSec: 3, dupSeq: -5, flagSeqs: 2, isn32: 7, mss: 1460 });
  used.reset();
  assert.deepEqual({ ...used }, { ...fresh });
});
