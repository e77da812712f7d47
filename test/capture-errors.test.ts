import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openCapture } from '../src/capture/open-capture.js';
import { readPackets } from '../src/capture/merge.js';
import { CaptureError, EXIT } from '../src/errors.js';
import { gzip, writePcap, writePcapng, writeTemp } from './helpers/pcap-writer.js';
import { withoutCapabilities } from './helpers/tools.js';

const data = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

/** Reads a file that must fail: the timestamps delivered before the fault and the one error. */
async function readFaulty(file: string): Promise<{ secs: number[]; err: CaptureError }> {
  const src = await openCapture(file, 0);
  const secs: number[] = [];
  const { errors } = await readPackets([src], (r) => secs.push(r.tsSec));
  assert.equal(errors.length, 1);
  const err = errors[0]!;
  assert.ok(!err.message.includes('\n'));
  assert.equal(err.exitCode, EXIT.badCapture);
  return { secs, err };
}

async function openFails(file: string): Promise<CaptureError> {
  const e: unknown = await openCapture(file, 0).then(() => null, (x: unknown) => x);
  assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${String(e)}`);
  assert.ok(!e.message.includes('\n'));
  return e;
}

const threeRecords = () => writePcap({ linkType: 1, records: [1, 2, 3].map((s) => ({ tsSec: s, tsNsec: 0, data: data(100, s) })) });

test('pcap truncated in the last record body', async () => {
  const file = writeTemp('t.pcap', threeRecords().subarray(0, 24 + 2 * 116 + 16 + 40));
  const { secs, err } = await readFaulty(file);
  assert.deepEqual(secs, [1, 2]);
  assert.equal(err.offset, 24 + 2 * 116);
  assert.equal(err.message, `${file}: at byte offset 256: truncated record: header says 100 bytes, file ends after 40`);
});

test('pcap truncated in a record header', async () => {
  const file = writeTemp('t.pcap', threeRecords().subarray(0, 24 + 116 + 5));
  const { secs, err } = await readFaulty(file);
  assert.deepEqual(secs, [1]);
  assert.equal(err.message, `${file}: at byte offset 140: truncated record header: file ends after 5 of 16 bytes`);
});

test('pcap absurd captured length names the record header offset', async () => {
  const buf = threeRecords();
  buf.writeUInt32LE(0xffffffff, 24 + 116 + 8);
  const file = writeTemp('a.pcap', buf);
  const { secs, err } = await readFaulty(file);
  assert.deepEqual(secs, [1]);
  assert.equal(err.offset, 140);
  assert.match(err.message, /: at byte offset 140: absurd captured length 4294967295 /);
});

test('pcap caplen far above origLen is corruption', async () => {
  const buf = writePcap({ linkType: 1, records: [{ tsSec: 1, tsNsec: 0, data: data(200000, 1), origLen: 60 }] });
  const { secs, err } = await readFaulty(writeTemp('o.pcap', buf));
  assert.deepEqual(secs, []);
  assert.equal(err.offset, 24);
  assert.match(err.message, /absurd captured length 200000 \(original length 60/);
});

test('pcap header cut short', async () => {
  const file = writeTemp('h.pcap', threeRecords().subarray(0, 10));
  const err = await openFails(file);
  assert.equal(err.message, `${file}: at byte offset 0: truncated pcap file header: file ends after 10 of 24 bytes`);
});

const ng = () =>
  writePcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [1, 2, 3].map((s) => ({ type: 'epb' as const, interfaceId: 0, tsSec: s, tsNsec: 0, data: data(40, s) })) }] });
// SHB 28, IDB 20, EPBs of 32 + 40 = 72 bytes.
const EPB2 = 48 + 72;

test('pcapng block length not a multiple of 4', async () => {
  const buf = ng();
  buf.writeUInt32LE(70, EPB2 + 4);
  const file = writeTemp('c.pcapng', buf);
  const { secs, err } = await readFaulty(file);
  assert.deepEqual(secs, [1]);
  assert.equal(err.message, `${file}: at byte offset ${EPB2}: invalid block length 70 (block type 0x00000006)`);
});

test('pcapng block length absurd or too small', async () => {
  for (const bad of [0xfffffff0, 8]) {
    const buf = ng();
    buf.writeUInt32LE(bad, EPB2 + 4);
    const { secs, err } = await readFaulty(writeTemp('c.pcapng', buf));
    assert.deepEqual(secs, [1]);
    assert.equal(err.offset, EPB2);
    assert.match(err.message, new RegExp(`invalid block length ${bad} `));
  }
});

test('pcapng trailing length differing from the header', async () => {
  const buf = ng();
  buf.writeUInt32LE(76, EPB2 + 72 - 4);
  const { secs, err } = await readFaulty(writeTemp('c.pcapng', buf));
  assert.deepEqual(secs, [1]);
  assert.equal(err.offset, EPB2);
  assert.match(err.message, /block length mismatch: header says 72, trailer says 76/);
});

test('pcapng truncated last block', async () => {
  const buf = ng();
  const file = writeTemp('c.pcapng', buf.subarray(0, buf.length - 10));
  const { secs, err } = await readFaulty(file);
  assert.deepEqual(secs, [1, 2]);
  assert.equal(err.message, `${file}: at byte offset ${EPB2 + 72}: truncated block: header says 72 bytes, file ends after 62`);
});

test('pcapng EPB whose caplen overflows its block', async () => {
  const buf = ng();
  buf.writeUInt32LE(41, EPB2 + 20);
  const { secs, err } = await readFaulty(writeTemp('c.pcapng', buf));
  assert.deepEqual(secs, [1]);
  assert.equal(err.offset, EPB2);
  assert.match(err.message, /captured length 41 does not fit in a block of 72 bytes/);
});

test('empty file', async () => {
  const file = writeTemp('e.pcap', new Uint8Array(0));
  const err = await openFails(file);
  assert.equal(err.message, `${file}: empty file, not a capture`);
  assert.equal(err.offset, -1);
  assert.equal(err.exitCode, EXIT.badCapture);
});

test('gzip of an empty file is an empty file too', async () => {
  const file = writeTemp('e.pcap.gz', gzip(new Uint8Array(0)));
  assert.equal((await openFails(file)).message, `${file}: empty file, not a capture`);
});

test('a file that is not a capture', async () => {
  const file = writeTemp('page.pcap', Buffer.from('<!DOCTYPE html><html></html>\n'));
  const err = await openFails(file);
  assert.equal(err.message, `${file}: not a pcap or pcapng file (starts with 3c 21 44 4f)`);
  assert.equal(err.exitCode, EXIT.badCapture);
  const tiny = writeTemp('tiny', Buffer.from([0xab, 0xcd]));
  assert.equal((await openFails(tiny)).message, `${tiny}: not a pcap or pcapng file (starts with ab cd)`);
});

test('a missing file or a directory cannot be opened (exit code EXIT.open)', async () => {
  const dir = path.dirname(writeTemp('x', new Uint8Array(1)));
  const missing = path.join(dir, 'nope.pcap');
  const err = await openFails(missing);
  assert.equal(err.message, `${missing}: cannot open: no such file`);
  assert.equal(err.exitCode, EXIT.open);
  const derr = await openFails(dir);
  assert.equal(derr.message, `${dir}: cannot open: is a directory`);
  assert.equal(derr.exitCode, EXIT.open);
});

test('an unreadable file (permission) cannot be opened', async () => {
  const file = writeTemp('p.pcap', threeRecords());
  fs.chmodSync(file, 0o000);
  if (process.getuid?.() !== 0) {
    const err = await openFails(file);
    assert.equal(err.message, `${file}: cannot open: permission denied`);
    assert.equal(err.exitCode, EXIT.open);
    return;
  }
  // Root reads everything: try without its capabilities, through the real command line.
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const [cmd, args] = withoutCapabilities(process.execPath, [cli, 'conns', file]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.stderr, `proxytrace: ${file}: cannot open: permission denied\n`);
  assert.equal(r.status, EXIT.open);
});

test('truncated gzip: records decompressed before the cut are delivered, then the error', async () => {
  const pcap = writePcap({ linkType: 1, records: Array.from({ length: 2000 }, (_, i) => ({ tsSec: i, tsNsec: 0, data: data(200 + (i % 50), i) })) });
  const gz = gzip(pcap);
  const file = writeTemp('t.pcap.gz', gz.subarray(0, gz.length >> 1));
  const { secs, err } = await readFaulty(file);
  assert.ok(secs.length > 100 && secs.length < 2000, `delivered ${secs.length}`);
  assert.deepEqual(secs.slice(0, 3), [0, 1, 2]);
  assert.equal(secs[secs.length - 1], secs.length - 1);
  assert.match(err.message, /gzip data is corrupt or truncated: unexpected end of file$/);
  assert.ok(err.offset > 24 + 216 * secs.length - 300, `offset ${err.offset}`);
});
