/**
 * `proxytrace live` through the command line without root: usage errors, and `live -r -` fed
 * committed captures on stdin (what `tcpdump -U -w - | proxytrace live -r -` does), which must
 * report exactly what `analyze` reports on the same file, and write it back with -w unchanged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { oneErrorLine, runCli } from './helpers/cli.js';
import { ROOT } from './helpers/tools.js';
import { Procs } from './helpers/live-procs.js';

const scenario = (name: string): { pcap: string; cfg: string } => ({
  pcap: path.join(ROOT, 'captures', name, 'capture.pcap'),
  cfg: path.join(ROOT, 'captures', name, 'haproxy.cfg'),
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-live-cli-'));
}

test('live: usage errors are one line, exit 2', () => {
  for (const [args, re] of [
    [['live'], /exactly one input: -i INTERFACE .* or -r FILE/],
    [['live', '-i', 'lo', '-r', '-'], /exactly one input/],
    [['live', '-r', '-', '-f', 'tcp'], /-f applies to live capture/],
    [['live', '-r', '-', '--duration', 'soon'], /--duration takes seconds > 0, not "soon"/],
    [['live', '-r', '-', '--duration', '0'], /--duration takes seconds > 0/],
    [['live', '-r', '-', '--count', '1.5'], /--count takes a number of packets > 0/],
    [['live', '-i', 'lo', '-B', '0'], /--buffer-size takes MiB from 1 to 4096, not "0"/],
    [['live', '-i', 'lo', '--buffer-size', '64k'], /--buffer-size takes MiB from 1 to 4096, not "64k"/],
    [['live', '-r', '-', '-B', '8'], /--buffer-size applies to live capture \(-i\)/],
    [['live', '-r', '-', '--tui', '--ndjson'], /--tui and --ndjson do not go together/],
  ] as const) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneErrorLine(r.stderr), re);
  }
});

test('live --help says how timestamps are made, what permission and what build it needs', () => {
  const r = runCli(['live', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.out, /process\.hrtime\.bigint\(\)/);
  assert.match(r.out, /Date\.now\(\)/);
  assert.match(r.out, /setcap cap_net_raw,cap_net_admin=eip/);
  assert.match(r.out, /npm rebuild cap/);
  assert.match(r.out, /65535/);
  assert.match(r.out, /5 live capture could not start/);
});

for (const name of ['http-roundrobin', 'tcp-timeout-server', 'failures']) {
  test(`live -r - (${name} on stdin): the same sessions as analyze, text and --ndjson`, () => {
    const { pcap, cfg } = scenario(name);
    const input = fs.readFileSync(pcap);
    const nd = runCli(['live', '-r', '-', '--ndjson', '--haproxy-cfg', cfg], { input });
    assert.equal(nd.status, 0, nd.stderr);
    const ref = runCli(['analyze', pcap, '--ndjson', '--haproxy-cfg', cfg]);
    assert.equal(ref.status, 0, ref.stderr);
    assert.ok(ref.out.length > 0);
    assert.equal(nd.out, ref.out, 'stdout is exactly analyze --ndjson');
    const total = (JSON.parse(runCli(['conns', pcap, '--json']).out) as { captures: { packets: number }[] }).captures[0]!.packets;
    assert.match(nd.stderr, new RegExp(`^proxytrace: capture: ${total} packets in [\\d.]+ s; end of input$`, 'm'));
    assert.match(nd.stderr, /^proxytrace: sessions: \d+, requests: \d+/m);

    const text = runCli(['live', '-r', '-', '--haproxy-cfg', cfg], { input });
    assert.equal(text.status, 0, text.stderr);
    const refText = runCli(['analyze', pcap, '--haproxy-cfg', cfg]);
    const [body, last] = [text.out.slice(0, text.out.lastIndexOf('capture: ')), text.out.slice(text.out.lastIndexOf('capture: '))];
    assert.equal(body, refText.out);
    assert.match(last, new RegExp(`^capture: ${total} packets in [\\d.]+ s; end of input\\n$`));
  });
}

test('live -r - -w FILE: the file holds the input\'s records unchanged; gzip on stdin works too', () => {
  const dir = tmpDir();
  try {
    const { pcap } = scenario('http-roundrobin');
    const input = fs.readFileSync(pcap);
    const out = path.join(dir, 'copy.pcap');
    const r = runCli(['live', '-r', '-', '-w', out], { input: zlib.gzipSync(input) });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.out, /written to .*copy\.pcap\n$/);
    const copy = fs.readFileSync(out);
    assert.equal(copy.readUInt32LE(0), 0xa1b2c3d4);
    assert.equal(copy.readUInt32LE(20), input.readUInt32LE(20), 'link type');
    assert.ok(copy.subarray(24).equals(input.subarray(24)), 'every record byte for byte');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('live -r - --count N stops after N packets and analyzes those', () => {
  const { pcap } = scenario('http-roundrobin');
  const r = runCli(['live', '-r', '-', '--count', '25', '--ndjson'], { input: fs.readFileSync(pcap) });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^proxytrace: capture: 25 packets in [\d.]+ s; packet count reached$/m);
});

test('live -r -: a truncated stream reports what came before, then one error line, exit 4', () => {
  const { pcap } = scenario('tcp-timeout-server');
  const input = fs.readFileSync(pcap);
  const r = runCli(['live', '-r', '-', '--ndjson'], { input: input.subarray(0, input.length - 10) });
  assert.equal(r.status, 4, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines.at(-1)!, /^proxytrace: -: at byte offset \d+: truncated record/);
  assert.match(r.stderr, /capture: 39 packets/);
  assert.equal(r.out.trim().split('\n').length, 1, 'the session is still reported');
});

test('live -w into a directory that does not exist: one line, exit 5, nothing read', () => {
  const r = runCli(['live', '-r', '-', '-w', '/nonexistent-dir/x.pcap'], { input: fs.readFileSync(scenario('http-roundrobin').pcap) });
  assert.equal(r.status, 5);
  assert.equal(oneErrorLine(r.stderr), 'proxytrace: /nonexistent-dir/x.pcap: cannot create the capture file (ENOENT)');
});

test('live -r with a missing file: exit 3', () => {
  const r = runCli(['live', '-r', '/nonexistent-dir/x.pcap']);
  assert.equal(r.status, 3);
  assert.match(oneErrorLine(r.stderr), /x\.pcap: cannot open: no such file/);
});

/** Byte offsets where the records of a classic pcap (little-endian) start, and its end. */
function recordOffsets(pcap: Buffer): number[] {
  const out: number[] = [];
  for (let at = 24; at < pcap.length; at += 16 + pcap.readUInt32LE(at + 8)) out.push(at);
  out.push(pcap.length);
  return out;
}

