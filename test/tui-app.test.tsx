/**
 * The TUI's components through ink-testing-library: the list and its summary, the filter bar
 * and its errors, each detail tab, the help generated from the keymap, a store that grows, a
 * hundred thousand sessions, and captured bytes that try to drive the terminal.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { compareWithLog, verdictsOf } from '../src/correlate/haproxy/compare-log.js';
import { parseHaproxyConfig } from '../src/correlate/haproxy/config.js';
import { parseHaproxyLogLine } from '../src/correlate/haproxy/log-line.js';
import { analyze } from '../src/pipeline.js';
import { TuiApp } from '../src/tui/app.js';
import { KEYMAP } from '../src/tui/keymap.js';
import { SessionStore } from '../src/tui/session-store.js';
import type { UiState } from '../src/tui/state.js';
import { indexComparisons } from '../src/tui/verdict-view.js';
import { EVIL, hostileCapture, hostileSession, syntheticSessions } from './helpers/tui-sessions.js';
import { ROOT } from './helpers/tools.js';

const KEY = { down: '\x1b[B', up: '\x1b[A', enter: '\r', esc: '\x1b', tab: '\t', shiftTab: '\x1b[Z', backspace: '\x7f', pgdn: '\x1b[6~', ctrlC: '\x03' };
const SIZE = { columns: 120, rows: 40 };

type App = ReturnType<typeof render>;

/** Writes each key and waits for the frame it causes (at most 500 ms: some keys draw nothing). */
async function press(app: App, ...keys: string[]): Promise<string> {
  for (const k of keys) {
    const before = app.frames.length;
    app.stdin.write(k);
    const until = Date.now() + 500;
    while (app.frames.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setImmediate(r));
  }
  return app.lastFrame() ?? '';
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

async function roundRobinStore(): Promise<SessionStore> {
  const dir = path.join(ROOT, 'captures', 'http-roundrobin');
  const cfg = parseHaproxyConfig(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), 'haproxy.cfg');
  const r = await analyze({ files: [path.join(dir, 'capture.pcap')], keepLegs: true, haproxyConfig: cfg });
  const store = new SessionStore(r.sessions, r.legs);
  const log = fs.readFileSync(path.join(dir, 'haproxy.log'), 'utf8').split('\n').filter((l) => l !== '').map((l) => parseHaproxyLogLine(l));
  store.setLogComparison(indexComparisons(compareWithLog(verdictsOf(r.sessions), log).lines));
  return store;
}

const rowsOf = (frame: string): string[] => frame.split('\n').filter((l) => /^.. \d\d:\d\d:\d\d\.\d{3} /.test(l));

/** No byte that could drive a terminal: C0 controls (but newline), ESC, DEL, C1. */
function assertInert(frame: string, where: string): void {
  const bad = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/.exec(frame);
  assert.equal(bad, null, `${where}: raw control character ${bad ? JSON.stringify(bad[0]) : ''} in\n${frame}`);
}

test('list: one row per session, the summary, the first row selected', async (t) => {
  const app = render(<TuiApp store={await roundRobinStore()} size={SIZE} title="rr.pcap" />);
  t.after(() => app.unmount());
  const frame = app.lastFrame()!;
  const lines = frame.split('\n');
  assert.equal(lines.length, SIZE.rows - 1, 'the frame is one line short of the terminal');
  assert.match(lines[0]!, /^proxytrace tui  rr\.pcap +sort: time asc  \? help  q quit$/);
  assert.match(lines[1]!, /time\^ +client +frontend -> server +mode request +st +term +c>p B +p>c B +lat ms/);
  const rows = rowsOf(frame);
  assert.equal(rows.length, 13);
  assert.equal(rows.filter((r) => r.includes('fe_http -> be_web/web1')).length, 4);
  assert.equal(rows.filter((r) => r.includes('fe_http -> be_web/web2')).length, 8);
  assert.match(rows[12]!, /^ ! .*fe_http -> <proxy> +http GET \/ +403  PR--/);
  assert.match(frame, /13 sessions, 13 requests \| servers: be_web\/web2 8, be_web\/web1 4, <proxy> 1 \| term: --NI 12, PR-- 1 \| drops: none/);
  assert.match(lines[lines.length - 1]!, /^row 1\/13 /);
  assert.match(await press(app, 'j', 'j', KEY.down), /row 4\/13/);
  assert.match(await press(app, 'G'), /row 13\/13/);
  assert.match(await press(app, 'k', KEY.up), /row 11\/13/);
  assert.match(await press(app, 'g'), /row 1\/13/);
});

