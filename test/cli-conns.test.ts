/**
 * `proxytrace conns` end to end: the real CLI on committed real captures, checked against values
 * derived independently (tshark, the file layout, the scenario's README) and the JSON schema.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packetsToPcap, runCli, runShell, tshark } from './helpers/cli.js';
import { gzip, writeTemp } from './helpers/pcap-writer.js';
import { handshake, pattern } from './helpers/tcp-harness.js';
import { needTool, ROOT } from './helpers/tools.js';

const RR = 'captures/http-roundrobin/capture.pcap';
const KA = 'captures/http-keepalive/capture.pcap';
const SCHEMA = path.join(ROOT, 'docs', 'conns.schema.json');

interface Dirs { clientToServer: number; serverToClient: number }
interface Conn {
  id: string; client: string; server: string; start: number; end: number;
  bytes: Dirs; missedBytes: Dirs; state: string; history: string; captures?: number[];
  [k: string]: unknown;
}
interface Doc {
  formatVersion: number;
  connections: Conn[];
  captures: { file: string; format: string; compressed: string | null; linkTypes: string[]; packets: number }[];
  errors: string[];
  stats?: Record<string, unknown>;
}

function connsJson(args: string[], input?: Buffer, stderr = ''): Doc {
  const r = runCli(['conns', '--json', ...args], input ? { input } : {});
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, stderr);
  return JSON.parse(r.out) as Doc;
}

/** Two captures of different times are two capture points with no connection in common: said once. */
const NOTHING_IN_COMMON = `proxytrace: warning: ${RR}: offset unknown, not guessed: no TCP connection in common with ${KA} (the reference), and no other capture ties it to the reference\n`;

const byId = (cs: Conn[]): Conn[] => [...cs].sort((a, b) => Number(a.id) - Number(b.id));

/** One TCP stream as tshark sees it. */
interface TsStream { client: string; server: string; c2s: number; s2c: number; first: string; finC: boolean; finS: boolean; rstC: boolean; rstS: boolean }

