/**
 * Where segments were lost, on a real capture set (captures/multipoint-loss): four hosts as
 * network namespaces, nftables dropping one chosen segment each between two capture points
 * (front bridge, back bridge) or inside the proxy host after its capture. The expected values
 * are the README's truth (nft's counters and the packets in each file).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';

const DIR = path.join('captures', 'multipoint-loss');
const f = (name: string): string => path.join(DIR, name);
const SET = ['proxy.pcap', 'client.pcap', 'web1.pcap', 'web2.pcap'].map(f);
const LOG = ['--haproxy-cfg', f('haproxy.cfg'), '--haproxy-log', f('haproxy.log')];

interface Loss { leg: 'client' | number; direction: string; offset: number; bytes: number; copiesLost: number; sent: number; resent: number; code: string; cause: string }
interface Doc {
  sessions: { client: string; drops: unknown[]; losses?: Loss[]; exchanges: { target: string; haproxy: { timers: Record<string, number> } | null }[] }[];
  haproxyLog?: { lines: { logged: string; agree: string[]; differ: { field: string; logged: unknown; inferred: unknown }[] }[]; unmatched: unknown[] };
}
interface Conn { client: string; server: string; retransmittedBytes: { clientToServer: number; serverToClient: number }; captures: number[] }

function run(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.out;
}
const analyze = (args: string[]): Doc => JSON.parse(run(['analyze', '--json', ...args])) as Doc;
const conns = (args: string[]): Conn[] => (JSON.parse(run(['conns', '--json', ...args])) as { connections: Conn[] }).connections;

const set = analyze([...SET, ...LOG]);
const byPort = (d: Doc, port: number) => d.sessions.find((s) => s.client === `198.18.1.10:${port}`)!;

test('each dropped segment is located where nft dropped it, with its offset, length and times', () => {
  const got = set.sessions.map((s) => [s.client.split(':')[1], (s.losses ?? []).map((l) => [l.leg, l.direction, l.offset, l.bytes, l.copiesLost, l.sent, l.resent, l.code])]);
  assert.deepEqual(got, [
    ['36341', []],
    // front bridge, client -> proxy: the one-segment GET (retransmitted on a timeout) ...
    ['44737', [['client', 'clientToServer', 0, 100, 1, 1795257685.257054, 1795257685.458426, 'lost_between_client_and_proxy']]],
    // ... and the POST's second segment (fast retransmit once the third arrived)
    ['34989', [['client', 'clientToServer', 1448, 1448, 1, 1795257685.864581, 1795257685.870389, 'lost_between_client_and_proxy']]],
    // front bridge, proxy -> client: the response's second segment
    ['42417', [['client', 'serverToClient', 1448, 1448, 1, 1795257686.276676, 1795257686.276712, 'lost_between_client_and_proxy']]],
    // back bridge, proxy -> web1: the forwarded request
    ['34967', [[0, 'clientToServer', 0, 133, 1, 1795257686.682666, 1795257686.886465, 'lost_between_proxy_and_server']]],
    // back bridge, web2 -> proxy: the response's second segment
    ['41639', [[0, 'serverToClient', 1448, 1448, 1, 1795257687.295376, 1795257687.295417, 'lost_between_proxy_and_server']]],
    // the proxy host's input hook, after its capture: both copies in proxy.pcap, ACKed after the second
    ['45799', [['client', 'clientToServer', 0, 103, 1, 1795257687.697183, 1795257687.902418, 'lost_inside_proxy_host']]],
    ['36183', []],
  ]);
  // Every byte got through in the end: nothing is a drop.
  assert.deepEqual(set.sessions.map((s) => s.drops.length), [0, 0, 0, 0, 0, 0, 0, 0]);
  const inside = byPort(set, 45799).losses![0]!;
  assert.match(inside.cause, /^103 B sent by the client reached .*proxy\.pcap, but the proxy host acknowledged them only after the client retransmitted them 205\.235 ms later/);
  const back = byPort(set, 34967).losses![0]!;
  assert.match(back.cause, /^133 B sent by the proxy \(seen in .*proxy\.pcap\) never reached .*web1\.pcap: lost on the network between the proxy and the server; retransmitted after 203\.799 ms$/);
});

test('the set agrees with haproxy.log, the request taken at its retransmission included', () => {
  const lines = set.haproxyLog!.lines;
  assert.equal(lines.length, 8);
  assert.deepEqual(set.haproxyLog!.unmatched, []);
  assert.deepEqual(lines.map((l) => l.differ), new Array(8).fill([]));
  for (const l of lines) assert.deepEqual(l.agree, ['termination', 'status', 'frontend', 'backend', 'server', 'TR', 'Tw', 'Tc', 'Tr', 'Ta', 'bytesRead'], l.logged);
  // HAProxy read request 7 at the retransmission: no 205 ms of queue (Tw) before it.
  assert.deepEqual(byPort(set, 45799).exchanges[0]!.haproxy!.timers, { TR: 0, Tw: 0, Tc: 0, Tr: 5, Ta: 5 });
  // Request 5's server answered after the retransmission reached it: Tr holds the 204 ms.
  assert.equal(byPort(set, 34967).exchanges[0]!.haproxy!.timers.Tr, 207);
});

test('the proxy capture alone cannot tell where: no losses; request 7 is timed at the first copy unless the config rules out a queue', () => {
  // Without the configuration, the 206 ms between the first copy and the connect could be a queue.
  const bare = analyze([f('proxy.pcap')]);
  assert.deepEqual(bare.sessions.map((s) => s.losses), new Array(8).fill(undefined));
  assert.deepEqual(byPort(bare, 45799).exchanges[0]!.haproxy!.timers, { TR: 0, Tw: 206, Tc: 0, Tr: 5, Ta: 211 });
  // With it (no server maxconn: nothing can queue), the connect dates HAProxy's read, as it logged.
  const alone = analyze([f('proxy.pcap'), ...LOG]);
  assert.deepEqual(alone.sessions.map((s) => s.losses), new Array(8).fill(undefined));
  assert.deepEqual(alone.haproxyLog!.lines.map((l) => l.differ), new Array(8).fill([]));
  assert.deepEqual(byPort(alone, 45799).exchanges[0]!.haproxy!.timers, { TR: 0, Tw: 0, Tc: 0, Tr: 5, Ta: 5 });
});

test('the text report says LOST with the leg, bytes, code and the delay, and counts them', () => {
  const text = run(['analyze', ...SET]);
  const lost = text.split('\n').filter((l) => l.includes('LOST'));
  assert.equal(lost.length, 6);
  assert.match(lost[0]!, /^ {2}LOST client -> server on the client leg: 100 B at offset 0 sent \d\d:\d\d:25\.257054, got through \d\d:\d\d:25\.458426 \[lost_between_client_and_proxy\]: .*retransmitted after 201\.372 ms$/);
  assert.match(lost[4]!, /^ {2}LOST server -> client on the server leg to 198\.18\.2\.12:80: 1448 B at offset 1448 .*\[lost_between_proxy_and_server\]: 1448 B sent by the server \(seen in .*web2\.pcap\) never reached .*proxy\.pcap: .*retransmitted after 0\.041 ms$/);
  assert.match(text, /\nsegments lost and retransmitted, located: 6 \(4680 bytes\)\n/);
  assert.match(text, /\ndrops: none\n/);
});

test('conns: each file alone shows only its own retransmissions; the set lists each connection once', () => {
  const c2s = (list: Conn[], port: number) => {
    const c = list.find((x) => x.client.endsWith(`:${port}`))!;
    return [c.retransmittedBytes.clientToServer, c.retransmittedBytes.serverToClient];
  };
  const client = conns([f('client.pcap')]);
  const proxy = conns([f('proxy.pcap')]);
  // The sender's point saw both copies, the receiver's one (the proxy's both, for request 7).
  assert.deepEqual([44737, 34989, 42417, 45799].map((p) => c2s(client, p)), [[100, 0], [1448, 0], [0, 0], [103, 0]]);
  assert.deepEqual([44737, 34989, 42417, 45799, 54828, 40204].map((p) => c2s(proxy, p)), [[0, 0], [0, 0], [0, 1448], [103, 0], [133, 0], [0, 0]]);
  assert.deepEqual(c2s(conns([f('web1.pcap')]), 54828), [0, 0]);
  assert.deepEqual(c2s(conns([f('web2.pcap')]), 40204), [0, 1448]);
  const all = conns(SET);
  assert.equal(all.length, 23);
  assert.deepEqual(all.filter((c) => c.client.startsWith('198.18.1.10:')).map((c) => c.captures), new Array(8).fill([0, 1]));
});