for (const ndjson of [false, true]) {
  test(`live -r - ${ndjson ? '--ndjson ' : ''}prints sessions as they complete, while the input is still open`, { timeout: 60_000 }, async () => {
    const { pcap, cfg } = scenario('http-roundrobin');
    const input = fs.readFileSync(pcap);
    // All but the last packets (its final 50 ms): the connections that closed a second or more
    // before that are complete (the tcp stage's close linger), and so are their sessions.
    const offsets = recordOffsets(input);
    const ts = (at: number): number => input.readUInt32LE(at) + input.readUInt32LE(at + 4) / 1e6;
    const last = ts(offsets.at(-2)!);
    const cut = offsets.find((at, i) => i < offsets.length - 1 && ts(at) >= last - 0.05)!;
    const procs = new Procs();
    try {
      const p = procs.proxytrace('live', ['live', '-r', '-', '--haproxy-cfg', cfg, ...(ndjson ? ['--ndjson'] : [])]);
      // Most of the capture, then the stream stays open: sessions already complete must be printed now.
      p.child.stdin!.write(input.subarray(0, cut));
      await procs.waitFor(p, /reading a capture from stdin/, 10_000);
      const line = ndjson ? /^\{"id":.*\n/m : /^session \d+ .*\(fe_http\)[^]*\n\n/m;
      await procs.waitFor(p, line, 15_000, 'stdout');
      assert.equal(p.child.exitCode, null, 'still running');
      assert.doesNotMatch(p.stdout() + p.stderr(), /capture: \d+ packets/, 'no summary yet');
      p.child.stdin!.end(input.subarray(cut));
      assert.deepEqual(await procs.waitExit(p, 15_000), { code: 0, signal: null }, p.stderr());
      // In all, the same sessions as analyze (in the order they completed).
      const ref = runCli(['analyze', pcap, '--ndjson', '--haproxy-cfg', cfg]);
      if (ndjson) {
        const ids = (out: string): string[] => out.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort();
        assert.deepEqual(ids(p.stdout()), ids(ref.out));
        assert.match(p.stderr(), /^proxytrace: capture: \d+ packets in [\d.]+ s; end of input$/m);
      } else {
        assert.equal(p.stdout().match(/^session \d+ /gm)?.length, ref.out.trim().split('\n').length);
        assert.match(p.stdout(), /^capture: \d+ packets in [\d.]+ s; end of input\n$/m);
      }
    } finally {
      await procs.stopAll();
    }
  });
}