test('sort: s cycles the column, S reverses', async (t) => {
  const app = render(<TuiApp store={await roundRobinStore()} size={SIZE} />);
  t.after(() => app.unmount());
  let frame = await press(app, 's');
  assert.match(frame, /sort: client asc/);
  assert.match(frame, /client\^/);
  const clients = rowsOf(frame).map((r) => r.slice(16, 37).trim());
  assert.deepEqual(clients, [...clients].sort());
  frame = await press(app, 's', 's', 'S');
  assert.match(frame, /sort: status desc/);
  assert.match(rowsOf(frame)[0]!, /403  PR--/);
});

test('filter bar: applied as you type, errors shown in place, Esc restores', async (t) => {
  const app = render(<TuiApp store={await roundRobinStore()} size={SIZE} />);
  t.after(() => app.unmount());
  let frame = await press(app, '/', ...'server web1');
  assert.match(frame, /4 of 13 sessions, 4 requests \| servers: be_web\/web1 4/);
  assert.equal(rowsOf(frame).length, 4);
  assert.match(frame, /typing a filter: Enter applies, Esc cancels/);
  frame = await press(app, ...' & (');
  const lines = frame.split('\n');
  const bar = lines.findIndex((l) => l.startsWith('/ server web1 & ('));
  assert.ok(bar > 0, frame);
  assert.equal(lines[bar + 1], `${' '.repeat('/ server web1 & ('.length)}^ expected a filter (server, term, status, client, host, method, path, frontend, mode, drops, abnormal)`);
  assert.equal(rowsOf(frame).length, 4, 'the last valid filter stays applied');
  frame = await press(app, KEY.backspace, KEY.backspace, KEY.backspace, ...'| status 403', KEY.enter);
  assert.match(frame, /5 of 13 sessions/);
  assert.doesNotMatch(frame, /typing a filter/);
  frame = await press(app, '/', KEY.backspace, KEY.backspace, KEY.backspace, ...'6xx');
  assert.ok(frame.includes(`\n${' '.repeat('/ server web1 | status '.length)}^^^ status takes a code (503), a class (5xx) or none, not '6xx'`), frame);
  frame = await press(app, KEY.esc);
  assert.match(frame, /\/ server web1 \| status 403/);
  assert.match(frame, /5 of 13 sessions/);
  frame = await press(app, 'c');
  assert.match(frame, /13 sessions, 13 requests/);
  frame = await press(app, '/', ...'status 5xx', KEY.enter);
  assert.match(frame, /no session matches/);
  assert.match(frame, /row 0\/0/);
});

