/**
 * The live capture's parts without libpcap: the bounded queue, LiveSource bridging cap's events
 * to the pull interface (with a fake cap that, like the real one, reuses one buffer for every
 * packet), stamping, snap-length cuts, drops, the pcap writer, the capture loop, and cap's
 * failures turned into messages.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { capLinkType, loadCap, openCap, type CapDevice, type CapHandle, type CapModule } from '../src/capture/live-cap.js';
import { LiveFeed, type LiveFeedOptions } from '../src/capture/live-loop.js';
import { CaptureError } from '../src/errors.js';
import { PcapFileWriter } from '../src/capture/live-pcap-writer.js';
import { PacketRing, type RingEntry } from '../src/capture/live-ring.js';
import { LiveSource, wireLength } from '../src/capture/live-source.js';
import { readPackets } from '../src/capture/merge.js';
import { openCapture } from '../src/capture/open-capture.js';
import { frameBytes, type PacketRecord, type PacketSource } from '../src/capture/packet-record.js';
import { EXIT, LiveCaptureError } from '../src/errors.js';
import { frame, tcpPacket } from './helpers/frames.js';

// ---------------------------------------------------------------- fake cap

interface FakeBehaviour {
  devices?: string[];
  linkType?: string;
  /** Thrown by open() (first call), like cap's binding throws libpcap's message. */
  openError?: string;
  /** Thrown by open() only when the filter is not empty. */
  filterError?: string;
}

class FakeCapHandle extends EventEmitter implements CapHandle {
  static last: FakeCapHandle | null = null;
  buffer: Buffer | null = null;
  closed = 0;
  opened: { device: string; filter: string } | null = null;
  constructor(private readonly b: FakeBehaviour) {
    super();
    FakeCapHandle.last = this;
  }
  open(device: string, filter: string, _bufSize: number, buffer: Buffer): string {
    if (this.b.openError) throw new Error(this.b.openError);
    if (this.b.filterError && filter !== '') throw new Error(this.b.filterError);
    this.buffer = buffer;
    this.opened = { device, filter };
    return this.b.linkType ?? 'ETHERNET';
  }
  close(): boolean {
    this.closed++;
    return true;
  }
  /** Delivers a frame as cap does: copied into the one buffer, announced by a synchronous event. */
  deliver(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, this.buffer!.length);
    this.buffer!.set(bytes.subarray(0, n));
    this.emit('packet', n, bytes.length > this.buffer!.length);
  }
}

function fakeCap(b: FakeBehaviour = {}): CapModule {
  const devices: CapDevice[] = (b.devices ?? ['eth0', 'any', 'lo']).map((name) => ({ name, addresses: [] }));
  class Cap extends FakeCapHandle {
    constructor() {
      super(b);
    }
    static deviceList(): CapDevice[] {
      return devices;
    }
  }
  return { Cap };
}

const tcpFrame = (payload: number, sport = 40000): Uint8Array =>
  frame(1, tcpPacket({ src: '127.0.0.1', dst: '127.0.0.2', sport, dport: 80, seq: 1, ack: 1, flags: 'PA', payload: new Uint8Array(payload).fill(0x61) }));

/** Pulls every record the source has now (not waiting), copying them. */
function drain(src: PacketSource): { bytes: Uint8Array; rec: Omit<PacketRecord, 'buf'> }[] {
  const out: { bytes: Uint8Array; rec: Omit<PacketRecord, 'buf'> }[] = [];
  for (;;) {
    const r = src.nextSync();
    if (r === null || r === 'more') return out;
    const { buf: _buf, ...rest } = r;
    out.push({ bytes: Uint8Array.from(frameBytes(r)), rec: { ...rest } });
  }
}

// ---------------------------------------------------------------- ring

