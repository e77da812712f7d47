/**
 * `proxytrace follow` end to end: a real HTTP connection checked against tshark's
 * `-z follow,tcp,raw`, hex dump offsets, endpoint selection, unknown ids, hostile payloads that
 * must never reach the terminal raw, and a segment missing from the capture.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { oneErrorLine, packetsToPcap, runCli, tshark } from './helpers/cli.js';
import { writeTemp } from './helpers/pcap-writer.js';
import { handshake } from './helpers/tcp-harness.js';
import { needTool, ROOT } from './helpers/tools.js';

const RR = 'captures/http-roundrobin/capture.pcap';
/** The README's first good request: client 127.0.0.90 -> HAProxy 127.0.0.22:80, answered by web2. */
const CLIENT = '127.0.0.90:37827';
const SERVER = '127.0.0.22:80';

/** stdout: captured bytes are escaped to ASCII, and the program's own text is ASCII. */
function follow(args: string[]): string {
  const r = runCli(['follow', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout.toString('utf8');
}

/** The two byte streams of one connection, from tshark. */
function tsharkFollow(file: string, a: string, b: string): { node0: string; data: [Buffer, Buffer] } {
  const out = tshark(['-r', file, '-q', '-z', `follow,tcp,raw,${a},${b}`]);
  const node0 = /Node 0: (\S+)/.exec(out)![1]!;
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Node 1:')) + 1;
  const parts: [string[], string[]] = [[], []];
  for (const line of lines.slice(start)) {
    if (line.startsWith('=====') || line.trim() === '') continue;
    (line.startsWith('\t') ? parts[1] : parts[0]).push(line.trim());
  }
  return { node0, data: [Buffer.from(parts[0].join(''), 'hex'), Buffer.from(parts[1].join(''), 'hex')] };
}

test('follow a real HTTP connection: request line, status line, CRLF as line ends, same bytes as tshark', (t) => {
  const out = follow([RR, '--conn', '5']);
  const lines = out.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['Follow TCP stream: connection 5', `Client: ${CLIENT}`, `Server: ${SERVER}`]);
  assert.equal(lines[3], `=== client -> server (${CLIENT} -> ${SERVER}) at offset 0, 07:55:22.826516`);
  assert.equal(lines[4], 'GET / HTTP/1.1');
  assert.equal(lines[5], 'Host: ww1.itnihao.cn');
  const resp = lines.findIndex((l) => l.startsWith('=== server -> client'));
  assert.equal(lines[resp], `=== server -> client (${SERVER} -> ${CLIENT}) at offset 0, 07:55:22.828426`);
  assert.equal(lines[resp + 1], 'HTTP/1.1 200 OK');
  assert.ok(lines.includes('x-server: web2'), 'web2 answered (README: web2, web2, web1, ...)');
  assert.equal(lines.at(-2), '=== end: state SF, history ShADdfFa; client->server 93 bytes (0 missing), server->client 264 bytes (0 missing)');
  assert.equal(lines.at(-1), '');
  assert.ok(!out.includes('\r') && !out.includes('\\r'), 'CRLF is shown as a plain line end');
  // By the client's endpoint: the same connection, the same output.
  assert.equal(follow([RR, '--conn', CLIENT]), out);

  if (!needTool(t, 'tshark')) return;
  const ts = tsharkFollow(path.join(ROOT, RR), CLIENT, SERVER);
  assert.equal(ts.node0, CLIENT);
  const text = (b: Buffer) => b.toString('latin1').replaceAll('\r\n', '\n');
  assert.equal(ts.data[0].length, 93);
  assert.equal(ts.data[1].length, 264);
  const expected =
    `Follow TCP stream: connection 5\nClient: ${CLIENT}\nServer: ${SERVER}\n` +
    `=== client -> server (${CLIENT} -> ${SERVER}) at offset 0, 07:55:22.826516\n${text(ts.data[0])}` +
    `=== server -> client (${SERVER} -> ${CLIENT}) at offset 0, 07:55:22.828426\n${text(ts.data[1])}` +
    `=== end: state SF, history ShADdfFa; client->server 93 bytes (0 missing), server->client 264 bytes (0 missing)\n`;
  assert.equal(out, expected);
});

interface HexLine { offset: number; bytes: number[]; ascii: string }

function parseHex(block: string[]): HexLine[] {
  return block.map((l) => {
    const m = /^([0-9a-f]{8})  ((?:[0-9a-f]{2} | {3}){8}) ((?:[0-9a-f]{2} | {3}){8}) \|([\x20-\x7e]{1,16})\|$/.exec(l);
    assert.ok(m, `hexdump line: ${JSON.stringify(l)}`);
    const bytes = `${m[2]}${m[3]}`.trim().split(/\s+/).map((h) => parseInt(h, 16));
    return { offset: parseInt(m[1]!, 16), bytes, ascii: m[4]! };
  });
}

test('follow --hex: hexdump lines with the stream offsets and the right bytes', (t) => {
  const out = follow([RR, '--conn', '5', '--hex']);
  const lines = out.split('\n');
  const c2s = lines.indexOf(`=== client -> server (${CLIENT} -> ${SERVER}) at offset 0, 07:55:22.826516`);
  const s2c = lines.indexOf(`=== server -> client (${SERVER} -> ${CLIENT}) at offset 0, 07:55:22.828426`);
  const end = lines.findIndex((l) => l.startsWith('=== end:'));
  assert.ok(c2s > 0 && s2c > c2s && end > s2c);
  const req = parseHex(lines.slice(c2s + 1, s2c));
  const resp = parseHex(lines.slice(s2c + 1, end));
  // 93 bytes: 6 lines, the last with 13; 264 bytes: 17 lines, the last with 8.
  assert.deepEqual(req.map((l) => l.offset), [0, 16, 32, 48, 64, 80]);
  assert.deepEqual(resp.map((l) => l.offset), Array.from({ length: 17 }, (_, i) => 16 * i));
  assert.equal(req.at(-1)!.bytes.length, 13);
  assert.equal(resp.at(-1)!.bytes.length, 8);
  assert.equal(lines[c2s + 1], '00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|');
  assert.equal(lines[end - 1], '00000100  3c 2f 68 74 6d 6c 3e 0a                           |</html>.|');

  if (!needTool(t, 'tshark')) return;
  const ts = tsharkFollow(path.join(ROOT, RR), CLIENT, SERVER);
  for (const [dir, parsed] of [[0, req], [1, resp]] as const) {
    for (const l of parsed) {
      const want = ts.data[dir].subarray(l.offset, l.offset + 16);
      assert.deepEqual(l.bytes, [...want], `dir ${dir} offset ${l.offset}`);
      assert.equal(l.ascii, [...want].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join(''));
    }
    assert.equal(parsed.reduce((n, l) => n + l.bytes.length, 0), ts.data[dir].length);
  }
});

test('follow --conn with an unknown id or endpoint: exit 2, one line', () => {
  for (const spec of ['999', '0', '10.9.9.9:1234']) {
    const r = runCli(['follow', RR, '--conn', spec]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.out, '');
    assert.equal(oneErrorLine(r.stderr), `proxytrace: no connection ${spec} in the capture (it has 33; \`proxytrace conns\` lists them)`);
  }
  // A hostile --conn value is escaped in the message too.
  const r = runCli(['follow', RR, '--conn', 'x\x1b[2J\ny']);
  assert.equal(r.status, 2);
  assert.match(oneErrorLine(r.stderr), /no connection x\\x1b\[2J\\ny in the capture/);
});

const C = '10.2.0.1:45000';
const S = '10.2.0.2:8080';

/** All of stdout must be printable ASCII, LF or TAB: the program's own lines are ASCII too. */
function ownArrowsToAscii(stdout: Buffer): string {
  return stdout.toString('latin1');
}

test('follow never writes captured control bytes, ESC or bytes >= 0x80 raw: they show as \\xNN', () => {
  const hostile = Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\n\r\nclear:\x1b[2J title:\x1b]0;pwned\x07 nul:\x00 high:'),
    Buffer.from([0x80, 0x9b, 0xc3, 0xa9, 0xff]),
    Buffer.from(' cr:\rback\\slash tab:\tend\n'),
  ]);
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'GET /\x1b[31m HTTP/1.1\r\n\r\n');
  conv.ack(1);
  conv.data(1, hostile);
  conv.ack(0);
  conv.close();
  const file = writeTemp('hostile.pcap', packetsToPcap(conv.packets));
  const r = runCli(['follow', file, '--conn', '1']);
  assert.equal(r.status, 0, r.stderr);
  const own = ownArrowsToAscii(r.stdout);
  const bytes = Buffer.from(own, 'latin1');
  for (const [i, b] of bytes.entries()) {
    assert.ok((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09, `byte 0x${b.toString(16)} at ${i} of stdout`);
  }
  assert.ok(own.includes('GET /\\x1b[31m HTTP/1.1\n\n'), own);
  assert.ok(
    own.includes(
      'HTTP/1.1 200 OK\n\nclear:\\x1b[2J title:\\x1b]0;pwned\\x07 nul:\\x00 high:\\x80\\x9b\\xc3\\xa9\\xff cr:\\rback\\\\slash tab:\tend\n',
    ),
    own,
  );
  // The hex view escapes nothing into the terminal either.
  const hex = runCli(['follow', file, '--conn', '1', '--hex']);
  assert.equal(hex.status, 0, hex.stderr);
  const hexOwn = Buffer.from(ownArrowsToAscii(hex.stdout), 'latin1');
  assert.ok(hexOwn.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a), 'hex view is plain ASCII');
  assert.ok(hexOwn.toString('latin1').includes('1b 5b 32 4a'), 'ESC [ 2 J appears as hex');
});

