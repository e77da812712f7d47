import { frameBytes } from '../src/capture/packet-record.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCapture } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { gzip, writePcap, writePcapng, writeTemp, type PcapRecordSpec } from './helpers/pcap-writer.js';

const data = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);
const rec = (tsSec: number, tsNsec: number, tag: number, size = 20): PcapRecordSpec => ({ tsSec, tsNsec, data: data(size, tag) });

test('merge of three files (pcap, pcapng, gzip pcap) by timestamp, ties by source order', async () => {
  const a = writePcap({ linkType: 1, nanosecond: true, records: [rec(10, 5, 1), rec(10, 7, 2), rec(12, 0, 3)] });
  const b = writePcapng({ sections: [{ interfaces: [{ linkType: 101, tsresol: 9 }], blocks: [rec(10, 6, 4), rec(10, 7, 5), rec(11, 999_999_999, 6)].map((r) => ({ type: 'epb' as const, interfaceId: 0, ...r })) }] });
  const c = gzip(writePcap({ linkType: 1, records: [rec(9, 0, 7), rec(10, 7000, 8), rec(13, 0, 9)] }));
  const sources = [
    await openCapture(writeTemp('a.pcap', a), 0),
    await openCapture(writeTemp('b.pcapng', b), 1),
    await openCapture(writeTemp('c.pcap.gz', c), 2),
  ];
  const got: [number, number, number, number, number][] = [];
  const { errors } = await readPackets(sources, (r) => got.push([r.source, r.tsSec, r.tsNsec, frameBytes(r)[0]!, r.linkType]));
  assert.deepEqual(errors, []);
  assert.deepEqual(got, [
    [2, 9, 0, 7, 1],
    [0, 10, 5, 1, 1],
    [1, 10, 6, 4, 101],
    [0, 10, 7, 2, 1], // tie with the next: source 0 first
    [1, 10, 7, 5, 101],
    [2, 10, 7000, 8, 1],
    [1, 11, 999_999_999, 6, 101],
    [0, 12, 0, 3, 1],
    [2, 13, 0, 9, 1],
  ]);
});

test('merge across chunk refills keeps global order and calls onChunk', async () => {
  // Two ~3 MiB files with interleaved timestamps: each needs several 1 MiB fills mid-merge.
  const mk = (odd: number) => writePcap({ linkType: 1, records: Array.from({ length: 3000 }, (_, i) => rec(1000 + i, odd * 1000, i & 0xff, 1000)) });
  const sources = [await openCapture(writeTemp('a.pcap', mk(1)), 0), await openCapture(writeTemp('b.pcap', mk(0)), 1)];
  let chunks = 0;
  const got: number[] = [];
  const { errors } = await readPackets(sources, (r) => got.push(r.tsSec * 10 + r.source), { onChunk: () => { chunks++; } });
  assert.deepEqual(errors, []);
  assert.equal(got.length, 6000);
  // Same second: source 1 (nsec 0) before source 0 (nsec 1000).
  assert.deepEqual(got, Array.from({ length: 3000 }, (_, i) => [(1000 + i) * 10 + 1, (1000 + i) * 10]).flat());
  assert.ok(chunks >= 6, `onChunk called ${chunks} times`);
});

test('a promise from onChunk is awaited before the next chunk is read (output backpressure)', async () => {
  // One ~3 MiB file: several 1 MiB fills. Each onChunk holds the reader for a macrotask; no
  // packet may be delivered while it is pending.
  const file = writeTemp('slow.pcap', writePcap({ linkType: 1, records: Array.from({ length: 3000 }, (_, i) => rec(1000 + i, 0, i & 0xff, 1000)) }));
  let pending = false;
  let during = 0;
  let waits = 0;
  let packets = 0;
  await readPackets([await openCapture(file, 0)], () => {
    packets++;
    if (pending) during++;
  }, {
    onChunk: () => {
      waits++;
      pending = true;
      return new Promise<void>((resolve) => setTimeout(() => {
        pending = false;
        resolve();
      }, 5));
    },
  });
  assert.equal(packets, 3000);
  assert.ok(waits >= 3, `onChunk called ${waits} times`);
  assert.equal(during, 0);
});

test('a failing source is dropped with its error, the others are read to the end', async () => {
  const good = writePcap({ linkType: 1, records: [rec(1, 0, 1), rec(3, 0, 2), rec(5, 0, 3)] });
  const bad = writePcap({ linkType: 1, records: [rec(2, 0, 4), rec(4, 0, 5, 100)] });
  const badFile = writeTemp('bad.pcap', bad.subarray(0, bad.length - 50));
  const sources = [await openCapture(writeTemp('good.pcap', good), 0), await openCapture(badFile, 1)];
  const got: [number, number][] = [];
  const { errors } = await readPackets(sources, (r) => got.push([r.source, r.tsSec]));
  assert.deepEqual(got, [[0, 1], [1, 2], [0, 3], [0, 5]]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, `${badFile}: at byte offset 60: truncated record: header says 100 bytes, file ends after 50`);
});

test('single source: a fault after good records keeps them delivered', async () => {
  const buf = writePcap({ linkType: 1, records: [rec(1, 0, 1), rec(2, 0, 2)] });
  buf.writeUInt32LE(0x7fffffff, 24 + 36 + 8);
  const src = await openCapture(writeTemp('x.pcap', buf), 0);
  const got: number[] = [];
  const { errors } = await readPackets([src], (r) => got.push(r.tsSec));
  assert.deepEqual(got, [1]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.offset, 60);
});

test('an exception from onPacket is not swallowed as a capture fault', async () => {
  const src = await openCapture(writeTemp('x.pcap', writePcap({ linkType: 1, records: [rec(1, 0, 1)] })), 0);
  await assert.rejects(readPackets([src], () => { throw new RangeError('consumer bug'); }), RangeError);
});

test('no sources: nothing delivered, no errors', async () => {
  let n = 0;
  assert.deepEqual(await readPackets([], () => n++), { errors: [] });
  assert.equal(n, 0);
});
