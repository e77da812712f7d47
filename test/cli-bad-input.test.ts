/**
 * Bad input end to end: each fault gives the documented exit code (3 cannot open, 4 corrupt,
 * truncated, unknown link type or not a capture; 2 usage), exactly one stderr line
 * "proxytrace: FILE: [at byte offset N: ]what" with N computed here from the file layout, no
 * stack trace, and the connections read before the fault are still reported.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { oneErrorLine, pcapLayout, runCli, tshark, type CliResult } from './helpers/cli.js';
import { gzip, writePcap, writePcapng, writeTemp } from './helpers/pcap-writer.js';
import { needTool, ROOT } from './helpers/tools.js';

const RR = path.join(ROOT, 'captures/http-roundrobin/capture.pcap');
const rrBytes = fs.readFileSync(RR);
const layout = pcapLayout(rrBytes);

interface Conn { id: string; client: string; server: string; start: number; [k: string]: unknown }
interface Doc { formatVersion: number; connections: Conn[]; captures: { file: string; packets: number }[]; errors: string[] }

const byId = (cs: Conn[]): Conn[] => [...cs].sort((a, b) => Number(a.id) - Number(b.id));

function json(r: CliResult): Doc {
  return JSON.parse(r.out) as Doc;
}

/** tshark's TCP streams among the first `frames` packets of the capture, and which of them end there. */
function streamsWithin(frames: number): { count: number; complete: Set<number> } {
  const out = tshark(['-r', RR, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.number', '-e', 'tcp.stream']);
  const last = new Map<number, number>();
  for (const line of out.trim().split('\n')) {
    const [n, s] = line.split(',').map(Number) as [number, number];
    last.set(s, n);
  }
  const seen = new Set<number>();
  for (const line of out.trim().split('\n')) {
    const [n, s] = line.split(',').map(Number) as [number, number];
    if (n <= frames) seen.add(s);
  }
  return { count: seen.size, complete: new Set([...seen].filter((s) => last.get(s)! <= frames)) };
}

const fullDoc = (): Doc => json(runCli(['conns', '--json', RR]));

/**
 * The common checks of a capture that fails after `frames` good records: exit 4, the one-line
 * message in both output modes, the same line in the JSON errors, and the connections before it
 * (those whose packets all precede the fault exactly as in the intact capture).
 */
function checkFaultAfter(t: import('node:test').TestContext, file: string, frames: number, line: string, expectedConns: number): void {
  const text = runCli(['conns', file]);
  assert.equal(text.status, 4);
  assert.equal(oneErrorLine(text.stderr), `proxytrace: ${line}`);
  const rows = text.out.split('\n').slice(1, text.out.split('\n').indexOf(''));
  assert.equal(rows.length, expectedConns);
  assert.match(text.out, new RegExp(`\\n${expectedConns} TCP connections?\\n$`));

  const r = runCli(['conns', '--json', file]);
  assert.equal(r.status, 4);
  assert.equal(oneErrorLine(r.stderr), `proxytrace: ${line}`);
  const doc = json(r);
  assert.deepEqual(doc.errors, [line]);
  assert.equal(doc.captures[0]!.packets, frames);
  assert.equal(doc.connections.length, expectedConns);
  const full = byId(fullDoc().connections);
  for (const c of doc.connections) {
    const f = full[Number(c.id) - 1]!;
    assert.deepEqual([c.client, c.server, c.start], [f.client, f.server, f.start], `connection ${c.id} as in the intact capture`);
  }

  if (!needTool(t, 'tshark')) return;
  const { count, complete } = streamsWithin(frames);
  assert.equal(doc.connections.length, count, 'as many connections as tshark sees streams before the fault');
  // Streams whose every packet precedes the fault are reported exactly as from the intact file
  // (tshark's stream index + 1 is our id: both number streams by first packet).
  const mine = byId(doc.connections);
  for (const s of complete) {
    assert.deepEqual({ ...mine[s]!, captures: null }, { ...full[s]!, captures: null }, `stream ${s} complete before the fault`);
  }
}

test('truncated last record (a real capture cut in the middle of a record)', (t) => {
  const k = 150; // records 0..149 are whole; record 150 is cut in half
  const rec = layout[k]!;
  const half = Math.floor(rec.caplen / 2);
  const file = writeTemp('cut.pcap', rrBytes.subarray(0, rec.offset + 16 + half));
  const line = `${file}: at byte offset ${rec.offset}: truncated record: header says ${rec.caplen} bytes, file ends after ${half}`;
  checkFaultAfter(t, file, k, line, 19);
});

test('corrupt record header: caplen 0xFFFFFFFF in the 3rd record', (t) => {
  for (const [k, conns] of [[2, 1], [200, 25]] as const) {
    const buf = Buffer.from(rrBytes);
    const rec = layout[k]!;
    buf.writeUInt32LE(0xffffffff, rec.offset + 8);
    const origLen = buf.readUInt32LE(rec.offset + 12);
    const file = writeTemp(`absurd-${k}.pcap`, buf);
    if (k === 2) assert.equal(rec.offset, 24 + 16 + layout[0]!.caplen + 16 + layout[1]!.caplen);
    const line = `${file}: at byte offset ${rec.offset}: absurd captured length 4294967295 (original length ${origLen}, limit 262144)`;
    checkFaultAfter(t, file, k, line, conns);
  }
});

test('truncated gzip: the fault is at the decompressed offset where the data ends', (t) => {
  const gz = gzip(rrBytes);
  const cut = gz.subarray(0, Math.floor(gz.length / 2));
  const file = writeTemp('cut.pcap.gz', cut);
  // What zlib can still decompress from the cut stream: the offset where the reader stops.
  const n = zlib.gunzipSync(cut, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
  assert.ok(n > 0 && n < rrBytes.length);
  const frames = layout.filter((r) => r.offset + 16 + r.caplen <= n).length;
  const line = `${file}: at byte offset ${n}: gzip data is corrupt or truncated: unexpected end of file`;
  checkFaultAfter(t, file, frames, line, 17);
});

test('unknown link type (pcap with linktype 147): exit 4, offset of the link-type field', () => {
  const buf = Buffer.from(rrBytes);
  buf.writeUInt32LE(147, 20);
  const file = writeTemp('lt147.pcap', buf);
  const line = `${file}: at byte offset 20: unknown link type 147 (LINKTYPE_147): proxytrace decodes Ethernet, NULL/LOOP, raw IP and Linux cooked (SLL, SLL2) captures`;
  const r = runCli(['conns', '--json', file]);
  assert.equal(r.status, 4);
  assert.equal(oneErrorLine(r.stderr), `proxytrace: ${line}`);
  const doc = json(r);
  assert.deepEqual(doc.errors, [line]);
  assert.deepEqual(doc.connections, []);
  const text = runCli(['conns', file]);
  assert.equal(text.status, 4);
  assert.equal(oneErrorLine(text.stderr), `proxytrace: ${line}`);
  assert.match(text.out, /\n0 TCP connections\n$/);
});

test('not a capture, empty, missing, a directory: one line, exit 4 or 3, stdout still a valid document', () => {
  const cases: [string, string, number, string][] = [
    ['text file', writeTemp('notes.txt', Buffer.from('hello, this is text\n')), 4, 'not a pcap or pcapng file (starts with 68 65 6c 6c)'],
    ['gzip of a text file', writeTemp('notes.txt.gz', gzip(Buffer.from('hello\n'))), 4, 'not a pcap or pcapng file (after gzip decompression) (starts with 68 65 6c 6c)'],
    ['empty file', writeTemp('empty.pcap', Buffer.alloc(0)), 4, 'empty file, not a capture'],
    ['pcap header cut short', writeTemp('short.pcap', rrBytes.subarray(0, 10)), 4, 'at byte offset 0: truncated pcap file header: file ends after 10 of 24 bytes'],
    ['missing file', path.join(path.dirname(writeTemp('x', Buffer.alloc(0))), 'no-such.pcap'), 3, 'cannot open: no such file'],
    ['directory', path.dirname(writeTemp('y', Buffer.alloc(0))), 3, 'cannot open: is a directory'],
  ];
  for (const [what, file, code, msg] of cases) {
    const r = runCli(['conns', '--json', file]);
    assert.equal(r.status, code, `${what}: exit code`);
    assert.equal(oneErrorLine(r.stderr), `proxytrace: ${file}: ${msg}`, what);
    const doc = json(r);
    assert.deepEqual(doc.errors, [`${file}: ${msg}`], what);
    assert.deepEqual(doc.connections, [], what);
    const text = runCli(['conns', file]);
    assert.equal(text.status, code, `${what} (text): exit code`);
    assert.equal(oneErrorLine(text.stderr), `proxytrace: ${file}: ${msg}`, `${what} (text)`);
    const f = runCli(['follow', file, '--conn', '1']);
    assert.equal(f.status, code, `${what} (follow): exit code`);
    assert.equal(oneErrorLine(f.stderr), `proxytrace: ${file}: ${msg}`, `${what} (follow)`);
  }
});

test('a bad file among good ones: the good one is fully reported, exit 4', () => {
  const bad = writeTemp('notes.txt', Buffer.from('not a capture'));
  const r = runCli(['conns', '--json', RR, bad]);
  assert.equal(r.status, 4);
  assert.equal(oneErrorLine(r.stderr), `proxytrace: ${bad}: not a pcap or pcapng file (starts with 6e 6f 74 20)`);
  const doc = json(r);
  assert.equal(doc.connections.length, 33);
  assert.deepEqual(byId(doc.connections), byId(fullDoc().connections));
  // Missing (3) and corrupt (4) together: the higher code.
  const r2 = runCli(['conns', RR, '/nonexistent/x.pcap', bad]);
  assert.equal(r2.status, 4);
  assert.deepEqual(r2.stderr.trimEnd().split('\n'), [
    'proxytrace: /nonexistent/x.pcap: cannot open: no such file',
    `proxytrace: ${bad}: not a pcap or pcapng file (starts with 6e 6f 74 20)`,
  ]);
});

test('--help and --version exit 0; usage errors exit 2 with one line', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const v = runCli(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.out, `${version}\n`);
  assert.equal(v.stderr, '');
  const h = runCli(['--help']);
  assert.equal(h.status, 0);
  assert.equal(h.stderr, '');
  assert.match(h.out, /^Usage: proxytrace /);
  assert.match(h.out, /\n {2}conns /);
  assert.match(h.out, /\n {2}follow /);
  for (const cmd of ['conns', 'follow']) {
    const c = runCli([cmd, '--help']);
    assert.equal(c.status, 0);
    assert.match(c.out, new RegExp(`^Usage: proxytrace ${cmd} `));
    assert.match(c.out, /Exit codes: 0 ok; 1 internal error; 2 usage; 3 a capture cannot be opened;/);
  }
  const usage: [string[], string][] = [
    [['conns', '--bogus', RR], "unknown option '--bogus'"],
    [['--bogus'], "unknown option '--bogus'"],
    [['conns'], "missing required argument 'file'"],
    [['follow', RR], "required option '--conn <id>' not specified"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ];
  for (const [args, what] of usage) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.out, '');
    const line = oneErrorLine(r.stderr);
    assert.ok(line.includes(what), `${args.join(' ')}: ${line}`);
  }
});

test('unknown link type with no packets, and in a pcapng interface block: exit 4 at the declaration', () => {
  const empty = writeTemp('lt147-empty.pcap', writePcap({ linkType: 147, records: [] }));
  const r = runCli(['conns', empty]);
  assert.equal(r.status, 4);
  assert.equal(oneErrorLine(r.stderr), `proxytrace: ${empty}: at byte offset 20: unknown link type 147 (LINKTYPE_147): proxytrace decodes Ethernet, NULL/LOOP, raw IP and Linux cooked (SLL, SLL2) captures`);

  // SHB (28 bytes), an Ethernet interface (20), a link-type-147 interface: its link type at 48 + 8.
  const ng = writeTemp('lt147.pcapng', writePcapng({
    sections: [{
      interfaces: [{ linkType: 1 }, { linkType: 147 }],
      blocks: [{ type: 'epb', interfaceId: 1, tsSec: 1, tsNsec: 0, data: new Uint8Array(60) }],
    }],
  }));
  const n = runCli(['conns', '--json', ng]);
  assert.equal(n.status, 4);
  assert.equal(oneErrorLine(n.stderr), `proxytrace: ${ng}: at byte offset 56: unknown link type 147 (LINKTYPE_147): proxytrace decodes Ethernet, NULL/LOOP, raw IP and Linux cooked (SLL, SLL2) captures`);
  const doc = JSON.parse(n.stdout.toString()) as { stats: { packets: number } };
  assert.equal(doc.stats.packets, 0);
});