test('PacketRing: FIFO, wraps around, refuses what does not fit, frees on shift', () => {
  const ring = new PacketRing(100, 8);
  const e: RingEntry = { start: 0, caplen: 0, origLen: 0, tsSec: 0, tsNsec: 0 };
  const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
  assert.ok(ring.push(bytes(40, 1), 0, 40, 40, 1, 0));
  assert.ok(ring.push(bytes(40, 2), 0, 40, 41, 2, 0));
  assert.equal(ring.push(bytes(30, 3), 0, 30, 30, 3, 0), false, '80 + 30 > 100 and no room at the front');
  assert.ok(ring.peek(e));
  assert.deepEqual([e.start, e.caplen, e.origLen, e.tsSec], [0, 40, 40, 1]);
  ring.shift();
  // Now [40, 80) is live: 30 bytes fit at the front (below 40), not 45.
  assert.equal(ring.push(bytes(45, 4), 0, 45, 45, 4, 0), false);
  assert.ok(ring.push(bytes(30, 3), 0, 30, 30, 3, 0));
  assert.equal(ring.push(bytes(10, 5), 0, 10, 10, 5, 0), false, 'wrapped: 30 + 10 would reach the live bytes at 40');
  assert.ok(ring.push(bytes(9, 5), 0, 9, 9, 5, 0));
  const seen: number[][] = [];
  while (ring.peek(e)) {
    seen.push([e.tsSec, e.start, e.caplen, ring.data[e.start]!]);
    ring.shift();
  }
  assert.deepEqual(seen, [[2, 40, 40, 2], [3, 0, 30, 3], [5, 30, 9, 5]]);
  assert.equal(ring.length, 0);
  assert.ok(ring.push(bytes(100, 6), 0, 100, 100, 6, 0), 'empty again: the whole buffer');
  const slots = new PacketRing(1000, 2);
  assert.ok(slots.push(bytes(1, 1), 0, 1, 1, 0, 0));
  assert.ok(slots.push(bytes(1, 1), 0, 1, 1, 0, 0));
  assert.equal(slots.push(bytes(1, 1), 0, 1, 1, 0, 0), false, 'bounded by packets too');
});

// ---------------------------------------------------------------- LiveSource

test('LiveSource: copies each frame out of cap\'s one buffer, stamps it with hrtime anchored to the wall clock', async () => {
  let hr = 5_000_000_000n;
  const src = LiveSource.open({ device: 'lo', filter: 'tcp', cap: fakeCap(), hrtime: () => hr, wallClockMs: () => 1_700_000_000_250 });
  const cap = FakeCapHandle.last!;
  assert.deepEqual(cap.opened, { device: 'lo', filter: 'tcp' });
  assert.equal(src.linkType, 1);
  assert.deepEqual(src.info.linkTypes, ['EN10MB']);
  assert.equal(src.nextSync(), 'more');
  const a = tcpFrame(10, 1);
  const b = tcpFrame(20, 2);
  hr += 1_000n; // 1 µs after open
  cap.deliver(a);
  hr += 900_000_000n; // crosses the second
  cap.deliver(b);
  const got = drain(src);
  assert.equal(got.length, 2);
  assert.deepEqual(got[0]!.bytes, a, 'first frame intact although cap reused its buffer for the second');
  assert.deepEqual(got[1]!.bytes, b);
  assert.deepEqual([got[0]!.rec.tsSec, got[0]!.rec.tsNsec], [1_700_000_000, 250_001_000]);
  assert.deepEqual([got[1]!.rec.tsSec, got[1]!.rec.tsNsec], [1_700_000_001, 150_001_000]);
  assert.equal(got[0]!.rec.origLen, a.length);
  assert.equal(got[0]!.rec.linkType, 1);
  assert.deepEqual([got[0]!.rec.fileOffset, got[1]!.rec.fileOffset], [24, 24 + 16 + a.length], 'offsets a pcap of the capture would have');
  assert.equal(src.info.packets, 2);
  src.stop();
  assert.equal(cap.closed, 1);
  assert.equal(src.nextSync(), null);
});