/** Per tcp.stream (in tshark's order: first packet), from the packets themselves. */
function tsharkStreams(file: string): TsStream[] {
  const out = tshark(['-r', file, '-T', 'fields', '-E', 'separator=,', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'tcp.srcport',
    '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'tcp.len', '-e', 'tcp.flags', '-e', 'frame.time_epoch']);
  const streams: TsStream[] = [];
  for (const line of out.trim().split('\n')) {
    const [s, src, sp, dst, dp, len, flags, t] = line.split(',');
    const from = `${src}:${sp}`;
    const to = `${dst}:${dp}`;
    const f = parseInt(flags!, 16);
    let st = streams[Number(s)];
    if (!st) {
      // The capture holds every handshake: the first packet is the client's SYN.
      assert.equal(f & 0x12, 0x02, `stream ${s} starts with a SYN`);
      st = streams[Number(s)] = { client: from, server: to, c2s: 0, s2c: 0, first: t!, finC: false, finS: false, rstC: false, rstS: false };
    }
    const c = from === st.client;
    if (c) st.c2s += Number(len); else st.s2c += Number(len);
    if (f & 1) { if (c) st.finC = true; else st.finS = true; }
    if (f & 4) { if (c) st.rstC = true; else st.rstS = true; }
  }
  return streams;
}

/** "07:55:22.824046" (UTC) from tshark's epoch text, without floating point. */
function clock(epochText: string): string {
  const [sec, frac = ''] = epochText.split('.');
  return `${new Date(Number(sec) * 1000).toISOString().slice(11, 19)}.${frac.padEnd(6, '0').slice(0, 6)}`;
}

test('conns table on http-roundrobin: one row per TCP connection, values as tshark sees them', (t) => {
  const r = runCli(['conns', RR]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^ID\s+START \(UTC\)\s+DURATION\s+CLIENT\s+SERVER\s+C>S BYTES\s+S>C BYTES\s+MISSED\s+STATE\s+HISTORY\s+NOTES$/);
  const blank = lines.indexOf('');
  const rows = lines.slice(1, blank).map((l) => l.trim().split(/\s+/));
  // The README: 13 client-side + 12 server-side for requests + 8 health checks.
  assert.equal(rows.length, 33);
  assert.deepEqual(lines.slice(blank + 1), [`${RR}: pcap, EN10MB, 279 packets`, '33 TCP connections', '']);
  assert.deepEqual(rows.map((row) => row[0]), Array.from({ length: 33 }, (_, i) => String(i + 1)));

  // The first request of the README: client 127.0.0.90 to HAProxy, `GET /` answered 200 by web2.
  const row = rows.find((x) => x[3] === '127.0.0.90:37827');
  assert.deepEqual(row, ['5', '07:55:22.824046', '0.010552', '127.0.0.90:37827', '127.0.0.22:80', '93', '264', '0', 'SF', 'ShADdfFa']);
  // The first health check: HAProxy (source 127.0.0.22) to web1, aborted with RST by HAProxy.
  assert.deepEqual(rows[0], ['1', '07:55:19.704048', '0.003913', '127.0.0.22:55122', '127.0.0.2:80', '28', '229', '0', 'RSTO', 'ShDadR']);
  // `GET /index.html HTTP/1.0\r\n\r\n` is the 28-byte health check request.
  assert.equal('GET /index.html HTTP/1.0\r\n\r\n'.length, 28);

  if (!needTool(t, 'tshark')) return;
  const streams = tsharkStreams(path.join(ROOT, RR));
  assert.equal(streams.length, rows.length, 'tshark counts as many TCP streams as the table has rows');
  assert.equal(tshark(['-r', path.join(ROOT, RR), '-Y', 'tcp.analysis.retransmission or tcp.analysis.lost_segment']).trim(), '',
    'no retransmission nor loss: payload bytes each way are the sum of tcp.len');
  for (const [i, s] of streams.entries()) {
    const row = rows[i]!;
    const state = s.rstC ? 'RSTO' : s.rstS ? 'RSTR' : s.finC && s.finS ? 'SF' : '?';
    assert.deepEqual(
      [row[1], row[3], row[4], row[5], row[6], row[7], row[8]],
      [clock(s.first), s.client, s.server, String(s.c2s), String(s.s2c), '0', state],
      `row ${i + 1}`,
    );
  }
});

test('conns --json: the contract, the schema, and packets equal to tshark frame count', (t) => {
  const doc = connsJson([RR]);
  assert.equal(doc.formatVersion, 1);
  assert.deepEqual(doc.errors, []);
  assert.equal(doc.captures.length, 1);
  const cap = doc.captures[0]!;
  assert.deepEqual({ file: cap.file, format: cap.format, compressed: cap.compressed, linkTypes: cap.linkTypes }, { file: RR, format: 'pcap', compressed: null, linkTypes: ['EN10MB'] });
  assert.equal(doc.connections.length, 33);
  const ids = doc.connections.map((c) => Number(c.id)).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 33 }, (_, i) => i + 1), 'ids 1..33, each once');
  for (const c of doc.connections) {
    for (const k of ['id', 'client', 'server', 'start', 'end', 'bytes', 'missedBytes', 'state', 'history']) assert.ok(k in c, `connection ${c.id} has ${k}`);
    assert.equal(typeof c.id, 'string');
    assert.match(c.client, /^\d+\.\d+\.\d+\.\d+:\d+$/);
    assert.match(c.server, /^\d+\.\d+\.\d+\.\d+:\d+$/);
    assert.ok(typeof c.start === 'number' && typeof c.end === 'number' && c.start <= c.end);
    assert.deepEqual(Object.keys(c.bytes).sort(), ['clientToServer', 'serverToClient']);
    assert.deepEqual(c.missedBytes, { clientToServer: 0, serverToClient: 0 });
    assert.match(c.state, /^(S0|S1|SF|REJ|S2|S3|RSTO|RSTR|RSTOS0|RSTRH|SH|SHR|OTH)$/);
    assert.equal(typeof c.history, 'string');
  }
  const c5 = doc.connections.find((c) => c.id === '5')!;
  assert.deepEqual(
    { client: c5.client, server: c5.server, start: c5.start, end: c5.end, bytes: c5.bytes, state: c5.state, history: c5.history },
    { client: '127.0.0.90:37827', server: '127.0.0.22:80', start: 1795247722.824046, end: 1795247722.834598,
      bytes: { clientToServer: 93, serverToClient: 264 }, state: 'SF', history: 'ShADdfFa' },
  );

  if (!needTool(t, 'tshark')) return;
  const frames = tshark(['-r', path.join(ROOT, RR), '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length;
  assert.equal(cap.packets, frames);
  assert.equal(frames, 279);
});

test('conns --json validates against docs/conns.schema.json', async () => {
  assert.ok(fs.existsSync(SCHEMA), `docs/conns.schema.json is missing: the JSON contract (docs/json-contract.md) needs its schema at ${SCHEMA}`);
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as { $schema?: string };
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const { Ajv } = await import('ajv');
  const ajv = String(schema.$schema ?? '').includes('2020-12') ? new Ajv2020({ strict: true, allErrors: true }) : new Ajv({ strict: true, allErrors: true });
  const validate = ajv.compile(schema);
  const docs = [connsJson([RR]), connsJson([KA, RR], undefined, NOTHING_IN_COMMON), connsJson(['captures/multipoint/proxy.pcap', 'captures/multipoint/web2.pcap'])];
  for (const doc of docs) assert.ok(validate(doc), ajv.errorsText(validate.errors, { separator: '\n' }));
  // And the schema is not vacuous: a broken document fails.
  const bad = structuredClone(docs[0]!) as unknown as { connections: Record<string, unknown>[] };
  delete bad.connections[0]!['bytes'];
  assert.equal(validate(bad), false, 'a connection without bytes must not validate');
  const bad2 = structuredClone(docs[0]!);
  bad2.formatVersion = 2;
  assert.equal(validate(bad2), false, 'formatVersion 2 must not validate');
});

test('two different captures merge: counts add up, ids follow time across files', () => {
  const rr = connsJson([RR]);
  const ka = connsJson([KA]);
  assert.equal(ka.connections.length, 4);
  // Files given in reverse time order: keep-alive (07:56) first, round-robin (07:55) second.
  const both = connsJson([KA, RR], undefined, NOTHING_IN_COMMON);
  assert.equal(both.connections.length, rr.connections.length + ka.connections.length);
  assert.deepEqual(both.captures.map((c) => [c.file, c.packets]), [[KA, ka.captures[0]!.packets], [RR, rr.captures[0]!.packets]]);
  const sorted = byId(both.connections);
  assert.deepEqual(sorted.map((c) => c.id), sorted.map((_, i) => String(i + 1)));
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.start >= sorted[i - 1]!.start, `start of ${sorted[i]!.id} >= start of ${sorted[i - 1]!.id}`);
  // The earlier capture's connections come first, each tagged with its file's index.
  const strip = (c: Conn) => ({ client: c.client, server: c.server, start: c.start, end: c.end, bytes: c.bytes, state: c.state, history: c.history });
  assert.deepEqual(sorted.slice(0, 33).map(strip), byId(rr.connections).map(strip));
  assert.deepEqual(sorted.slice(33).map(strip), byId(ka.connections).map(strip));
  assert.ok(sorted.slice(0, 33).every((c) => JSON.stringify(c.captures) === '[1]'));
  assert.ok(sorted.slice(33).every((c) => JSON.stringify(c.captures) === '[0]'));
});

