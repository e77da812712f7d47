import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaptureInfo } from '../src/capture/packet-record.js';
import { Progress, progressLine } from '../src/report/progress.js';

function info(over: Partial<CaptureInfo>): CaptureInfo {
  return {
    file: 'big.pcap', format: 'pcap', compressed: null, linkTypes: ['EN10MB'], interfaces: [],
    packets: 0, bytesRead: 0, sizeOnDisk: null, diskBytesRead: 0, ...over,
  };
}

test('progress line: packets, bytes of the total, rate and time left', () => {
  const line = progressLine([info({ packets: 1_200_000, diskBytesRead: 120e6, sizeOnDisk: 800e6 })], 0.6);
  assert.equal(line, 'reading big.pcap: 1.20 M packets, 120.0 of 800.0 MB (15%), 2.00 M packets/s, 4 s left');
});

test('progress line for stdin (size unknown) and several files', () => {
  assert.equal(progressLine([info({ file: '-', packets: 500_000, diskBytesRead: 50e6 })], 1), 'reading -: 0.50 M packets, 50.0 MB, 0.50 M packets/s');
  assert.equal(
    progressLine([info({ packets: 1e6, diskBytesRead: 100e6, sizeOnDisk: 100e6 }), info({ file: 'b', packets: 1e6, diskBytesRead: 0, sizeOnDisk: 100e6 })], 1),
    'reading 2 files: 2.00 M packets, 100.0 of 200.0 MB (50%), 2.00 M packets/s, 1 s left',
  );
});

test('a file name with control characters is escaped in the progress line', () => {
  assert.equal(progressLine([info({ file: 'evil\x1b[2J.pcap' })], 1).startsWith('reading evil\\x1b[2J.pcap:'), true);
});

test('no progress for JSON or when stdout is not a terminal (as under the test runner)', () => {
  assert.equal(Progress.enabled(true), false);
  assert.equal(process.stdout.isTTY === true, false);
  assert.equal(Progress.enabled(false), false);
});

test('progress draws on the target after the first half second, then clears its line', async () => {
  const writes: string[] = [];
  const p = new Progress({ isTTY: true, write: (s) => (writes.push(s), true) });
  const caps = [info({ packets: 10, diskBytesRead: 10, sizeOnDisk: 100 })];
  p.update(caps);
  assert.deepEqual(writes, []); // too early: short runs never flash a progress line
  await new Promise((r) => setTimeout(r, 550));
  p.update(caps);
  assert.equal(writes.length, 1);
  assert.match(writes[0]!, /^\r\x1b\[Kreading big\.pcap: 0\.00 M packets, 0\.0 of 0\.0 MB \(10%\), /);
  p.done();
  assert.equal(writes.at(-1), '\r\x1b[K');
});