test('LiveSource: fill() waits for the next packet, resolves at stop; queued frames are still handed out after stop', async () => {
  const src = LiveSource.open({ device: 'lo', cap: fakeCap() });
  const cap = FakeCapHandle.last!;
  let resolved = false;
  const p = src.fill().then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  cap.deliver(tcpFrame(1));
  await p;
  cap.deliver(tcpFrame(2));
  src.stop();
  cap.deliver(tcpFrame(3)); // after stop: ignored
  assert.equal(drain(src).length, 2);
  assert.equal(src.nextSync(), null);
  await src.fill(); // resolves at once when stopped
});

test('LiveSource: a full queue drops and counts, never blocks; the consumer catching up gets what was kept', () => {
  const f = tcpFrame(500);
  const src = LiveSource.open({ device: 'lo', cap: fakeCap(), queueBytes: f.length * 3, queuePackets: 100 });
  const cap = FakeCapHandle.last!;
  for (let i = 0; i < 5; i++) cap.deliver(f);
  assert.equal(src.stats.received, 5);
  assert.equal(src.stats.dropped, 2);
  assert.equal(src.stats.droppedBytes, 2 * f.length);
  assert.equal(drain(src).length, 3);
  cap.deliver(f);
  assert.equal(drain(src).length, 1);
  assert.equal(src.stats.dropped, 2);
  src.close();
});

test('LiveSource: a frame at cap\'s 65535-byte snap length is reported cut (origLen from the IP header), not corrupt', () => {
  const src = LiveSource.open({ device: 'lo', cap: fakeCap() });
  const cap = FakeCapHandle.last!;
  // Loopback's largest: 14 + 65535-byte IPv4 packet = 65549 bytes.
  const big = tcpFrame(65535 - 20 - 20);
  assert.equal(big.length, 65549);
  cap.deliver(big);
  const [r] = drain(src);
  assert.equal(r!.rec.caplen, 65535);
  assert.equal(r!.rec.origLen, 65549);
  assert.deepEqual(r!.bytes, big.subarray(0, 65535));
  assert.deepEqual([src.stats.cut, src.stats.cutBytes], [1, 14]);
  src.close();
});

test('wireLength: from IPv4 total length / IPv6 payload length behind every link layer; caplen when unknown', () => {
  const v4 = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 0, flags: 'A', payload: new Uint8Array(100) });
  const v6 = tcpPacket({ src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2, seq: 0, flags: 'A', payload: new Uint8Array(100) });
  for (const [lt, opts, hdr] of [[1, {}, 14], [1, { vlan: [5, 6] }, 22], [113, {}, 16], [276, {}, 20], [0, {}, 4], [108, {}, 4], [101, {}, 0]] as const) {
    for (const ip of [v4, v6]) {
      const f = frame(lt, ip, opts);
      // Cut to 60 bytes: the length still comes from the header.
      assert.equal(wireLength(f, 60, lt), hdr + ip.length, `link type ${lt} ${JSON.stringify(opts)} IPv${ip[0]! >> 4}`);
    }
  }
  const arp = frame(1, new Uint8Array(28), { etherType: 0x0806 });
  assert.equal(wireLength(arp, arp.length, 1), arp.length);
  const tso = Uint8Array.from(frame(1, v4));
  tso[16] = 0;
  tso[17] = 0; // total length 0 (TSO)
  assert.equal(wireLength(tso, tso.length, 1), tso.length);
  assert.equal(wireLength(frame(1, v4), 10, 1), 10, 'shorter than the link header');
  assert.equal(wireLength(new Uint8Array(50), 50, 147), 50, 'unknown link type');
});

