/**
 * `proxytrace tui` in a real terminal (tmux): the list of the round-robin capture, a filter,
 * every detail tab, a resize, and quitting back to the shell with the screen as it was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TmuxPane } from './helpers/tui-tmux.js';
import { needTool } from './helpers/tools.js';

const RR = 'captures/http-roundrobin';
const CMD = `node dist/src/cli/main.js tui ${RR}/capture.pcap --haproxy-cfg ${RR}/haproxy.cfg --haproxy-log ${RR}/haproxy.log`;

/** Session rows of the list: "07:55:22.824 127.0.0.90:37827 fe_http -> be_web/web2 ...". */
const sessionRows = (screen: string): string[] => screen.split('\n').filter((l) => /^.. \d\d:\d\d:\d\d\.\d{3} /.test(l));

test('tui in tmux: list, filter, tabs, resize, quit restores the screen', { timeout: 90_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  const pane = new TmuxPane(120, 40);
  t.after(() => pane.kill());
  await pane.waitFor((s) => s.includes('pt-shell$'), 'the shell prompt');
  pane.type(`echo BEFORE-TUI; ${CMD}; echo TUI-EXIT=$?`);
  pane.keys('Enter');

  // The list: 13 sessions, balanced over web1 and web2, one denied by the proxy.
  let screen = await pane.waitFor((s) => s.includes('13 sessions, 13 requests'), 'the session list');
  assert.equal(pane.format('#{alternate_on}'), '1', 'runs on the alternate screen');
  let rows = sessionRows(screen);
  assert.equal(rows.length, 13, screen);
  assert.equal(rows.filter((r) => r.includes('be_web/web1')).length, 4);
  assert.equal(rows.filter((r) => r.includes('be_web/web2')).length, 8);
  assert.match(screen, /servers: be_web\/web2 8, be_web\/web1 4, <proxy> 1/);
  assert.match(rows.find((r) => r.includes('<proxy>'))!, /^ ! .* 403 +PR--/, 'the denied request is marked abnormal');

  // A filter typed in the bar, with an error shown under its position first.
  pane.keys('/');
  pane.type('server web1 &');
  screen = await pane.waitFor((s) => s.includes('^ expected a filter'), 'the filter error');
  const lines = screen.split('\n');
  const bar = lines.findIndex((l) => l.startsWith('/ server web1 &'));
  assert.ok(bar >= 0, screen);
  assert.equal(lines[bar + 1]!.indexOf('^'), '/ server web1 &'.length, 'the caret is where the right side of "&" is missing');
  pane.keys('BSpace', 'BSpace');
  pane.keys('Enter');
  screen = await pane.waitFor((s) => s.includes('4 of 13 sessions') && !s.includes('typing a filter'), 'the filtered list');
  rows = sessionRows(screen);
  assert.equal(rows.length, 4, screen);
  assert.ok(rows.every((r) => r.includes('be_web/web1')));

  // Each detail tab of the first web1 session.
  pane.keys('Enter');
  screen = await pane.waitFor((s) => s.includes(' 1 ladder ') && s.includes('SYN-ACK'), 'the ladder tab');
  assert.match(screen, /\|----------->\| +\| GET \/ HTTP\/1\.1 \(93 B\)/);
  assert.match(screen, /\| +\|----------->\| GET \/ HTTP\/1\.1 \(122 B\)/);
  assert.match(screen, /\|<-----------\| +\| 200 OK \(264 B\)/);
  assert.match(screen, /\| FIN$/m);
  pane.keys('Tab');
  screen = await pane.waitFor((s) => s.includes('request: client side (received) | server side (sent)'), 'the headers tab');
  assert.match(screen, /^\+ +\| x-forwarded-for: 127\.0\.0\.90$/m);
  assert.match(screen, /^c +Host: ww1\.itnihao\.cn +\| host: ww1\.itnihao\.cn$/m);
  assert.match(screen, /^\+ +\| set-cookie: SERVERID=web1; path=\/$/m);
  pane.keys('Tab');
  screen = await pane.waitFor((s) => s.includes('client -> proxy (client connection)'), 'the bytes tab');
  assert.match(screen, /@0 93 B \+[\d.]+ ms  held [\d.]+ ms +\| @0 122 B/);
  pane.keys('x');
  screen = await pane.waitFor((s) => s.includes('000000 47 45 54 20 2f'), 'the bytes tab in hex');
  pane.keys('Tab');
  screen = await pane.waitFor((s) => s.includes('termination --NI'), 'the verdict tab');
  assert.match(screen, /inferred: 127\.0\.0\.90:\d+ \[21\/Nov\/2026:07:55:2\d\.\d{3}\] fe_http be_web\/web1 /);
  assert.match(screen, /logged: +127\.0\.0\.90:\d+ /);
  assert.match(screen, /agrees: termination, status/);

  // Resize: the frame follows (the list drops its client column at 90 columns).
  pane.keys('Escape');
  await pane.waitFor((s) => s.includes('4 of 13 sessions'), 'back to the list');
  pane.resize(90, 30);
  screen = await pane.waitFor((s) => {
    const ls = s.split('\n');
    return ls.some((l) => l.startsWith('proxytrace tui') && l.trimEnd().endsWith('q quit') && l.length <= 90) && !s.includes('client    ');
  }, 'the list redrawn at 90x30');
  assert.equal(sessionRows(screen).length, 4, screen);
  assert.ok(screen.split('\n').every((l) => l.length <= 90));
  assert.match(screen, /row 1\/4/);

  // Quit: the shell is back, with what was on the screen before.
  pane.keys('q');
  screen = await pane.waitFor((s) => s.includes('TUI-EXIT=0'), 'the shell after quitting');
  assert.equal(pane.format('#{alternate_on}'), '0', 'the alternate screen is left');
  assert.match(screen, /BEFORE-TUI/);
  assert.doesNotMatch(screen, /frontend -> server|sessions, \d+ requests/);
  assert.equal(pane.format('#{cursor_flag}'), '1', 'the cursor is visible again');
});

test('tui in tmux: Ctrl-C quits and restores the terminal too', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  const pane = new TmuxPane(100, 30);
  t.after(() => pane.kill());
  await pane.waitFor((s) => s.includes('pt-shell$'), 'the shell prompt');
  pane.type(`${CMD}; echo TUI-EXIT=$?`);
  pane.keys('Enter');
  await pane.waitFor((s) => s.includes('13 sessions'), 'the session list');
  pane.keys('C-c');
  const screen = await pane.waitFor((s) => s.includes('TUI-EXIT=0'), 'the shell after Ctrl-C');
  assert.equal(pane.format('#{alternate_on}'), '0');
  assert.doesNotMatch(screen, /frontend -> server/);
});

test('tui in tmux: a SIGTERM restores the terminal', { timeout: 60_000 }, async (t) => {
  if (!needTool(t, 'tmux')) return;
  const pane = new TmuxPane(100, 30);
  t.after(() => pane.kill());
  await pane.waitFor((s) => s.includes('pt-shell$'), 'the shell prompt');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-tui-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pidFile = path.join(dir, 'pid');
  pane.type(`sh -c 'echo $$ > ${pidFile}; exec ${CMD}'; echo TUI-EXIT=$?`);
  pane.keys('Enter');
  await pane.waitFor((s) => s.includes('13 sessions'), 'the session list');
  process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
  const screen = await pane.waitFor((s) => /TUI-EXIT=\d/.test(s), 'the shell after SIGTERM');
  assert.equal(pane.format('#{alternate_on}'), '0');
  assert.match(screen, /TUI-EXIT=143/);
});
