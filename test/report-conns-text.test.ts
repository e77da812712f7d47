/**
 * The `conns` table and JSON lines are written as bytes (report/ascii-buffer.ts): they must be
 * the very text the string formatting gives (String, toFixed, timeOfDay, padStart/padEnd).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline } from '../src/pipeline.js';
import { AsciiBuffer, CLOCK, FIXED6, LineTemplate, TEXT, UINT } from '../src/report/ascii-buffer.js';
import { fixed6 } from '../src/report/connection-json.js';
import { CONNS_COLUMNS, ConnsTable, sixDecimalsExact } from '../src/report/conns-text.js';
import { seconds, timeOfDay } from '../src/report/table.js';
import type { TcpConnection } from '../src/tcp/connection.js';
import { handshake, runCapture } from './helpers/tcp-harness.js';
import { committedCaptures } from './helpers/tools.js';

test('integers digit by digit: the same text as String(n)', () => {
  for (const n of [0, 7, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 4294967295, 1e15 + 7, 2 ** 53 - 1, 2 ** 53, 1e21, 0.5, -3]) {
    const out = new AsciiBuffer(new Uint8Array(4));
    out.uint(n);
    assert.equal(out.text(), String(n), String(n));
  }
});

test('a line template: integers, six-decimal times and clocks as the string formatting writes them', () => {
  const line = new LineTemplate(['<', '|', '|', '|', '|', '>']);
  line.kind.set([UINT, FIXED6, CLOCK, TEXT, UINT]);
  const values: [number, number, number, string, number][] = [
    [0, 1795245410.52248, 1795245410.52248, 'ShADadR', 2 ** 31 - 1],
    [9, 1795245410.000001, 86399.9999994, '', 2 ** 31],
    [10, 0.000003, 0, 'x', 4294967295],
    [65535, 12, 1795245411.999999, 'RSTO', 1e15 + 7],
    [99, -0.25, 1700000000.1234565, '^', 2 ** 53],
    [100, 1795245410.522479, 59.5, 'z', 1e21],
  ];
  const out = new AsciiBuffer(new Uint8Array(4)); // tiny: the template must grow it correctly
  let expected = '';
  for (const [a, t, clock, s, b] of values) {
    [line.num[0], line.num[1], line.num[2], line.str[3], line.num[4]] = [a, t, clock, s, b];
    line.write(out);
    expected += `<${a}|${fixed6(t)}|${timeOfDay(clock)}|${s}|${b}>`;
    assert.equal(line.ends[4], out.pos - 1, 'ends: where the last slot ended');
  }
  assert.equal(out.text(), expected);
  assert.ok(expected.includes('|1795245410.522480|07:16:50.522480|ShADadR|2147483647>'), expected);
});

test('durations with six decimals from integers only where that is toFixed(6)', () => {
  const line = new LineTemplate(['', '']);
  line.kind[0] = FIXED6;
  let exact = 0;
  let checked = 0;
  // Differences of nanosecond and microsecond timestamps, ties (x.5 microseconds) included.
  for (let i = 0; i < 200000; i++) {
    const start = 1795245410 + (i % 1000) * 0.001 + (i % 7) * 1e-9;
    const end = start + (i % 2 ? i * 0.0000005 : i * 1.3e-9) + (i % 3) * 0.0000005;
    for (const d of [end - start, i * 0.0000005, i * 1e-7 + 5e-7]) {
      if (!sixDecimalsExact(d)) continue;
      exact++;
      const out = new AsciiBuffer(new Uint8Array(32));
      line.num[0] = d;
      line.write(out);
      assert.equal(out.text(), d.toFixed(6), String(d));
      checked++;
    }
  }
  assert.ok(exact > 400000, `${exact} of 600000 taken the integer way`);
  assert.equal(sixDecimalsExact(0.0000005), false, 'a tie goes to toFixed');
  assert.equal(sixDecimalsExact(10), false, 'ten seconds and more have three decimals');
  assert.equal(checked, exact);
});

/** The table as it was rendered from strings (padStart/padEnd, trimEnd): the reference. */
function referenceTable(conns: TcpConnection[], tail: string): string {
  const rows = conns.map((c) => {
    let notes = '';
    if (c.anomalies) for (const [k, n] of [...c.anomalies].sort()) notes += `${notes ? ',' : ''}${k}${n > 1 ? `x${n}` : ''}`;
    const [o, r] = c.half;
    return [c.id, timeOfDay(c.start), seconds(c.end - c.start), c.client, c.server, String(o.nextOffset), String(r.nextOffset), String(o.missedBytes + r.missedBytes), c.state, c.history, notes];
  });
  const all = [[...CONNS_COLUMNS], ...rows];
  const widths = CONNS_COLUMNS.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const right = new Set([0, 2, 5, 6, 7]);
  const line = (cells: string[]): string =>
    cells.map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : i === cells.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [...all.map(line), '', tail].join('\n');
}

async function tableOf(files: string[]): Promise<{ text: string; expected: string }> {
  const table = new ConnsTable();
  const done: TcpConnection[] = [];
  const r = await runPipeline({
    files,
    // Not recycled: the reference reads the connections afterwards.
    handler: { close: (c) => (table.add(c), done.push(c)) },
  });
  done.sort((a, b) => a.seq - b.seq);
  const captures = r.captures.map((c) => ({ file: c.file, format: c.format, compressed: c.compressed, linkTypes: c.linkTypes, packets: c.packets }));
  const tail = captures.map((c) => `${c.file}: ${c.format}, ${c.linkTypes.join('/')}, ${c.packets} packets`).join('\n') + `\n${done.length} TCP connection${done.length === 1 ? '' : 's'}\n`;
  return { text: Buffer.from(table.render(captures)).toString('latin1'), expected: referenceTable(done, tail) };
}

test('the table of every committed capture is the one the string formatting gives', async () => {
  let rows = 0;
  for (const file of committedCaptures()) {
    const { text, expected } = await tableOf([file]);
    assert.equal(text, expected, file);
    rows += text.split('\n').length;
  }
  assert.ok(rows > 100, `${rows} lines`);
});

test('IPv6 endpoints, anomaly notes with counts and a row wider than the titles', async () => {
  const v6 = handshake('[2001:db8::1]:40000', '[2001:db8::2]:443', 1, 2);
  v6.data(0, 'hello');
  v6.data(0, 'HELLO', { seq: 2 }); // a retransmission with other bytes
  v6.data(0, 'HELLO', { seq: 2 });
  v6.ack(1);
  const run = await runCapture(v6.packets);
  const c = run.conns[0]!.conn;
  assert.equal(c.anomalies?.get('overlap_different_bytes'), 2);
  const table = new ConnsTable();
  table.add(c);
  const lines = Buffer.from(table.render([])).toString('latin1').split('\n');
  assert.equal(lines[0], 'ID  START (UTC)      DURATION  CLIENT               SERVER             C>S BYTES  S>C BYTES  MISSED  STATE  HISTORY  NOTES');
  assert.equal(lines[1], ` 1  ${timeOfDay(c.start)}  ${seconds(c.end - c.start)}  [2001:db8::1]:40000  [2001:db8::2]:443          5          0       0  ${c.state.padEnd(5)}  ${c.history.padEnd(7)}  overlap_different_bytesx2`);
  assert.deepEqual(lines.slice(2), ['', '1 TCP connection', '']);
});