test('capLinkType: cap\'s names to LINKTYPE_ numbers', () => {
  assert.equal(capLinkType('ETHERNET'), 1);
  assert.equal(capLinkType('NULL'), 0);
  assert.equal(capLinkType('RAW'), 101);
  assert.equal(capLinkType('LINKTYPE_LINUX_SLL'), 113);
  assert.equal(capLinkType('Unknown linktype 276'), 276);
  assert.equal(capLinkType('Unknown linktype 12'), 101);
  assert.throws(() => capLinkType('???'), LiveCaptureError);
});

// ---------------------------------------------------------------- errors

function liveError(fn: () => unknown): LiveCaptureError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LiveCaptureError, String(e));
    assert.equal(e.exitCode, EXIT.live);
    assert.doesNotMatch(e.message, /\n/);
    return e;
  }
  assert.fail('expected a LiveCaptureError');
}

test('cap missing or not built: one line saying to install libpcap-dev and rebuild cap', () => {
  const missing = liveError(() => loadCap(() => {
    throw Object.assign(new Error("Cannot find module 'cap'\nRequire stack:\n- x"), { code: 'MODULE_NOT_FOUND' });
  }));
  assert.match(missing.message, /`cap` is not installed.*install libpcap-dev .*npm rebuild cap/);
  const unbuilt = liveError(() => loadCap(() => {
    throw Object.assign(new Error("Cannot find module '../build/Release/cap.node'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
  }));
  assert.match(unbuilt.message, /not built or cannot load libpcap \(Cannot find module '\.\.\/build\/Release\/cap\.node'\).*npm rebuild cap/);
  const noLib = liveError(() => loadCap(() => {
    throw new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory');
  }));
  assert.match(noLib.message, /libpcap\.so\.0\.8.*install libpcap-dev/);
});

test('openCap: unknown interface lists the real ones; permission, filter and device errors say what to do', () => {
  const buf = Buffer.alloc(16);
  const unknown = liveError(() => openCap(fakeCap(), 'eth9', '', 1, buf));
  assert.equal(unknown.message, 'no interface "eth9": the interfaces are eth0, any, lo; choose one with -i');
  const perm = liveError(() => openCap(fakeCap({ openError: 'socket: Operation not permitted' }), 'lo', 'tcp', 1, buf));
  assert.match(perm.message, /^no permission to capture on lo \(libpcap: socket: Operation not permitted\): run as root, or .*sudo setcap cap_net_raw,cap_net_admin=eip \$\(command -v node\)$/);
  const filter = liveError(() => openCap(fakeCap({ filterError: "can't parse filter expression: syntax error" }), 'lo', 'tcp and and', 1, buf));
  assert.equal(filter.message, 'bad capture filter "tcp and and": can\'t parse filter expression: syntax error (see man pcap-filter)');
  const down = liveError(() => openCap(fakeCap({ openError: 'That device is not up' }), 'lo', 'tcp', 1, buf));
  assert.equal(down.message, 'cannot capture on lo: That device is not up');
});

// ---------------------------------------------------------------- pcap writer

test('PcapFileWriter: what it writes reads back identically (proxytrace\'s reader), cut frames keep their original length', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-live-writer-'));
  try {
    const file = path.join(dir, 'out.pcap');
    const w = new PcapFileWriter(file, 1, 4 << 20);
    const frames = [tcpFrame(10), tcpFrame(3000), tcpFrame(0)];
    const big = new Uint8Array(2 << 20).fill(7); // larger than the writer's buffer
    const recs: PacketRecord[] = [...frames, big].map((f, i) => ({
      buf: f, start: 0, caplen: f.length, origLen: f === big ? f.length + 14 : f.length, tsSec: 1_700_000_000 + i, tsNsec: 123_456_789,
      linkType: 1, interfaceId: 0, source: 0, fileOffset: 0,
    }));
    for (const r of recs) w.write(r);
    w.close();
    w.close();
    const got: [number, number, number, number, Uint8Array][] = [];
    const src = await openCapture(file, 0);
    const { errors } = await readPackets([src], (r) => got.push([r.tsSec, r.tsNsec, r.caplen, r.origLen, Uint8Array.from(frameBytes(r))]));
    assert.deepEqual(errors, []);
    assert.deepEqual(got, recs.map((r) => [r.tsSec, 123_456_000, r.caplen, r.origLen, r.buf]));
    const head = fs.readFileSync(file).subarray(0, 24);
    assert.deepEqual([head.readUInt32LE(0), head.readUInt16LE(4), head.readUInt16LE(6), head.readUInt32LE(16), head.readUInt32LE(20)], [0xa1b2c3d4, 2, 4, 4 << 20, 1]);
    assert.throws(() => new PcapFileWriter(path.join(dir, 'no', 'such', 'dir.pcap'), 1, 65535), (e: unknown) => e instanceof LiveCaptureError && /cannot create the capture file \(ENOENT\)/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- live feed

/** Pulls a LiveFeed to its end the way the pipeline does; what it reports at the end. */
async function drainFeed(feed: LiveFeed, onPacket: (caplen: number) => void = () => {}): Promise<{ packets: number; reason: string | null; error: CaptureError | null }> {
  for (;;) {
    let r;
    try {
      r = feed.nextSync();
    } catch (e) {
      if (e instanceof CaptureError) break;
      throw e;
    }
    if (r === null) break;
    if (r === 'more') await feed.fill();
    else onPacket(r.caplen);
  }
  feed.close();
  return { packets: feed.packets, reason: feed.reason, error: feed.error };
}

function feed(source: ConstructorParameters<typeof LiveFeed>[0], opts: LiveFeedOptions = {}): LiveFeed {
  return new LiveFeed(source, opts);
}

test('LiveFeed: --count stops the live source after N packets; stop() ends it with what was queued', async () => {
  const src = LiveSource.open({ device: 'lo', cap: fakeCap() });
  const cap = FakeCapHandle.last!;
  const seen: number[] = [];
  const run = drainFeed(feed(src, { count: 3, stopSource: () => src.stop() }), (n) => seen.push(n));
  for (let i = 1; i <= 5; i++) {
    cap.deliver(tcpFrame(i));
    await new Promise((r) => setImmediate(r));
  }
  const r = await run;
  assert.deepEqual([r.packets, r.reason, seen.length], [3, 'count', 3]);
  assert.ok(src.isStopped);

  const src2 = LiveSource.open({ device: 'lo', cap: fakeCap() });
  const cap2 = FakeCapHandle.last!;
  const loop2 = feed(src2, { stopSource: () => src2.stop() });
  const run2 = drainFeed(loop2);
  cap2.deliver(tcpFrame(1));
  cap2.deliver(tcpFrame(2));
  loop2.stop();
  const r2 = await run2;
  assert.deepEqual([r2.packets, r2.reason], [2, 'stopped']);
});

test('LiveFeed on a stream: reads to the end; stop() gives a stalled stream its grace time, then abandons it', async () => {
  const pcap = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'captures', 'tcp-timeout-server', 'capture.pcap'));
  const r = await drainFeed(feed(await openCapture('-', 0, { stdin: Readable.from([pcap]) })));
  assert.deepEqual([r.packets, r.reason, r.error], [40, 'end', null]);

  // A stream that sends the capture's first part and then nothing, never ending.
  const stalled = new Readable({ read() {} });
  stalled.push(pcap.subarray(0, 1000));
  const loop = feed(await openCapture('-', 0, { stdin: stalled }));
  const run = drainFeed(loop);
  await new Promise((res) => setTimeout(res, 50));
  const t0 = Date.now();
  loop.stop(200);
  const r2 = await run;
  assert.equal(r2.reason, 'stopped');
  assert.ok(r2.packets > 0 && r2.packets < 40, String(r2.packets));
  assert.ok(Date.now() - t0 >= 150, 'waited for the grace time');
});
