import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { type PacketSource, frameBytes } from '../src/capture/packet-record.js';
import { gzip, writePcap, writePcapng, writeTemp } from './helpers/pcap-writer.js';

const data = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) & 0xff);
const RECS = Array.from({ length: 300 }, (_, i) => ({ tsSec: 1000 + i, tsNsec: i * 1000, data: data(50 + (i % 90), i) }));
const PCAP = writePcap({ linkType: 1, records: RECS });

/** Checks a source yields RECS exactly. */
async function assertRecs(src: PacketSource): Promise<void> {
  const got: [number, number, Uint8Array][] = [];
  const { errors } = await readPackets([src], (r) => got.push([r.tsSec, r.tsNsec, Uint8Array.from(frameBytes(r))]));
  assert.deepEqual(errors, []);
  assert.equal(got.length, RECS.length);
  got.forEach((g, i) => assert.deepEqual(g, [RECS[i]!.tsSec, RECS[i]!.tsNsec, RECS[i]!.data]));
}

/** A stream delivering `buf` in pieces of `size` bytes, so records straddle chunks. */
function trickle(buf: Uint8Array, size: number): Readable {
  const parts: Buffer[] = [];
  for (let o = 0; o < buf.length; o += size) parts.push(Buffer.from(buf.subarray(o, o + size)));
  return Readable.from(parts, { objectMode: false });
}

test('gzip-compressed pcap file', async () => {
  const gz = gzip(PCAP);
  const src = await openCapture(writeTemp('a.pcap.gz', gz), 0);
  assert.equal(src.info.compressed, 'gzip');
  assert.equal(src.info.sizeOnDisk, gz.length);
  await assertRecs(src);
  assert.equal(src.info.diskBytesRead, gz.length);
  assert.equal(src.info.bytesRead, PCAP.length);
});

test('gzip-compressed pcapng file, detected by magic whatever the name', async () => {
  const ng = writePcapng({ sections: [{ interfaces: [{ linkType: 1, tsresol: 9 }], blocks: RECS.map((r) => ({ type: 'epb' as const, interfaceId: 0, ...r })) }] });
  const src = await openCapture(writeTemp('plain-name', gzip(ng)), 0);
  assert.equal(src.info.format, 'pcapng');
  assert.equal(src.info.compressed, 'gzip');
  await assertRecs(src);
});

test('stdin ("-") in 7-byte pieces', async () => {
  const src = await openCapture('-', 0, { stdin: trickle(PCAP, 7) });
  assert.equal(src.info.file, '-');
  assert.equal(src.info.sizeOnDisk, null);
  assert.equal(src.info.compressed, null);
  await assertRecs(src);
  assert.equal(src.info.diskBytesRead, PCAP.length);
});

test('gzip on stdin, magic split across the first two pieces', async () => {
  const gz = gzip(PCAP);
  const src = await openCapture('-', 0, { stdin: trickle(gz, 1) });
  assert.equal(src.info.compressed, 'gzip');
  await assertRecs(src);
  assert.equal(src.info.diskBytesRead, gz.length);
});

test('real process stdin in a child process', async () => {
  const mod = fileURLToPath(new URL('../src/capture/open-capture.js', import.meta.url));
  const merge = fileURLToPath(new URL('../src/capture/merge.js', import.meta.url));
  const script = `
    const { openCapture } = await import(${JSON.stringify(mod)});
    const { readPackets } = await import(${JSON.stringify(merge)});
    const s = await openCapture('-', 0);
    let n = 0, last = 0, bytes = 0;
    const { errors } = await readPackets([s], (r) => { n++; last = r.tsSec; bytes += r.caplen; });
    console.log(JSON.stringify({ n, last, bytes, errors: errors.length, compressed: s.info.compressed }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(gzip(PCAP));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  const bytes = RECS.reduce((n, r) => n + r.data.length, 0);
  assert.deepEqual(JSON.parse(out), { n: 300, last: 1299, bytes, errors: 0, compressed: 'gzip' });
});

test('a named pipe (FIFO) is streamed, not read with readSync', { skip: !hasMkfifo() }, async () => {
  const file = writeTemp('a.pcap', PCAP);
  const fifo = `${file}.fifo`;
  execFileSync('mkfifo', [fifo]);
  // The writer runs in another process; opening the FIFO waits for it.
  const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', file, fifo], { stdio: 'ignore' });
  const done = new Promise((resolve) => writer.on('close', resolve));
  const src = await openCapture(fifo, 0);
  assert.equal(src.info.sizeOnDisk, null);
  await assertRecs(src);
  assert.equal(await done, 0);
});

function hasMkfifo(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v mkfifo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