test('detail: each tab of a session, Tab and Shift-Tab, numbers, scrolling, back', async (t) => {
  const app = render(<TuiApp store={await roundRobinStore()} size={SIZE} />);
  t.after(() => app.unmount());
  let frame = await press(app, KEY.enter);
  assert.match(frame, /^session 5  http  127\.0\.0\.90:37827 -> fe_http -> be_web\/web2 /m);
  assert.match(frame, / 1 ladder {2}2 headers {2}3 bytes {2}4 verdict /);
  assert.match(frame, /\|            \|----------->\| GET \/ HTTP\/1\.1 \(122 B\)/);
  frame = await press(app, KEY.tab);
  assert.match(frame, /request: client side \(received\) \| server side \(sent\)/);
  assert.match(frame, /^\+ +\| x-forwarded-for: 127\.0\.0\.90$/m);
  frame = await press(app, KEY.tab);
  assert.match(frame, /client -> server  escaped text  server connection 1\/1/);
  assert.match(frame, /^GET \/ HTTP\/1\.1 +\| GET \/ HTTP\/1\.1$/m);
  frame = await press(app, 'x');
  assert.match(frame, /^000000 47 45 54 20 2f 20 48 54 54 50 2f 31 GET \/ HTTP\/1 +\| 000000 47 45 54/m);
  frame = await press(app, 'd');
  assert.match(frame, /server -> client  hex/);
  assert.match(frame, /be_web\/web2 -> proxy +\| proxy -> client \(client connection\)/);
  frame = await press(app, KEY.tab);
  assert.match(frame, /termination --NI  normal end/);
  assert.match(frame, /agrees: termination, status, frontend/);
  frame = await press(app, KEY.shiftTab, KEY.shiftTab, KEY.shiftTab);
  assert.match(frame, /SYN-ACK/);
  frame = await press(app, '2');
  assert.match(frame, /marks: \+ added/);
  frame = await press(app, '3', 'j', 'j');
  assert.match(frame, /lines 1-27 of 27 /, 'no scrolling past the end');
  frame = await press(app, KEY.esc);
  assert.match(frame, /row 1\/13/);
  frame = await press(app, 'G', KEY.enter, '4');
  assert.match(frame, /termination PR--  the proxy aborted/);

  const small = render(<TuiApp store={await roundRobinStore()} size={{ columns: 120, rows: 16 }} />);
  t.after(() => small.unmount());
  frame = await press(small, KEY.enter, '3', 'x', 'j', 'j');
  assert.match(frame, /lines 3-13 of 16 /, 'the hex dump scrolls');
  assert.match(frame.split('\n')[3]!, /^client -> proxy \(client connection\) /, 'two lines down');
  frame = await press(small, 'G');
  assert.match(frame, /lines 6-16 of 16 /);
});

test('help: generated from the keymap, any key closes it', async (t) => {
  const app = render(<TuiApp store={new SessionStore()} size={{ columns: 120, rows: 50 }} />);
  t.after(() => app.unmount());
  const frame = await press(app, '?');
  for (const b of KEYMAP) assert.ok(frame.includes(b.help), `help shows "${b.help}"`);
  assert.match(frame, /^  down j {17}next session/m);
  assert.match(await press(app, 'z'), /no session matches/);

  const short = render(<TuiApp store={new SessionStore()} size={{ columns: 80, rows: 20 }} />);
  t.after(() => short.unmount());
  let shown = await press(short, '?');
  assert.match(shown, /j\/k scroll the help, any other key closes it/);
  assert.doesNotMatch(shown, /list markers/);
  shown = await press(short, 'G');
  assert.match(shown, /list markers: x = bytes dropped/);
  assert.match(await press(short, 'x'), /no session matches/);
});

test('q and Ctrl-C quit', async () => {
  for (const key of ['q', KEY.ctrlC]) {
    const app = render(<TuiApp store={new SessionStore(syntheticSessions(20))} size={SIZE} />);
    await press(app, key);
    const after = app.frames.length;
    await press(app, 'j', 'j');
    assert.equal(app.frames.length, after, 'nothing is drawn after quitting');
    app.unmount();
  }
});

test('a growing store (live mode): rows appear, the cursor stays on its session', async (t) => {
  const store = new SessionStore();
  const states: UiState[] = [];
  const app = render(<TuiApp store={store} size={SIZE} onState={(s) => states.push(s)} />);
  t.after(() => app.unmount());
  assert.match(app.lastFrame()!, /no session matches/);
  const all = syntheticSessions(30, 7);
  store.push(all.slice(0, 10));
  await settle();
  let frame = await press(app, 'j', 'j');
  assert.equal(rowsOf(frame).length, 10);
  assert.match(frame, /row 3\/10/);
  await press(app, 'S');
  store.push(all.slice(10));
  await settle();
  frame = app.lastFrame()!;
  assert.match(frame, /30 sessions/);
  assert.match(frame, /row 28\/30/, 'newest first: the selected session moved down, the cursor with it');
  assert.equal(states[states.length - 1]!.selected, all[2]);
});

