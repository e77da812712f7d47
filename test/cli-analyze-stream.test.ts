/**
 * `proxytrace analyze` output as a stream: --ndjson lines written as sessions complete (seen
 * through a pipe before the rest of the capture is sent), --json with the sessions first and the
 * summary parts after them, the ledger per message part unless --ledger, ASCII only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, runCli } from './helpers/cli.js';
import { writePcap } from './helpers/pcap-writer.js';
import { Conversation, T0, merge } from './helpers/tcp-harness.js';
import { ROOT } from './helpers/tools.js';

interface SessionLine {
  id: string;
  client: string;
  exchanges: { method: string; status: number | null; serverLeg: number | null }[];
  serverLegs: { source: string; server: string }[];
  ledger: { direction: string; part?: string }[];
}

const capture = (name: string): string => path.join(ROOT, 'captures', name, 'capture.pcap');

test('--json: the sessions first, then proxies, server-only connections, captures, errors, stats', () => {
  const r = runCli(['analyze', capture('http-roundrobin'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.out.startsWith('{"formatVersion":1,"sessions":[\n{"id":'), r.out.slice(0, 80));
  assert.match(r.out, /^[\x00-\x7f]*$/, 'ASCII only');
  const doc = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ['formatVersion', 'sessions', 'proxies', 'serverOnlyConnections', 'captures', 'errors', 'stats']);
  assert.equal((doc['sessions'] as unknown[]).length, 13);
});

test('--ndjson: one session per line, the objects of --json', () => {
  for (const name of ['http-keepalive', 'tcp-timeout-server', 'failures']) {
    const nd = runCli(['analyze', capture(name), '--ndjson']);
    const js = runCli(['analyze', capture(name), '--json']);
    const lines = nd.out.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    const doc = JSON.parse(js.out) as { sessions: unknown[] };
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), doc.sessions, name);
  }
});

test('the ledger: one entry per message part (tcp: per direction); --ledger: every stretch', () => {
  const parts = JSON.parse(runCli(['analyze', capture('tcp-timeout-server'), '--json']).out) as { sessions: SessionLine[] };
  const chunks = JSON.parse(runCli(['analyze', capture('tcp-timeout-server'), '--json', '--ledger']).out) as { sessions: SessionLine[] };
  const up = (s: SessionLine): number => s.ledger.filter((l) => l.direction === 'clientToServer').length;
  assert.equal(up(parts.sessions[0]!), 1);
  assert.equal(up(chunks.sessions[0]!), 5);
  const http = JSON.parse(runCli(['analyze', capture('http-roundrobin'), '--json']).out) as { sessions: SessionLine[] };
  for (const s of http.sessions) {
    if (s.exchanges[0]!.serverLeg === null) continue;
    assert.deepEqual(s.ledger.map((l) => `${l.direction} ${l.part}`), ['clientToServer headers', 'serverToClient headers', 'serverToClient body']);
  }
});

/**
 * Sessions through an HTTP proxy 10.0.0.22:80 to 10.0.0.2:80, one request each, one every 4 ms:
 * more legs than the proxy detection holds back, over 16 s of capture time.
 */
function proxiedCapture(sessions: number): Buffer {
  const convs: Conversation[] = [];
  for (let k = 0; k < sessions; k++) {
    const t = 1 + k * 0.004;
    const client = `10.1.${k >> 8}.${k & 255}`;
    const c = new Conversation(`${client}:${20000 + (k % 30000)}`, '10.0.0.22:80', 1000 + k * 7919, 5000 + k * 104729, { t0: t, step: 0.00001 }).handshake();
    const s = new Conversation(`10.0.0.22:${30000 + (k % 30000)}`, '10.0.0.2:80', 9000 + k * 13, 7000 + k * 17, { t0: t + 0.0002, step: 0.00001 }).handshake();
    c.data(0, 'GET /k HTTP/1.1\r\nHost: example.test\r\n\r\n', { at: t + 0.0001 });
    c.ack(1);
    s.data(0, `GET /k HTTP/1.1\r\nhost: example.test\r\nx-forwarded-for: ${client}\r\n\r\n`, { at: t + 0.0004 });
    s.ack(1);
    s.data(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', { at: t + 0.0006 });
    s.ack(0);
    c.data(1, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', { at: t + 0.0007 });
    c.ack(0);
    for (const x of [c, s]) {
      x.fin(0, { at: t + 0.001 });
      x.fin(1);
      x.ack(0);
    }
    convs.push(c, s);
  }
  const records = merge(...convs).map((p) => {
    const whole = Math.floor(p.ts);
    return { tsSec: T0 + whole, tsNsec: Math.round((p.ts - whole) * 1e9), data: p.frame, origLen: p.frame.length };
  });
  return writePcap({ linkType: 1, nanosecond: true, records });
}

test('--ndjson streams: sessions are written while the capture is still coming in', async () => {
  const pcap = proxiedCapture(4000);
  const child = spawn(process.execPath, [CLI, 'analyze', '-', '--ndjson'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('latin1').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

  // Three quarters of the capture (12 s of traffic), then wait for session lines.
  const cut = Math.floor(pcap.length * 0.75);
  child.stdin.write(pcap.subarray(0, cut));
  const deadline = Date.now() + 20_000;
  while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const early = out.split('\n').length - 1;
  child.stdin.end(pcap.subarray(cut));
  assert.equal(await exited, 0, err);
  assert.ok(early >= 1 && early < 4000, `sessions written before the rest of the capture was sent: ${early}`);

  const lines = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SessionLine);
  assert.equal(lines.length, 4000);
  assert.equal(new Set(lines.map((s) => s.id)).size, 4000);
  for (const s of lines) {
    assert.equal(s.exchanges.length, 1);
    assert.equal(s.exchanges[0]!.status, 200);
    assert.equal(s.exchanges[0]!.serverLeg, 0);
    // The server leg is the one carrying this client's address in X-Forwarded-For.
    const k = s.client.split(':')[0]!.split('.').slice(2).map(Number);
    assert.equal(s.serverLegs[0]!.source, `10.0.0.22:${30000 + ((k[0]! << 8) + k[1]!)}`);
  }
});
