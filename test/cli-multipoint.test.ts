/**
 * Several capture points end to end, on the committed multipoint captures (captures/multipoint):
 * client, proxy, web1 and web2 as network namespaces of one machine (true offsets 0), with
 * editcap copies shifted by +0.350 s (web1) and -0.250 s (client), and the proxy's capture split
 * by interface (front.pcap, back.pcap). The set must tell the same story as the proxy's capture.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';

const DIR = path.join('captures', 'multipoint');
const f = (name: string): string => path.join(DIR, name);
const SET = ['proxy.pcap', 'client-shifted.pcap', 'web1-shifted.pcap', 'web2.pcap'].map(f);
const CFG = ['--haproxy-cfg', f('haproxy.cfg'), '--haproxy-log', f('haproxy.log')];

interface Point {
  file: string;
  reference: boolean;
  offsetSeconds: number | null;
  uncertaintySeconds: number | null;
  source: string;
  evidence: string;
  residualsMs: { median: number; max: number } | null;
  sees?: { connections: number; clientLegs: number; serverLegs: number; hosts: { clients: string[]; proxy: string[]; servers: string[] } };
}
interface Doc {
  sessions: { id: string; drops: unknown[]; serverLegs: { server: string }[]; exchanges: { haproxy: { timers: Record<string, number> } | null }[] }[];
  proxies: unknown;
  serverOnlyConnections: unknown;
  haproxyLog?: { lines: { agree: boolean; differ: string[] }[]; unmatched: string[] };
  stats: { duplicateFrames: number };
  capturePoints?: Point[];
}

function analyze(args: string[], stderr = ''): Doc {
  const r = runCli(['analyze', '--json', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, stderr);
  return JSON.parse(r.out) as Doc;
}

const proxyAlone = analyze([f('proxy.pcap'), ...CFG]);

test('the offsets applied are within 1 ms of the truth, strong, with their uncertainty and residuals', () => {
  const d = analyze([...SET, ...CFG]);
  const truth: Record<string, number> = { 'proxy.pcap': 0, 'client-shifted.pcap': -0.25, 'web1-shifted.pcap': 0.35, 'web2.pcap': 0 };
  assert.deepEqual(d.capturePoints!.map((p) => path.basename(p.file)), Object.keys(truth));
  for (const p of d.capturePoints!) {
    const t = truth[path.basename(p.file)]!;
    assert.ok(Math.abs(p.offsetSeconds! - t) < 0.001, `${p.file}: ${p.offsetSeconds} vs ${t}`);
    assert.equal(p.evidence, 'strong', p.file);
    assert.ok(p.uncertaintySeconds! < 0.0001, `${p.file}: uncertainty ${p.uncertaintySeconds}`);
    assert.ok(p.residualsMs !== null && p.residualsMs.max < 0.1, `${p.file}: residuals ${JSON.stringify(p.residualsMs)}`);
  }
  assert.deepEqual(d.capturePoints!.map((p) => [p.reference, p.source]), [[true, 'reference'], [false, 'estimate'], [false, 'estimate'], [false, 'estimate']]);
  // Which hosts and legs each point saw.
  assert.deepEqual(d.capturePoints!.map((p) => [p.sees!.connections, p.sees!.clientLegs, p.sees!.serverLegs]), [[45, 20, 25], [20, 20, 0], [13, 0, 13], [12, 0, 12]]);
  assert.deepEqual(d.capturePoints![0]!.sees!.hosts, { clients: ['198.18.1.10'], proxy: ['198.18.1.1', '198.18.2.1'], servers: ['198.18.2.11:80', '198.18.2.12:80'], more: 0 });
  assert.deepEqual(d.capturePoints![2]!.sees!.hosts, { clients: [], proxy: ['198.18.2.1'], servers: ['198.18.2.11:80'], more: 0 });
});

test('the set tells the same story as the proxy\'s capture: sessions, servers, timers, bytes, log lines', () => {
  const d = analyze([...SET, ...CFG]);
  assert.equal(proxyAlone.sessions.length, 20);
  assert.deepEqual(d.sessions, proxyAlone.sessions);
  assert.deepEqual(d.proxies, proxyAlone.proxies);
  assert.deepEqual(d.serverOnlyConnections, proxyAlone.serverOnlyConnections);
  // The log comparison: every one of the 20 lines agrees, for the set as for the proxy's file.
  assert.deepEqual(d.haproxyLog, proxyAlone.haproxyLog);
  assert.equal(d.haproxyLog!.lines.length, 20);
  assert.ok(d.haproxyLog!.lines.every((l) => l.agree && l.differ.length === 0), JSON.stringify(d.haproxyLog!.lines.filter((l) => !l.agree)));
  // A segment seen at two points is one segment seen twice: no duplicate, no drop.
  assert.equal(d.stats.duplicateFrames, 0);
  assert.ok(d.sessions.every((s) => s.drops.length === 0));
  // The file order does not matter: the proxy's view is preferred wherever it comes.
  const reordered = analyze([f('web2.pcap'), f('client-shifted.pcap'), f('proxy.pcap'), f('web1-shifted.pcap'), ...CFG]);
  assert.deepEqual(reordered.sessions, proxyAlone.sessions);
  assert.equal(reordered.capturePoints!.find((p) => p.reference)!.file, f('proxy.pcap'));
});

test('the proxy captured on its front and back interfaces separately: same story once the two are tied', () => {
  const files = ['front.pcap', 'back.pcap', 'client-shifted.pcap', 'web1-shifted.pcap', 'web2.pcap'].map(f);
  // front and back share no connection (different legs): nothing ties front, nor the client
  // through it, to the reference. Said, not guessed.
  const r = runCli(['analyze', '--json', ...files, ...CFG]);
  assert.equal(r.status, 0);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    `proxytrace: warning: ${f('front.pcap')}: offset unknown, not guessed: no TCP connection in common with ${f('back.pcap')} (the reference), and no other capture ties it to the reference`,
    `proxytrace: warning: ${f('client-shifted.pcap')}: offset unknown, not guessed: no TCP connection in common with ${f('back.pcap')} (the reference), and no other capture ties it to the reference`,
  ]);
  const unknown = (JSON.parse(r.out) as Doc).capturePoints!;
  assert.deepEqual(unknown.map((p) => [p.offsetSeconds, p.source]), [[null, 'none'], [0, 'reference'], [null, 'none'], [0.35, 'estimate'], [0, 'estimate']]);
  // Both interfaces are one host, one clock: --clock-offset ties them, and the client follows.
  const d = analyze([...files, ...CFG, '--clock-offset', 'front.pcap=0']);
  assert.deepEqual(d.capturePoints!.map((p) => [p.source, p.offsetSeconds === null ? null : Math.round(p.offsetSeconds * 1e3) / 1e3]), [
    ['override', 0], ['reference', 0], ['estimate', -0.25], ['estimate', 0.35], ['estimate', 0],
  ]);
  assert.deepEqual(d.sessions, proxyAlone.sessions);
  assert.deepEqual(d.haproxyLog, proxyAlone.haproxyLog);
});

test('two files with no connection in common: one line says so, the offset stays unknown', () => {
  const r = runCli(['analyze', '--json', f('client.pcap'), f('web1.pcap')]);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, `proxytrace: warning: ${f('web1.pcap')}: offset unknown, not guessed: no TCP connection in common with ${f('client.pcap')} (the reference), and no other capture ties it to the reference\n`);
  const d = JSON.parse(r.out) as Doc;
  assert.deepEqual(d.capturePoints!.map((p) => [p.offsetSeconds, p.uncertaintySeconds, p.source, p.evidence]), [[0, 0, 'reference', 'strong'], [null, null, 'none', 'none']]);
  // The text summary says it too.
  const t = runCli(['analyze', f('client.pcap'), f('web1.pcap')]);
  assert.match(t.out, /Capture points \(clock reference: .*client\.pcap\):\n {2}.*client\.pcap {2}reference clock\n.*\n {2}.*web1\.pcap {4}offset unknown, not corrected\n/);
});

test('--clock-offset wins over the estimate, and ties files the captures cannot', () => {
  // Without the proxy's file the client and the servers share nothing: unknown, said twice.
  const noProxy = [f('client-shifted.pcap'), f('web1-shifted.pcap'), f('web2.pcap')];
  const r = runCli(['analyze', '--json', ...noProxy, ...CFG]);
  assert.equal(r.stderr.trimEnd().split('\n').length, 2, r.stderr);
  // Uncorrected, the server legs come 0.6 s and 0.25 s after the client legs they serve: no
  // server leg opens while its client leg is open, so no proxy, no session.
  assert.equal((JSON.parse(r.out) as Doc).sessions.length, 0);
  // Given by hand (relative to the reference, client-shifted.pcap: truth web1 +0.600, web2 +0.250),
  // the client legs pair with the server legs as on the proxy: same servers, timers within 1 ms.
  const d = analyze([...noProxy, ...CFG, '--clock-offset', 'web1-shifted.pcap=+0.600', '--clock-offset', `${f('web2.pcap')}=250ms`]);
  assert.deepEqual(d.capturePoints!.map((p) => [p.source, p.offsetSeconds]), [['reference', 0], ['override', 0.6], ['override', 0.25]]);
  assert.deepEqual(d.sessions.map((s) => s.serverLegs.map((l) => l.server)), proxyAlone.sessions.map((s) => s.serverLegs.map((l) => l.server)));
  d.sessions.forEach((s, i) => {
    const a = s.exchanges[0]!.haproxy!.timers;
    const b = proxyAlone.sessions[i]!.exchanges[0]!.haproxy!.timers;
    for (const k of Object.keys(b)) assert.ok(Math.abs(a[k]! - b[k]!) <= 1, `session ${i} ${k}: ${a[k]} vs ${b[k]}`);
  });
  // Over an estimate: it wins, with one line saying by how much they disagree.
  const o = runCli(['analyze', '--json', ...SET, '--clock-offset', 'web1-shifted.pcap=+0.3']);
  assert.equal(o.stderr, 'proxytrace: warning: captures/multipoint/web1-shifted.pcap: --clock-offset +0.300000 s wins over the estimate +0.350000 s +/- 0.001 ms from the captures\n');
  const web1 = (JSON.parse(o.out) as Doc).capturePoints![2]!;
  assert.deepEqual([web1.source, web1.offsetSeconds], ['override', 0.3]);
  // One file: there is nothing to offset.
  const one = runCli(['analyze', f('proxy.pcap'), '--clock-offset', 'proxy.pcap=+1']);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /^proxytrace: --clock-offset needs two capture files or more/);
});

test('stdin is read once: it is the reference, the others need --clock-offset', async () => {
  const fs = await import('node:fs');
  const input = fs.readFileSync(f('proxy.pcap'));
  const r = runCli(['analyze', '--json', '-', f('web1-shifted.pcap')], { input });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /^proxytrace: warning: captures\/multipoint\/web1-shifted\.pcap: offset unknown, not estimated: stdin \(-\) can be read only once.*\n$/);
  const given = runCli(['analyze', '--json', '-', f('web1-shifted.pcap'), '--clock-offset', 'web1-shifted.pcap=0.35', ...CFG], { input });
  assert.equal(given.stderr, '');
  assert.deepEqual((JSON.parse(given.out) as Doc).sessions, proxyAlone.sessions);
});

interface Conn { id: string; client: string; server: string; captures: number[]; packets: unknown; bytes: unknown; retransmittedBytes: unknown; history: string }

test('conns lists each connection once, with the points that saw it', () => {
  const conns = (args: string[]): { connections: Conn[]; capturePoints?: Point[] } => {
    const r = runCli(['conns', '--json', ...args]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return JSON.parse(r.out) as { connections: Conn[]; capturePoints?: Point[] };
  };
  const byId = (cs: Conn[]): Conn[] => [...cs].sort((a, b) => Number(a.id) - Number(b.id));
  const alone = byId(conns([f('proxy.pcap')]).connections);
  const set = conns(SET);
  const all = byId(set.connections);
  assert.equal(all.length, 45);
  const strip = ({ captures: _, ...c }: Conn): Omit<Conn, 'captures'> => c;
  assert.deepEqual(all.map(strip), alone.map(strip));
  const seen = (c: Conn): string => c.captures.join(',');
  assert.equal(all.filter((c) => seen(c) === '0,1').length, 20, 'client legs: proxy and client');
  assert.equal(all.filter((c) => seen(c) === '0,2').length, 13, 'to web1: proxy and web1');
  assert.equal(all.filter((c) => seen(c) === '0,3').length, 12, 'to web2: proxy and web2');
  assert.equal(set.capturePoints!.length, 4);
  // The table: one row each, a SEEN IN column, the files numbered.
  const t = runCli(['conns', ...SET]);
  const rows = t.out.split('\n');
  assert.match(rows[0]!, /HISTORY +SEEN IN +NOTES$/);
  assert.equal(rows.filter((l) => /^ *\d+  \d\d:\d\d:/.test(l)).length, 45);
  assert.match(t.out, /\n\[1\] captures\/multipoint\/client-shifted\.pcap: pcap, EN10MB, 190 packets\n/);
  assert.match(t.out, /\n45 TCP connections\n/);
});
