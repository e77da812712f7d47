/** The hand-written JSON line of `conns --json` must parse to exactly the contract object. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline } from '../src/pipeline.js';
import { connectionJson, connectionJsonLine } from '../src/report/connection-json.js';
import { handshake, runCapture } from './helpers/tcp-harness.js';
import { committedCaptures } from './helpers/tools.js';

test('every connection of every committed capture serialises to the same document both ways', async () => {
  let n = 0;
  for (const file of committedCaptures()) {
    await runPipeline({
      files: [file],
      handler: {
        close: (c) => {
          assert.deepEqual(JSON.parse(connectionJsonLine(c)), connectionJson(c), `${file} connection ${c.id}`);
          n++;
        },
      },
    });
  }
  assert.ok(n > 100, `${n} connections`);
});

test('anomalies, IPv6 endpoints and a missing handshake serialise identically too', async () => {
  const v6 = handshake('[2001:db8::1]:40000', '[2001:db8::2]:443', 1, 2);
  v6.data(0, 'hello');
  v6.data(0, 'HELLO', { seq: 2 }); // a retransmission with other bytes
  v6.ack(1);
  const run = await runCapture(v6.packets);
  const c = run.conns[0]!.conn;
  const obj = connectionJson(c);
  assert.equal(obj.client, '[2001:db8::1]:40000');
  assert.deepEqual(obj.anomalies, { overlap_different_bytes: 1 });
  assert.deepEqual(JSON.parse(connectionJsonLine(c)), obj);
});

test('JSON for the terminal: C1 controls, DEL and bidi overrides are \\u-escaped, and it still parses back', async () => {
  const { terminalSafeJson } = await import('../src/report/escape.js');
  const value = { header: 'a\u009b2Jb\u007fc\u202ed\u00e9', esc: '\u001b[31m' };
  const text = terminalSafeJson(JSON.stringify(value));
  assert.equal(text, '{"header":"a\\u009b2Jb\\u007fc\\u202ed\u00e9","esc":"\\u001b[31m"}');
  assert.deepEqual(JSON.parse(text), value);
});

test('six-decimal times: exact microseconds, same number as the double when parsed', async () => {
  const { fixed6 } = await import('../src/report/connection-json.js');
  assert.equal(fixed6(1795245410.52248), '1795245410.522480');
  assert.equal(fixed6(1795245410.000001), '1795245410.000001');
  assert.equal(fixed6(0.000003), '0.000003');
  assert.equal(fixed6(12), '12.000000');
  assert.equal(fixed6(-0.25), '-0.250000');
  assert.equal(Number(fixed6(1795245410.522479)), 1795245410.522479);
});