test('"-" reads stdin, a gzip copy and a pcapng copy give the same connections', (t) => {
  const plain = connsJson([RR]);
  const bytes = fs.readFileSync(path.join(ROOT, RR));
  const fromStdin = connsJson(['-'], bytes);
  assert.deepEqual(fromStdin.connections, plain.connections);
  assert.deepEqual(fromStdin.captures, [{ ...plain.captures[0]!, file: '-' }]);

  const gzFile = writeTemp('rr.pcap.gz', gzip(bytes));
  const fromGz = connsJson([gzFile]);
  assert.deepEqual(fromGz.connections, plain.connections);
  assert.deepEqual(fromGz.captures, [{ ...plain.captures[0]!, file: gzFile, compressed: 'gzip' }]);

  // gzip through stdin too.
  const gzStdin = connsJson(['-'], gzip(bytes));
  assert.deepEqual(gzStdin.connections, plain.connections);
  assert.equal(gzStdin.captures[0]!.compressed, 'gzip');

  if (!needTool(t, 'editcap')) return;
  const ng = writeTemp('rr.pcapng', Buffer.alloc(0));
  const r = spawnSync('editcap', ['-F', 'pcapng', path.join(ROOT, RR), ng], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const fromNg = connsJson([ng]);
  assert.deepEqual(fromNg.connections, plain.connections);
  assert.deepEqual(fromNg.captures, [{ ...plain.captures[0]!, file: ng, format: 'pcapng' }]);
});

/** A capture with `n` connections (handshake, a request, close): output larger than a pipe buffer. */
function manyConnections(n: number): string {
  const packets = [];
  for (let i = 0; i < n; i++) {
    const conv = handshake(`10.1.${(i >> 8) & 0xff}.${i & 0xff}:${40000 + (i % 20000)}`, '10.0.0.1:80', 1000 + i, 9000 + i, { t0: i * 0.01 });
    conv.data(0, 'GET / HTTP/1.1\r\n\r\n');
    // The first one carries 210 kB back, so `follow` output also exceeds a pipe buffer.
    if (i === 0) for (let k = 0; k < 150; k++) conv.data(1, pattern(1400, k));
    conv.close();
    packets.push(...conv.packets);
  }
  return writeTemp('many.pcap', packetsToPcap(packets));
}

test('output piped into `head -1` ends cleanly: no EPIPE stack trace, exit 0', () => {
  const file = manyConnections(3000);
  const full = runCli(['conns', '--json', file]);
  assert.equal(full.status, 0, full.stderr);
  assert.ok(full.stdout.length > 1 << 20, `output (${full.stdout.length} bytes) must exceed a pipe buffer`);
  assert.equal((JSON.parse(full.out) as Doc).connections.length, 3000);
  for (const args of [['conns', file], ['conns', '--json', file], ['follow', '--hex', file, '--conn', '1']]) {
    const cmd = `"${process.execPath}" dist/src/cli/main.js ${args.map((a) => `'${a}'`).join(' ')}`;
    const r = runShell(`${cmd} | head -1; exit "\${PIPESTATUS[0]}"`);
    assert.equal(r.stderr, '', `${args.join(' ')} | head -1: stderr`);
    assert.equal(r.status, 0, `${args.join(' ')} | head -1: exit status`);
    assert.equal(r.stdout.split('\n').length, 2);
  }
});
