/**
 * The detail tabs' view models on real captures: the ladder (messages, FIN/RST, the timeout
 * close, drops dying at the proxy), the headers diff, both legs' bytes, the verdict against
 * HAProxy's own log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { compareWithLog, verdictsOf } from '../src/correlate/haproxy/compare-log.js';
import { parseHaproxyConfig } from '../src/correlate/haproxy/config.js';
import { parseHaproxyLogLine } from '../src/correlate/haproxy/log-line.js';
import type { Leg, Session } from '../src/correlate/model.js';
import { analyze } from '../src/pipeline.js';
import { bytesLines, hexRows } from '../src/tui/bytes-view.js';
import { diffHeaders, headersLines } from '../src/tui/headers-view.js';
import { ladderLines } from '../src/tui/ladder.js';
import { lineText, type Line } from '../src/tui/text-line.js';
import { differenceMarks, explainTermination, indexComparisons, verdictLines } from '../src/tui/verdict-view.js';
import { ROOT } from './helpers/tools.js';

interface Loaded {
  sessions: Session[];
  legs: Map<string, Leg>;
  logIndex: ReturnType<typeof indexComparisons>;
}

async function load(scenario: string): Promise<Loaded> {
  const dir = path.join(ROOT, 'captures', scenario);
  const cfg = parseHaproxyConfig(fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8'), 'haproxy.cfg');
  const r = await analyze({ files: [path.join(dir, 'capture.pcap')], keepLegs: true, haproxyConfig: cfg });
  assert.ok(r.legs, 'keepLegs returns the legs');
  const log = fs.readFileSync(path.join(dir, 'haproxy.log'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => parseHaproxyLogLine(l));
  return { sessions: r.sessions, legs: r.legs, logIndex: indexComparisons(compareWithLog(verdictsOf(r.sessions), log).lines) };
}

const text = (lines: readonly Line[]): string[] => lines.map(lineText);

test('keepLegs: analyze returns every leg a session refers to, with its head bytes', async () => {
  const { sessions, legs } = await load('http-roundrobin');
  for (const s of sessions) {
    assert.ok(legs.has(s.id));
    for (const r of s.serverLegs) assert.ok(legs.has(r.leg));
    assert.equal(legs.get(s.id)!.dirs[0].head.length, s.bytes.clientToProxy);
  }
});

test('ladder, http: connects, one arrow per message in time order, FIN and RST', async () => {
  const { sessions, legs } = await load('http-roundrobin');
  const s = sessions[0]!;
  assert.equal(s.serverLegs[0]?.name, 'be_web/web2');
  const lines = text(ladderLines(s, legs, 120));
  assert.match(lines[0]!, /ms client +proxy +server/);
  const arrows = lines.slice(1).map((l) => l.replace(/^ +\+[\d.]+ /, ''));
  assert.deepEqual(arrows.map((l) => l.replace(/ \(\d+ B\)/, '')), [
    '|----------->|            | SYN',
    '|<-----------|            | SYN-ACK',
    '|----------->|            | GET / HTTP/1.1',
    '|            |----------->| SYN',
    '|            |<-----------| SYN-ACK',
    '|            |----------->| GET / HTTP/1.1',
    '|            |<-----------| 200 OK',
    '|<-----------|            | 200 OK',
    '|<-----------|            | FIN',
    '|            |----------->| RST',
    '|----------->|            | FIN',
  ]);
  const times = lines.slice(1).map((l) => Number(/\+([\d.]+)/.exec(l)![1]));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.equal(times[0], 0);
});

test('ladder, tcp with a server timeout: the proxy\'s FIN marked as the timeout, dropped chunks die at the proxy', async () => {
  const { sessions, legs } = await load('tcp-timeout-server');
  const lines = text(ladderLines(sessions[0]!, legs, 120));
  const fin = lines.find((l) => l.includes('FIN  <- timeout'))!;
  assert.match(fin, /\|<-----------\| +\| FIN  <- timeout \(server side\)/);
  const dropped = lines.filter((l) => /X<-----------\| 1 B @\d "[b-e]"  dropped/.test(l));
  assert.equal(dropped.length, 4, lines.join('\n'));
  assert.match(lines.join('\n'), /\| +X +\| 4 B dropped by the proxy server -> client \(proxy_closed_other_side\)/);
  assert.match(lines.join('\n'), /on timeout server/);
  // Every dropped chunk comes after the timeout close.
  const at = (l: string): number => Number(/\+([\d.]+)/.exec(l)![1]);
  for (const d of dropped) assert.ok(at(d) > at(fin));
});

test('ladder, no server: the request dies at the proxy, the 503 is the proxy\'s own', async () => {
  const { sessions, legs } = await load('http-server-down');
  const s = sessions.find((x) => x.drops.length > 0)!;
  const all = text(ladderLines(s, legs, 120)).join('\n');
  assert.match(all, /\|----------->X +\| \d+ B dropped by the proxy client -> server \(server_never_connected\)/);
  assert.match(all, /\|<-----------\| +\| 503 Service Unavailable \(\d+ B\) \(answered by the proxy\)/);
});

test('headers: rows paired by name, marks for added, removed, changed, case', () => {
  const rows = diffHeaders(
    [['Host', 'a'], ['X-Old', '1'], ['Accept', 'x'], ['Cookie', 'c1'], ['Cookie', 'c2']],
    [['host', 'a'], ['Accept', 'y'], ['cookie', 'c1'], ['Cookie', 'c3'], ['X-Forwarded-For', '10.0.0.1']],
  );
  assert.deepEqual(rows.map((r) => [r.marks.join(''), r.before?.[0] ?? null, r.after?.[0] ?? null]), [
    ['c', 'Host', 'host'], ['-', 'X-Old', null], ['~', 'Accept', 'Accept'], ['c', 'Cookie', 'cookie'], ['~', 'Cookie', 'Cookie'], ['+', null, 'X-Forwarded-For'],
  ]);
});

test('headers tab: client side vs server side, the proxy\'s additions marked', async () => {
  const { sessions, legs } = await load('http-roundrobin');
  const s = sessions[0]!;
  const lines = text(headersLines(s, legs, 0, 120));
  assert.match(lines[0]!, /^exchange 1\/1: GET \/ -> be_web\/web2: 200/);
  assert.ok(lines.some((l) => /^\+ +\| x-forwarded-for: 127\.0\.0\.90$/.test(l)));
  assert.ok(lines.some((l) => /^c +User-Agent: proxytrace-capture\/1 +\| user-agent: proxytrace-capture\/1$/.test(l)));
  assert.ok(lines.some((l) => /^\+ +\| set-cookie: SERVERID=web2; path=\/$/.test(l)));
  assert.ok(lines.includes('response: server side (received) | client side (sent)'));
  // Without legs: the rewrites only.
  const bare = text(headersLines(s, undefined, 0, 120));
  assert.ok(bare.includes('+ request x-forwarded-for: 127.0.0.90'));
  // The denied request: nothing forwarded.
  const denied = sessions.find((x) => x.exchanges[0]?.answeredLocally)!;
  assert.match(text(headersLines(denied, legs, 0, 120)).join('\n'), /\| \(not forwarded: answered by the proxy\)/);
});

test('bytes tab: both legs side by side, hold times, drops, hex', async () => {
  const rr = await load('http-roundrobin');
  const s = rr.sessions[0]!;
  const up = text(bytesLines(s, rr.legs, { serverLeg: 0, direction: 'up', hex: false, width: 120 }));
  assert.match(up[2]!, /^client -> proxy \(client connection\) +\| proxy -> be_web\/web2$/);
  assert.ok(up.some((l) => /^@0 93 B \+[\d.]+ ms  held [\d.]+ ms +\| @0 122 B \+[\d.]+ ms$/.test(l)));
  assert.ok(up.some((l) => /^Host: ww1\.itnihao\.cn +\| host: ww1\.itnihao\.cn$/.test(l)));
  const hex = text(bytesLines(s, rr.legs, { serverLeg: 0, direction: 'up', hex: true, width: 120 }));
  assert.ok(hex.some((l) => l.startsWith('000000 47 45 54 20 2f 20 48 54 54 50 2f 31 GET / HTTP/1 ')));
  const tcp = await load('tcp-timeout-server');
  const down = text(bytesLines(tcp.sessions[0]!, tcp.legs, { serverLeg: 0, direction: 'down', hex: false, width: 120 }));
  assert.equal(down.filter((l) => /DROPPED \(proxy_closed_other_side\)/.test(l)).length, 4);
  assert.ok(down.some((l) => /^@0 1 B \+[\d.]+ ms  held [\d.]+ ms +\| @0 1 B/.test(l)));
  assert.deepEqual(text(bytesLines(s, undefined, { serverLeg: 0, direction: 'up', hex: false, width: 120 })), ['(legs not kept: no bytes to show)']);
  assert.deepEqual(hexRows(new Uint8Array([0x41, 0x1b, 0x0a, 0xff, 0x42]), 16, 4), ['000010 41 1b 0a ff A...', '000014 42          B']);
});

test('verdict tab: inferred and logged lines; differences marked under their fields', async () => {
  const { sessions, logIndex } = await load('http-roundrobin');
  const lines = text(verdictLines(sessions[0]!, logIndex, 200));
  assert.ok(lines.some((l) => l.startsWith('  termination --NI  normal end')));
  assert.ok(lines.some((l) => /^  inferred: 127\.0\.0\.90:37827 \[/.test(l)));
  assert.ok(lines.some((l) => /^  logged: +127\.0\.0\.90:37827 \[/.test(l)));
  assert.ok(lines.some((l) => /^  agrees: termination, status, frontend, backend, server, TR, Tw, Tc, Tr, Ta, bytesRead$/.test(l)));
  assert.match(text(verdictLines(sessions[0]!, null, 200))[0]!, /no --haproxy-log/);

  // A made-up disagreement: the marks sit under the termination state and the timers.
  const cmp = [...logIndex.values()][0]!;
  const message = '127.0.0.90:37827 [21/Nov/2026:07:55:22.826] fe_http be_web/web2 0/0/0/2/2 200 209 - - --NI 1/1/0/0/0 0/0 "GET / HTTP/1.1"';
  const marks = differenceMarks(message, { ...cmp, differ: [{ field: 'termination', logged: '--NI', inferred: 'sD--' }, { field: 'Tr', logged: 2, inferred: 5 }] });
  assert.equal(marks, `${' '.repeat(message.indexOf('0/0/0/2/2'))}^^^^^^^^^${' '.repeat(message.indexOf('--NI') - message.indexOf('0/0/0/2/2') - 9)}^^^^`);
  assert.equal(explainTermination('sD'), 'a server-side timeout expired, in the data phase');
  assert.equal(explainTermination('PR--'), 'the proxy aborted (deny, internal error), waiting for the request');
});
