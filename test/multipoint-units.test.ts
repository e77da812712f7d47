/**
 * The pieces of several capture points: one id for the views of a connection, the clock shift of
 * a source, merging views into a leg, and locating lost bytes between two points.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shiftedSource } from '../src/capture/clock-shift.js';
import type { PacketRecord, PacketSource } from '../src/capture/packet-record.js';
import { LegViewMerger, mergeViews } from '../src/correlate/capture-views.js';
import type { Leg, LegDirection, Session } from '../src/correlate/model.js';
import { missing, pointLosses } from '../src/correlate/point-losses.js';
import { newDecodedPacket, TCP_ACK, TCP_SYN } from '../src/decode/decoded-packet.js';
import { ConnectionViews } from '../src/tcp/connection-views.js';
import type { TcpConnection } from '../src/tcp/connection.js';

const pkt = (flags: number, seq: number, ack = 0): ReturnType<typeof newDecodedPacket> => Object.assign(newDecodedPacket(), { flags, seq, ack });

test('views of one connection share its id; another ISN or a second view at one point is another connection', () => {
  const v = new ConnectionViews();
  const a = v.open(0, 'k', pkt(TCP_SYN, 1000));
  assert.equal(a, 1);
  assert.equal(v.open(1, 'k', pkt(TCP_SYN | TCP_ACK, 5000, 1001)), 1, 'SYN-ACK: client ISN = ack - 1');
  assert.equal(v.views(1), 2);
  assert.equal(v.open(2, 'k', pkt(TCP_SYN, 2000)), 2, 'another ISN: port reuse');
  assert.equal(v.open(0, 'k', pkt(TCP_ACK, 77, 1)), 2, 'midstream (no ISN): joins the open connection point 0 has no view of yet');
  assert.equal(v.open(0, 'k', pkt(TCP_ACK, 78, 1)), 3, 'point 0 has a view of both: a new one');
  assert.equal(v.open(3, 'other', pkt(TCP_ACK, 1, 1)), 4);
  assert.equal(v.close(1), 1, 'one view of 1 still open');
  assert.equal(v.openViews(1), 1);
  assert.equal(v.close(1), 0);
  assert.equal(v.openViews(1), 0);
  assert.equal(v.close(4), 0);
  assert.equal(v.open(3, 'other', pkt(TCP_ACK, 1, 1)), 5, 'after its last view closed, a late view is a new connection');
});

test('a shifted source: every timestamp minus the offset, with the carry across the second', async () => {
  const recs: [number, number][] = [[100, 100_000_000], [100, 900_000_000], [101, 0]];
  let i = 0;
  const rec = { tsSec: 0, tsNsec: 0 } as PacketRecord;
  const inner: PacketSource = {
    info: { file: 'x', format: 'pcap', compressed: null, linkTypes: [], interfaces: [], packets: 0, bytesRead: 0, sizeOnDisk: null, diskBytesRead: 0 },
    nextSync: () => {
      const r = recs[i++];
      if (!r) return null;
      rec.tsSec = r[0];
      rec.tsNsec = r[1];
      return rec;
    },
    fill: async () => {},
    close: () => {},
  };
  const s = shiftedSource(inner, 0.35);
  const out: [number, number][] = [];
  for (let r = s.nextSync(); r !== null && r !== 'more'; r = s.nextSync()) out.push([r.tsSec, r.tsNsec]);
  assert.deepEqual(out, [[99, 750_000_000], [100, 550_000_000], [100, 650_000_000]]);
  const back = shiftedSource(inner, -0.25);
  i = 0;
  const r0 = back.nextSync() as PacketRecord;
  assert.deepEqual([r0.tsSec, r0.tsNsec], [100, 350_000_000]);
  assert.equal(shiftedSource(inner, 0), inner, 'no offset: the source itself');
});

function dir(chunks: number[], acked: number): LegDirection {
  const bytes = chunks.length ? chunks[chunks.length - 3]! + chunks[chunks.length - 2]! : 0;
  return { bytes, missedBytes: 0, retransmittedBytes: 0, chunks, acks: acked > 0 ? [acked, 9] : [], gaps: [], head: new Uint8Array(0), firstDataTs: null, lastDataTs: null, finTs: null, rstTs: null, finOffset: null };
}

function leg(id: string, client: string, server: string, dirs: [LegDirection, LegDirection], captures: number[]): Leg {
  return {
    id, client, server, clientAddress: client.split(':')[0]!, clientPort: 1, serverAddress: server.split(':')[0]!, serverPort: 80,
    start: 1, end: 2, state: 'RSTO', history: '', synTs: 1, synAckTs: 1, establishedTs: 1, dirs, http: null, proxyProtocol: null, captures,
  };
}

test('missing: the upstream chunks the downstream view lacks, above what the receiver acknowledged', () => {
  const up = dir([0, 500, 1.0, 500, 500, 1.1, 1000, 500, 1.2], 0);
  assert.equal(missing(up, dir([0, 500, 1.0, 500, 500, 1.1, 1000, 500, 1.2], 0), 0), null, 'same bytes: nothing');
  assert.deepEqual(missing(up, dir([0, 500, 1.0], 0), 0), { bytes: 1000, first: 1.1, last: 1.2 }, 'the tail never arrived');
  assert.deepEqual(missing(up, dir([0, 500, 1.0, 1000, 500, 1.2], 0), 0), { bytes: 500, first: 1.1, last: 1.1 }, 'a hole');
  assert.deepEqual(missing(up, dir([0, 500, 1.0], 0), 1200), { bytes: 300, first: 1.2, last: 1.2 }, 'ACKed bytes reached the receiver');
  assert.deepEqual(missing(up, dir([0, 250, 1.0, 300, 100, 1.05], 0), 0), { bytes: 1150, first: 1.0, last: 1.2 }, 'partial chunks');
});

test('pointLosses: where the bytes were lost, by which points saw them', () => {
  // Capture 0 on the proxy host (sees both legs), 1 at the client, 2 at the server.
  const clientAtClient = leg('1', '10.0.0.1:1', '10.0.0.2:80', [dir([0, 100, 1.0, 100, 900, 1.1], 100), dir([0, 50, 1.3], 50)], [1]);
  const clientAtProxy = leg('1', '10.0.0.1:1', '10.0.0.2:80', [dir([0, 100, 1.0], 100), dir([0, 50, 1.3], 50)], [0]);
  const serverAtProxy = leg('2', '10.0.1.2:9', '10.0.1.3:80', [dir([0, 100, 1.01], 100), dir([0, 80, 1.2], 0)], [0]);
  const serverAtServer = leg('2', '10.0.1.2:9', '10.0.1.3:80', [dir([0, 100, 1.01], 100), dir([0, 80, 1.2, 80, 20, 1.25], 0)], [2]);
  const rank = [0, 1, 2];
  const c = mergeViews([{ point: 1, leg: clientAtClient }, { point: 0, leg: clientAtProxy }], rank);
  const s = mergeViews([{ point: 2, leg: serverAtServer }, { point: 0, leg: serverAtProxy }], rank);
  assert.deepEqual(c.captures, [0, 1]);
  assert.equal(c.dirs, clientAtProxy.dirs, 'the proxy\'s view is preferred');
  assert.deepEqual(c.views!.map((v) => v.capture), [0, 1]);
  const session = { id: '1', serverLegs: [{ leg: '2' }] } as unknown as Session;
  const drops = pointLosses(session, new Map([['1', c], ['2', s]]), ['proxy.pcap', 'client.pcap', 'web.pcap']);
  assert.deepEqual(drops.map((d) => [d.code, d.direction, d.bytes, d.first]), [
    ['lost_between_client_and_proxy', 'clientToServer', 900, 1.1],
    ['lost_between_proxy_and_server', 'serverToClient', 20, 1.25],
  ]);
  assert.equal(drops[0]!.cause, 'sent by the client (seen in client.pcap), never seen in proxy.pcap nor acknowledged by the proxy: lost on the network between the client and the proxy');
  // Without a point on the proxy's path (no point saw both legs) nothing is located.
  const cOnly = mergeViews([{ point: 1, leg: clientAtClient }, { point: 2, leg: { ...clientAtProxy, captures: [2] } }], rank);
  assert.deepEqual(pointLosses(session, new Map([['1', cOnly], ['2', serverAtProxy]]), []), []);
});

test('LegViewMerger: one leg per connection, once its last view closed; open once', () => {
  const v = new ConnectionViews();
  const legs: Leg[] = [];
  const opened: number[] = [];
  const m = new LegViewMerger(v, [1, 0], (l) => legs.push(l), (c) => opened.push(c.seq));
  const id = v.open(0, 'k', pkt(TCP_SYN, 1));
  m.opened({ seq: id } as TcpConnection);
  v.open(1, 'k', pkt(TCP_SYN, 1));
  m.opened({ seq: id } as TcpConnection);
  assert.deepEqual(opened, [1]);
  v.close(id);
  m.leg(0, leg('1', 'a:1', 'b:2', [dir([], 0), dir([], 0)], [0]));
  assert.equal(legs.length, 0, 'held until the other view closes');
  v.close(id);
  m.leg(1, leg('1', 'a:1', 'b:2', [dir([0, 1, 1], 0), dir([], 0)], [1]));
  assert.equal(legs.length, 1);
  assert.deepEqual(legs[0]!.captures, [0, 1]);
  assert.equal(legs[0]!.dirs[0].bytes, 1, 'rank: point 1 preferred');
  // A connection seen at one point passes through as it is.
  const solo = v.open(0, 'z', pkt(TCP_SYN, 5));
  v.close(solo);
  const l = leg(String(solo), 'a:1', 'b:2', [dir([], 0), dir([], 0)], [0]);
  m.leg(0, l);
  assert.equal(legs[1], l);
});
