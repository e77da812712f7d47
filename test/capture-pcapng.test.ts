import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCapture } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { type CaptureInfo, type PacketRecord, frameBytes } from '../src/capture/packet-record.js';
import { timeBase, toTime } from '../src/capture/pcapng-time.js';
import { toTicks, writePcapng, writeTemp, type PcapngBlockSpec } from './helpers/pcap-writer.js';

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed * 5) & 0xff);
}

async function readAll(buf: Buffer): Promise<{ recs: (PacketRecord & { data: Uint8Array })[]; info: CaptureInfo }> {
  const src = await openCapture(writeTemp('t.pcapng', buf), 0);
  const recs: (PacketRecord & { data: Uint8Array })[] = [];
  const { errors } = await readPackets([src], (r) => recs.push({ ...r, data: Uint8Array.from(frameBytes(r)) }));
  assert.deepEqual(errors, []);
  return { recs, info: src.info };
}

const epb = (interfaceId: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): PcapngBlockSpec =>
  origLen === undefined ? { type: 'epb', interfaceId, tsSec, tsNsec, data } : { type: 'epb', interfaceId, tsSec, tsNsec, data, origLen };

for (const bigEndian of [false, true]) {
  test(`pcapng ${bigEndian ? 'big' : 'little'}-endian EPB round-trips (default µs resolution)`, async () => {
    const d = [bytes(60, 1), bytes(1, 2), bytes(1514, 3)];
    const buf = writePcapng({
      sections: [{ bigEndian, interfaces: [{ linkType: 1, snaplen: 65535 }], blocks: [epb(0, 1700000000, 123456000, d[0]!), epb(0, 1700000000, 999999000, d[1]!, 200), epb(0, 1700000002, 0, d[2]!)] }],
    });
    const { recs, info } = await readAll(buf);
    assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec, r.origLen, r.linkType, r.interfaceId]), [
      [1700000000, 123456000, 60, 1, 0],
      [1700000000, 999999000, 200, 1, 0],
      [1700000002, 0, 1514, 1, 0],
    ]);
    recs.forEach((r, i) => assert.deepEqual(r.data, d[i]));
    // SHB 28 + IDB 20, then the first EPB.
    assert.equal(recs[0]!.fileOffset, 48);
    assert.equal(recs[1]!.fileOffset, 48 + 32 + 60);
    assert.equal(info.format, 'pcapng');
    assert.deepEqual(info.linkTypes, ['EN10MB']);
    assert.equal(info.packets, 3);
    assert.equal(info.bytesRead, buf.length);
  });
}

test('pcapng: several sections, mixed byte order, each resetting the interfaces', async () => {
  const buf = writePcapng({
    sections: [
      { interfaces: [{ linkType: 1 }, { linkType: 113 }], blocks: [epb(1, 100, 5000, bytes(20, 1)), epb(0, 101, 0, bytes(30, 2))] },
      { bigEndian: true, interfaces: [{ linkType: 101, tsresol: 9 }], blocks: [epb(0, 200, 123456789, bytes(40, 3))] },
      { interfaces: [{ linkType: 276 }], blocks: [epb(0, 300, 1000, bytes(50, 4))] },
    ],
  });
  const { recs, info } = await readAll(buf);
  assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec, r.linkType, r.interfaceId, r.data.length]), [
    [100, 5000, 113, 1, 20],
    [101, 0, 1, 0, 30],
    [200, 123456789, 101, 0, 40],
    [300, 1000, 276, 0, 50],
  ]);
  assert.deepEqual(info.linkTypes, ['EN10MB', 'LINUX_SLL', 'RAW', 'LINUX_SLL2']);
});

test('pcapng: a packet may not use an interface of the previous section', async () => {
  const buf = writePcapng({
    sections: [
      { interfaces: [{ linkType: 1 }, { linkType: 1 }], blocks: [epb(1, 1, 0, bytes(8, 1))] },
      { interfaces: [{ linkType: 1 }], blocks: [epb(1, 2, 0, bytes(8, 2))] },
    ],
  });
  const src = await openCapture(writeTemp('x.pcapng', buf), 0);
  const seen: number[] = [];
  const { errors } = await readPackets([src], (r) => seen.push(r.tsSec));
  assert.deepEqual(seen, [1]);
  assert.equal(errors.length, 1);
  // Second SHB at 28 + 2*20 + 40; its IDB 20 later; then the bad EPB.
  assert.equal(errors[0]!.offset, 28 + 40 + 40 + 28 + 20);
  assert.match(errors[0]!.message, /refers to interface 1, but the section defines 1$/);
});