test('follow marks a segment missing from the capture (ACKed by the receiver) with its size', () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'aaaaaaaaaa');
  conv.data(0, 'b'.repeat(1234), { drop: true }); // sent, never captured
  conv.data(0, 'cccccccccc');
  conv.ack(1); // the server ACKs all 1254 bytes: the hole was received
  conv.data(1, 'OK\n');
  conv.ack(0);
  conv.close();
  const file = writeTemp('gap.pcap', packetsToPcap(conv.packets));
  const lines = follow([file, '--conn', C]).split('\n');
  assert.deepEqual(lines.slice(0, 3), ['Follow TCP stream: connection 1', `Client: ${C}`, `Server: ${S}`]);
  assert.match(lines[3]!, /^=== client -> server \(10\.2\.0\.1:45000 -> 10\.2\.0\.2:8080\) at offset 0, /);
  assert.deepEqual(lines.slice(4, 7), [
    'aaaaaaaaaa',
    '[1234 bytes missing in capture: acknowledged by the receiver, not in the capture]',
    'cccccccccc',
  ]);
  assert.match(lines[7]!, /^=== server -> client \(10\.2\.0\.2:8080 -> 10\.2\.0\.1:45000\) at offset 0, /);
  assert.equal(lines[8], 'OK');
  assert.match(lines[9]!, /^=== end: state SF, history \S+; client->server 1254 bytes \(1234 missing\), server->client 3 bytes \(0 missing\)$/);
  // The same hole in conns: 1234 missed bytes.
  const j = runCli(['conns', '--json', file]);
  const doc = JSON.parse(j.out) as { connections: { missedBytes: unknown; bytes: unknown }[] };
  assert.deepEqual(doc.connections[0]!.missedBytes, { clientToServer: 1234, serverToClient: 0 });
  assert.deepEqual(doc.connections[0]!.bytes, { clientToServer: 1254, serverToClient: 3 });
});
