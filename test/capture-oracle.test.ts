/**
 * Our pcap reader against pcap-parser (an independent implementation) on every committed
 * captures/**\/*.pcap, plus synthetic files so the test never runs on nothing.
 */
import { frameBytes } from '../src/capture/packet-record.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { writePcap, writeTemp } from './helpers/pcap-writer.js';

interface OracleHeader { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }
interface OracleParser { on(ev: 'packet', f: (p: { header: OracleHeader; data: Buffer }) => void): void; on(ev: 'end', f: () => void): void; on(ev: 'error', f: (e: Error) => void): void }
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: Readable): OracleParser };

interface Flat { sec: number; nsec: number; origLen: number; data: Buffer }

/** pcap-parser knows the µs magic only: a ns file is fed with its magic patched, its fraction scaled back. */
function oracle(file: string): Promise<Flat[]> {
  const buf = fs.readFileSync(file);
  const magic = buf.readUInt32BE(0);
  assert.notEqual(magic, 0x0a0d0d0a, `${file} is pcapng: pcap-parser cannot check it; name it .pcapng`);
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  if (nano) buf.writeUInt32BE(magic === 0xa1b23c4d ? 0xa1b2c3d4 : 0xd4c3b2a1, 0);
  return new Promise((resolve, reject) => {
    const out: Flat[] = [];
    const p = pcapParser.parse(Readable.from([buf], { objectMode: false }));
    p.on('packet', ({ header: h, data }) =>
      out.push({ sec: h.timestampSeconds, nsec: nano ? h.timestampMicroseconds : h.timestampMicroseconds * 1000, origLen: h.originalLength, data: Buffer.from(data) }),
    );
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

async function ours(file: string): Promise<Flat[]> {
  const out: Flat[] = [];
  const { errors } = await readPackets([await openCapture(file, 0)], (r) => out.push({ sec: r.tsSec, nsec: r.tsNsec, origLen: r.origLen, data: Buffer.from(frameBytes(r)) }));
  assert.deepEqual(errors, []);
  return out;
}

function findPcaps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.pcap'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function synthetic(): string[] {
  const records = Array.from({ length: 500 }, (_, i) => ({
    tsSec: 1_700_000_000 + i,
    tsNsec: ((i * 7919) % 1_000_000) * 1000,
    data: Uint8Array.from({ length: 40 + ((i * 37) % 1400) }, (_, j) => (i + j) & 0xff),
    origLen: 40 + ((i * 37) % 1400) + (i % 3) * 100,
  }));
  return [
    writeTemp('synthetic-le.pcap', writePcap({ linkType: 1, records })),
    writeTemp('synthetic-be.pcap', writePcap({ linkType: 113, bigEndian: true, records })),
    writeTemp('synthetic-ns.pcap', writePcap({ linkType: 101, nanosecond: true, records: records.map((r, i) => ({ ...r, tsNsec: r.tsNsec + i })) })),
  ];
}

const capturesDir = fileURLToPath(new URL('../../captures', import.meta.url));
const files = [...findPcaps(capturesDir), ...synthetic()];

test('there is at least one file to check against the oracle', () => {
  assert.ok(files.length >= 1);
});

for (const file of files) {
  test(`oracle: ${path.relative(process.cwd(), file)}`, async () => {
    const [want, got] = await Promise.all([oracle(file), ours(file)]);
    assert.ok(want.length > 0, 'the oracle read no packets');
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      if (g.sec !== w.sec || g.nsec !== w.nsec || g.origLen !== w.origLen || !g.data.equals(w.data)) {
        assert.deepEqual(g, w, `record ${i}`);
      }
    }
  });
}