test('pcapng if_tsresol 10^-3, 10^-9, 2^-20 and if_tsoffset', async () => {
  const buf = writePcapng({
    sections: [{
      interfaces: [{ linkType: 1, tsresol: 3 }, { linkType: 1, tsresol: 9 }, { linkType: 1, tsresol: 0x80 | 20 }, { linkType: 1, tsresol: 6, tsoffset: 1000 }],
      blocks: [
        epb(0, 1700000000, 123000000, bytes(4, 1)),
        epb(1, 1700000000, 987654321, bytes(4, 2)),
        epb(2, 1700000000, 500000000, bytes(4, 3)),
        epb(2, 1700000000, 953, bytes(4, 4)),
        epb(3, 1700000000, 42000, bytes(4, 5)),
      ],
    }],
  });
  const { recs } = await readAll(buf);
  assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec]), [
    [1700000000, 123000000],
    [1700000000, 987654321],
    [1700000000, 500000000], // 2^19 ticks of 2^-20 s
    [1700000000, 0], // 953 ns is less than one 2^-20 s tick (953.67 ns): truncated to 0 ticks
    [1700000000, 42000], // stored as 1699999000 s + 1000 s offset
  ]);
});

test('pcapng time conversion matches BigInt arithmetic on large tick counts', () => {
  const out = { tsSec: 0, tsNsec: 0 };
  for (const res of [0, 3, 6, 9, 0x80 | 10, 0x80 | 20, 0x80 | 30, 12, 0x80 | 40]) {
    const tb = timeBase(res);
    const v = BigInt(res & 0x7f);
    const units = res & 0x80 ? 1n << v : 10n ** v;
    for (const ticks of [0n, 1n, units - 1n, units, 1_700_000_000n * units + units / 3n, (1n << 64n) - 1n, 0x1fffff_ffffffffn, 0x200000_00000000n]) {
      const t = ticks & ((1n << 64n) - 1n);
      toTime(tb, Number(t >> 32n), Number(t & 0xffffffffn), out);
      assert.equal(out.tsSec, Number(t / units), `sec res=${res} ticks=${t}`);
      assert.equal(out.tsNsec, Number(((t % units) * 1_000_000_000n) / units), `nsec res=${res} ticks=${t}`);
    }
  }
  // 2^-20: one tick is 953.674... ns, truncated.
  assert.equal(toTicks(0, 500_000_000, 0x80 | 20), 524288n);
  toTime(timeBase(0x80 | 20), 0, 1, out);
  assert.equal(out.tsNsec, 953);
});

test('pcapng SPB: interface 0, snaplen applied, previous timestamp kept', async () => {
  const buf = writePcapng({
    sections: [{
      interfaces: [{ linkType: 1, snaplen: 64 }],
      blocks: [
        { type: 'spb', data: bytes(30, 1) },
        epb(0, 500, 250000000, bytes(10, 2)),
        { type: 'spb', data: bytes(100, 3), origLen: 1500 },
      ],
    }],
  });
  const { recs } = await readAll(buf);
  assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec, r.data.length, r.origLen, r.linkType]), [
    [0, 0, 30, 30, 1],
    [500, 250000000, 10, 10, 1],
    [500, 250000000, 64, 1500, 1],
  ]);
  assert.deepEqual(recs[2]!.data, bytes(100, 3).subarray(0, 64));
});

test('pcapng: unknown blocks are skipped, obsolete packet blocks are read', async () => {
  // OPB: interface (16 bits), drops (16 bits), ts high, ts low, caplen, len, data.
  const opb = Buffer.alloc(20 + 8);
  opb.writeUInt16LE(0, 0);
  const ticks = toTicks(77, 123000, 6);
  opb.writeUInt32LE(Number(ticks >> 32n), 4);
  opb.writeUInt32LE(Number(ticks & 0xffffffffn), 8);
  opb.writeUInt32LE(8, 12);
  opb.writeUInt32LE(90, 16);
  opb.set(bytes(8, 7), 20);
  const buf = writePcapng({
    sections: [{
      interfaces: [{ linkType: 1 }],
      blocks: [
        { type: 'unknown', blockType: 4, body: bytes(37, 1) }, // NRB
        epb(0, 10, 0, bytes(5, 2)),
        { type: 'unknown', blockType: 5, body: bytes(0, 0) }, // ISB, empty body
        { type: 'unknown', blockType: 0x40000bad, body: bytes(1000, 3) },
        { type: 'unknown', blockType: 2, body: opb },
        epb(0, 11, 0, bytes(6, 4)),
      ],
    }],
  });
  const { recs } = await readAll(buf);
  assert.deepEqual(recs.map((r) => [r.tsSec, r.tsNsec, r.data.length, r.origLen]), [
    [10, 0, 5, 5],
    [77, 123000, 8, 90],
    [11, 0, 6, 6],
  ]);
  assert.deepEqual(recs[1]!.data, bytes(8, 7));
});
