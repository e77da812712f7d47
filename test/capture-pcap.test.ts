import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCapture, linkTypeName } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { type PacketRecord, frameBytes } from '../src/capture/packet-record.js';
import { writePcap, writeTemp, type PcapRecordSpec } from './helpers/pcap-writer.js';

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);
}

/** Reads a whole file, copying each record (the reader reuses its record object). */
async function readAll(file: string): Promise<{ recs: (PacketRecord & { data: Uint8Array })[]; info: import('../src/capture/packet-record.js').CaptureInfo }> {
  const src = await openCapture(file, 0);
  const recs: (PacketRecord & { data: Uint8Array })[] = [];
  const { errors } = await readPackets([src], (r) => recs.push({ ...r, data: Uint8Array.from(frameBytes(r)) }));
  assert.deepEqual(errors, []);
  return { recs, info: src.info };
}

const RECORDS: PcapRecordSpec[] = [
  { tsSec: 1700000000, tsNsec: 123456000, data: bytes(60, 1) },
  { tsSec: 1700000001, tsNsec: 0, data: bytes(1514, 2), origLen: 1514 },
  { tsSec: 1700000001, tsNsec: 999999000, data: bytes(96, 3), origLen: 3000 },
  { tsSec: 4294967295, tsNsec: 1000, data: bytes(0, 4) },
];

for (const nanosecond of [false, true]) {
  for (const bigEndian of [false, true]) {
    test(`pcap ${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian round-trips`, async () => {
      const recs = nanosecond ? RECORDS.map((r, i) => ({ ...r, tsNsec: r.tsNsec + i * 7 })) : RECORDS;
      const file = writeTemp('a.pcap', writePcap({ linkType: 1, nanosecond, bigEndian, records: recs }));
      const { recs: got, info } = await readAll(file);
      assert.equal(got.length, 4);
      let offset = 24;
      got.forEach((g, i) => {
        const want = recs[i]!;
        assert.equal(g.tsSec, want.tsSec);
        assert.equal(g.tsNsec, want.tsNsec);
        assert.deepEqual(g.data, want.data);
        assert.equal(g.origLen, want.origLen ?? want.data.length);
        assert.equal(g.linkType, 1);
        assert.equal(g.interfaceId, 0);
        assert.equal(g.source, 0);
        assert.equal(g.fileOffset, offset);
        offset += 16 + want.data.length;
      });
      assert.equal(info.format, 'pcap');
      assert.equal(info.compressed, null);
      assert.deepEqual(info.linkTypes, ['EN10MB']);
      assert.equal(info.packets, 4);
      assert.equal(info.bytesRead, offset);
      assert.equal(info.sizeOnDisk, offset);
      assert.equal(info.diskBytesRead, offset);
    });
  }
}

test('pcap link type: FCS bits in the upper field are masked off', async () => {
  // F bit (bit 28) set with an FCS length of 4 bytes (2 words) in bits 29-31.
  const file = writeTemp('fcs.pcap', writePcap({ linkType: 0x50000000 | 105, records: [{ tsSec: 1, tsNsec: 0, data: bytes(30, 1) }] }));
  const { recs, info } = await readAll(file);
  assert.equal(recs[0]!.linkType, 105);
  assert.deepEqual(info.linkTypes, ['IEEE802_11']);
});

test('pcap: microseconds >= 10^6 are carried into the seconds and counted', async () => {
  const buf = writePcap({ linkType: 1, records: [{ tsSec: 10, tsNsec: 0, data: bytes(20, 1) }, { tsSec: 20, tsNsec: 5000, data: bytes(20, 2) }] });
  buf.writeUInt32LE(2_500_000, 24 + 4); // first record: 2.5 s in the µs field
  const { recs, info } = await readAll(writeTemp('odd.pcap', buf));
  assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec]), [[12, 500_000_000], [20, 5000]]);
  assert.equal(info.normalisedTimestamps, 1);
});

test('pcap: caplen slightly above origLen is tolerated, origLen raised to caplen', async () => {
  const file = writeTemp('o.pcap', writePcap({ linkType: 1, records: [{ tsSec: 1, tsNsec: 0, data: bytes(64, 1), origLen: 60 }] }));
  const { recs } = await readAll(file);
  assert.equal(recs[0]!.data.length, 64);
  assert.equal(recs[0]!.origLen, 64);
});

test('pcap: records straddling 1 MiB chunks and one record larger than the chunk', async () => {
  // 3 MiB of odd-sized records so boundaries fall inside headers and bodies, plus a 5 MiB frame.
  const recs: PcapRecordSpec[] = [];
  for (let i = 0; i < 3000; i++) recs.push({ tsSec: i, tsNsec: i * 1000, data: bytes(1000 + (i % 37), i) });
  recs.splice(1500, 0, { tsSec: 99999, tsNsec: 0, data: bytes(5 * 1024 * 1024, 9) });
  const file = writeTemp('big.pcap', writePcap({ linkType: 1, snaplen: 8 * 1024 * 1024, records: recs }));
  const { recs: got } = await readAll(file);
  assert.equal(got.length, 3001);
  for (let i = 0; i < got.length; i++) {
    assert.equal(got[i]!.tsSec, recs[i]!.tsSec);
    assert.equal(got[i]!.data.length, recs[i]!.data.length);
  }
  assert.deepEqual(got[1500]!.data, recs[1500]!.data);
  assert.deepEqual(got[2999]!.data, recs[2999]!.data);
});

test('linkTypeName knows the common types and names the rest by number', () => {
  assert.equal(linkTypeName(1), 'EN10MB');
  assert.equal(linkTypeName(0), 'NULL');
  assert.equal(linkTypeName(108), 'LOOP');
  assert.equal(linkTypeName(101), 'RAW');
  assert.equal(linkTypeName(228), 'IPV4');
  assert.equal(linkTypeName(229), 'IPV6');
  assert.equal(linkTypeName(113), 'LINUX_SLL');
  assert.equal(linkTypeName(276), 'LINUX_SLL2');
  assert.equal(linkTypeName(105), 'IEEE802_11');
  assert.equal(linkTypeName(4242), 'LINKTYPE_4242');
});

test('an unknown link type is not a capture error', async () => {
  const file = writeTemp('u.pcap', writePcap({ linkType: 4242, records: [{ tsSec: 5, tsNsec: 0, data: bytes(10, 1) }] }));
  const { recs, info } = await readAll(file);
  assert.equal(recs[0]!.linkType, 4242);
  assert.deepEqual(info.linkTypes, ['LINKTYPE_4242']);
});
