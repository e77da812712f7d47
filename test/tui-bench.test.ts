/** The key-to-frame benchmark hook runs (small, so the suite stays fast; bench/run.ts uses 100 000). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchKeyToFrame, formatKeyToFrame } from './helpers/tui-bench.js';

test('benchKeyToFrame measures every case on synthetic sessions', async () => {
  const r = await benchKeyToFrame({ sessions: 3000, moves: 20 });
  assert.equal(r.sessions, 3000);
  assert.deepEqual(r.cases.map((c) => c.name), [
    'j (cursor down)', 'G / g (last, first row)', 'PgDn', 's (re-sort every session)',
    'filter key, re-filtering everything', 'Enter (open a session)', 'Tab (next detail tab)',
  ]);
  for (const c of r.cases) {
    assert.ok(c.samples.length > 0 && c.samples.every((ms) => Number.isFinite(ms) && ms >= 0), c.name);
    assert.ok(c.median <= c.p95);
  }
  assert.match(formatKeyToFrame(r), /^tui key-to-frame, 3000 sessions, 120x40: first frame \d+ ms\n {2}j \(cursor down\) +median [\d.]+ ms, p95 [\d.]+ ms \(20 presses\)/);
});
