/**
 * `proxytrace live -r - --tui` in a real terminal (tmux): the capture comes through a FIFO the
 * test writes in parts; the list grows as sessions complete, the selection stays on its
 * session, and quitting the TUI stops the capture (the summary follows on the normal screen).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { TmuxPane } from './helpers/tui-tmux.js';
import { needTool, ROOT } from './helpers/tools.js';

const RR = path.join(ROOT, 'captures', 'http-roundrobin');
const sessionRows = (screen: string): string[] => screen.split('\n').filter((l) => /^.. \d\d:\d\d:\d\d\.\d{3} /.test(l));
const count = (screen: string): number => Number(/(\d+) sessions, \d+ requests/.exec(screen)?.[1] ?? -1);

test('live -r - --tui in tmux: sessions arrive during the capture; quitting stops it', { timeout: 90_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-live-tui-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'capture.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const pane = new TmuxPane(120, 40);
  t.after(() => pane.kill());
  await pane.waitFor((s) => s.includes('pt-shell$'), 'the shell prompt');
  pane.type(`node dist/src/cli/main.js live -r - --tui --haproxy-cfg ${RR}/haproxy.cfg < ${fifo}; echo LIVE-EXIT=$?`);
  pane.keys('Enter');

  // Records up to capture time `until` (seconds within the minute of the capture).
  const input = fs.readFileSync(path.join(RR, 'capture.pcap'));
  const upTo = (until: number): number => {
    let at = 24;
    while (at < input.length && (input.readUInt32LE(at) % 60) + input.readUInt32LE(at + 4) / 1e6 < until) at += 16 + input.readUInt32LE(at + 8);
    return at;
  };
  const w = await fs.promises.open(fifo, 'w');
  try {
    const a = upTo(24.8);
    await w.write(input.subarray(0, a));
    let screen = await pane.waitFor((s) => count(s) > 0, 'the first sessions, the input still open');
    assert.equal(pane.format('#{alternate_on}'), '1');
    const first = count(screen);
    assert.ok(first < 13, screen);
    assert.equal(sessionRows(screen).length, first);
    // Select the second session, then let more arrive: the list grows, the selection stays.
    pane.keys('j');
    screen = await pane.waitFor((s) => s.includes(`row 2/${first}`), 'the cursor on row 2');
    const selected = sessionRows(screen)[1]!.slice(2);
    const b = upTo(25.72);
    await w.write(input.subarray(a, b));
    screen = await pane.waitFor((s) => count(s) > first, 'more sessions');
    assert.match(screen, new RegExp(`row 2/${count(screen)}`));
    assert.equal(sessionRows(screen)[1]!.slice(2), selected);
    assert.match(screen, /live: reading a capture from stdin/);

    // q with the input still open: the capture stops (the stream's grace time), the summary follows.
    pane.keys('q');
    screen = await pane.waitFor((s) => /LIVE-EXIT=\d/.test(s), 'the shell after quitting', 15_000);
    assert.equal(pane.format('#{alternate_on}'), '0');
    assert.match(screen, /LIVE-EXIT=0/);
    assert.match(screen, /^sessions: \d+, requests: \d+/m);
    assert.match(screen, /^capture: \d+ packets in [\d.]+ s; stopped$/m);
    assert.doesNotMatch(screen, /^session \d+ /m, 'the sessions were on the TUI, not printed');
  } finally {
    await w.close();
  }
});
