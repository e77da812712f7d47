/**
 * `proxytrace analyze` end to end on every committed HAProxy capture: HAProxy's own log lines
 * are the oracle, through the real command line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { ROOT } from './helpers/tools.js';

interface Doc {
  sessions: {
    mode: string;
    haproxy: { termination: string } | null;
    exchanges: { serverLeg: number | null; answeredLocally: boolean; status: number | null; rewrites: { request: { added: [string, string][] } | null } }[];
    serverLegs: { name?: string; server: string }[];
    drops: { direction: string; bytes: number; code: string; cause: string }[];
  }[];
  serverOnlyConnections: { kind: string; request?: string }[];
  haproxyLog: { lines: { logged: string; differ: unknown[]; inferred: string | null }[]; unmatched: string[] };
}

function analyze(name: string): Doc {
  const dir = path.join(ROOT, 'captures', name);
  const r = runCli(['analyze', path.join(dir, 'capture.pcap'), '--haproxy-cfg', path.join(dir, 'haproxy.cfg'), '--haproxy-log', path.join(dir, 'haproxy.log'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as Doc;
}

const withLogs = fs.readdirSync(path.join(ROOT, 'captures')).filter((n) => fs.existsSync(path.join(ROOT, 'captures', n, 'capture.pcap')) && fs.existsSync(path.join(ROOT, 'captures', n, 'haproxy.log')));

test('there are HAProxy captures with logs', () => {
  assert.ok(withLogs.length >= 7, withLogs.join(', '));
});

for (const name of withLogs) {
  test(`${name}: every HAProxy log line agrees with what analyze infers from the capture`, () => {
    const doc = analyze(name);
    const traffic = fs.readFileSync(path.join(ROOT, 'captures', name, 'haproxy.log'), 'utf8').split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+:\d+ \[/.test(l));
    assert.equal(doc.haproxyLog.lines.length, traffic.length);
    for (const l of doc.haproxyLog.lines) assert.deepEqual(l.differ, [], `${l.logged}\n${l.inferred}`);
    assert.ok(doc.haproxyLog.lines.every((l) => l.inferred !== null));
    assert.deepEqual(doc.haproxyLog.unmatched, []);
  });
}

test('http-roundrobin: web1 4, web2 8, the wrong Host denied by the proxy, X-Forwarded-For added, health checks', () => {
  const doc = analyze('http-roundrobin');
  const perServer = new Map<string, number>();
  for (const s of doc.sessions) {
    for (const e of s.exchanges) {
      const k = e.serverLeg === null ? 'local' : s.serverLegs[e.serverLeg]!.name!;
      perServer.set(k, (perServer.get(k) ?? 0) + 1);
      if (e.serverLeg !== null) assert.deepEqual(e.rewrites.request?.added, [['x-forwarded-for', '127.0.0.90']]);
      else assert.equal(e.status, 403);
    }
  }
  assert.deepEqual(Object.fromEntries(perServer), { 'be_web/web1': 4, 'be_web/web2': 8, local: 1 });
  const checks = doc.serverOnlyConnections.filter((c) => c.kind === 'health-check');
  assert.ok(checks.length >= 6);
  assert.ok(checks.every((c) => c.request === 'GET /index.html HTTP/1.0'));
});

test('tcp-timeout-server (sD): the server\'s late bytes are dropped toward the client, the client\'s still forwarded', () => {
  const doc = analyze('tcp-timeout-server');
  assert.equal(doc.sessions.length, 1);
  const s = doc.sessions[0]!;
  assert.equal(s.mode, 'tcp');
  assert.equal(s.haproxy?.termination, 'sD');
  assert.deepEqual(s.drops.map((d) => [d.direction, d.bytes, d.code]), [['serverToClient', 4, 'proxy_closed_other_side']]);
  assert.match(s.drops[0]!.cause, /timeout server/);
});

test('tcp-timeout-client (cD): the client\'s late byte reaches the proxy and is never forwarded', () => {
  const doc = analyze('tcp-timeout-client');
  const s = doc.sessions[0]!;
  assert.equal(s.haproxy?.termination, 'cD');
  assert.deepEqual(s.drops.map((d) => [d.direction, d.bytes]), [['clientToServer', 1]]);
  assert.match(s.drops[0]!.cause, /timeout client/);
});

test('--low-memory changes how V8 sizes its heap, not the output; only analyze has it', () => {
  for (const name of ['http-roundrobin', 'tcp-timeout-client']) {
    const file = path.join(ROOT, 'captures', name, 'capture.pcap');
    const plain = runCli(['analyze', file, '--json']);
    const low = runCli(['analyze', file, '--json', '--low-memory']);
    assert.equal(low.status, 0, low.stderr);
    assert.equal(low.stderr, '');
    assert.ok(plain.out.includes('"sessions":[\n{'), name);
    assert.equal(low.out, plain.out, name);
  }
  const conns = runCli(['conns', path.join(ROOT, 'captures', 'http-roundrobin', 'capture.pcap'), '--low-memory']);
  assert.equal(conns.status, 2);
  assert.equal(conns.stderr, "proxytrace: unknown option '--low-memory' (run with --help for usage)\n");
});