test('100 000 sessions: only the visible rows are drawn', async (t) => {
  const store = new SessionStore(syntheticSessions(100_000));
  const app = render(<TuiApp store={store} size={SIZE} />);
  t.after(() => app.unmount());
  let frame = app.lastFrame()!;
  assert.equal(rowsOf(frame).length, SIZE.rows - 1 - 5);
  assert.match(frame, /100000 sessions/);
  frame = await press(app, 'G');
  assert.match(frame, /row 100000\/100000/);
  assert.equal(frame.split('\n').length, SIZE.rows - 1);
  frame = await press(app, KEY.pgdn, 'g', KEY.pgdn);
  assert.match(frame, /row 34\/100000/, 'a page is the rows shown but one');
});

test('hostile session: no captured control byte reaches the terminal, in any view', async (t) => {
  const { session, legs, comparison } = hostileSession();
  const store = new SessionStore([session], legs);
  store.setLogComparison(comparison as never);
  const app = render(<TuiApp store={store} size={{ columns: 160, rows: 60 }} />);
  t.after(() => app.unmount());
  const escaped = '\\x1b[31m\\x1b]0;pwned\\x07\\x1b[2J\\x1b[?1049l\\x9b1m\\x7f';
  const frames: [string, string][] = [['list', app.lastFrame()!]];
  frames.push(['ladder', await press(app, KEY.enter)]);
  frames.push(['headers', await press(app, KEY.tab)]);
  frames.push(['bytes', await press(app, KEY.tab)]);
  frames.push(['bytes, server -> client', await press(app, 'd')]);
  frames.push(['bytes, hex', await press(app, 'x')]);
  frames.push(['verdict', await press(app, KEY.tab)]);
  frames.push(['help', await press(app, '?')]);
  for (const [where, frame] of frames) assertInert(frame, where);
  const [list, ladder, headers, bytes, down, hex, verdict] = frames.map(([, f]) => f);
  assert.ok(list!.includes(`GET /${escaped}`.slice(0, 20)), 'the request line, escaped');
  assert.ok(ladder!.includes(`GET /${escaped} HTTP/1.1`));
  assert.ok(headers!.includes(`X-Evil: ${escaped}`));
  assert.ok(headers!.includes(`X-Evil: changed${escaped}`));
  assert.ok(bytes!.includes(`X-Evil: ${escaped}`));
  assert.ok(down!.includes(`X-Bad: ${escaped}`));
  assert.match(hex!, / 1b 5b 33 31 6d /);
  assert.match(hex!, / 9b /);
  assert.ok(verdict!.includes(`fe${escaped}`));
  assert.ok(verdict!.includes(`cause ${escaped}`));
  assert.ok(EVIL.includes('\x1b'));
});

test('hostile capture through the pipeline: escape sequences in the request line and headers stay inert', async (t) => {
  const r = await analyze({ files: [hostileCapture()], keepLegs: true });
  assert.equal(r.sessions.length, 1);
  assert.equal(r.sessions[0]!.exchanges[0]!.target, '/a\x9b31m\xff');
  const app = render(<TuiApp store={new SessionStore(r.sessions, r.legs)} size={{ columns: 160, rows: 40 }} />);
  t.after(() => app.unmount());
  const frames = [app.lastFrame()!, await press(app, KEY.enter), await press(app, KEY.tab), await press(app, KEY.tab), await press(app, 'd'), await press(app, KEY.tab)];
  frames.forEach((f, i) => assertInert(f, `view ${i}`));
  assert.ok(frames[0]!.includes('GET /a\\x9b31m\\xff'));
  assert.ok(frames[1]!.includes('GET /a\\x9b31m\\xff HTTP/1.1'));
  assert.ok(frames[2]!.includes('X-Evil: \\x1b]0;pwned\\x07\\x1b[2J\\x9b1m'));
  assert.ok(frames[4]!.includes('X-Bad: \\x1b[?1049l'));
  assert.ok(frames[4]!.includes('hi\\x1b[2Jx'));
});
