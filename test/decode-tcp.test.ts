import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from '../src/decode/decode-frame.js';
import {
  newDecodedPacket, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type DecodedPacket,
} from '../src/decode/decoded-packet.js';
import { frame, tcpPacket, udpPacket, type TcpOptionsSpec, type TcpPacketSpec } from './helpers/frames.js';

const base: TcpPacketSpec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 80, seq: 100, ack: 200, flags: 'A' };

function decode(data: Uint8Array, out = newDecodedPacket()): DecodedPacket {
  return decodeFrame(data, 1, out);
}

function withOptions(options: TcpOptionsSpec, spec: Partial<TcpPacketSpec> = {}): DecodedPacket {
  return decode(frame(1, tcpPacket({ ...base, ...spec, options })));
}

function assertError(p: DecodedPacket, expected: { layer: string; code: string; offset: number; required: number; actual: number }): void {
  assert.equal(p.outcome, 'error');
  assert.deepEqual({ ...p.error }, expected);
}

const noOptions = { mss: -1, windowScale: -1, sackPermitted: false, tsVal: -1, tsEcr: -1, sack: [] as number[] };

function options(p: DecodedPacket): typeof noOptions {
  return { mss: p.mss, windowScale: p.windowScale, sackPermitted: p.sackPermitted, tsVal: p.tsVal, tsEcr: p.tsEcr, sack: [...p.sack] };
}

describe('TCP header', () => {
  it('fields, unsigned 32-bit sequence numbers', () => {
    const p = decode(frame(1, tcpPacket({ ...base, sport: 65535, dport: 1, seq: 0xfffffffe, ack: 0x80000000, window: 0xabcd, payload: 'data!' })));
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.srcPort, 65535);
    assert.equal(p.dstPort, 1);
    assert.equal(p.seq, 0xfffffffe);
    assert.equal(p.ack, 0x80000000);
    assert.equal(p.window, 0xabcd);
    assert.equal(p.payloadOffset, 54);
    assert.equal(p.payloadLength, 5);
    assert.equal(p.capturedPayloadLength, 5);
    assert.deepEqual(options(p), noOptions);
  });

  it('keeps the checksum field as captured', () => {
    const f = frame(1, tcpPacket({ ...base, payload: 'x' }));
    assert.equal(decode(f).tcpChecksum, (f[14 + 20 + 16]! << 8) | f[14 + 20 + 17]!);
    f[14 + 20 + 16] = 0; // wrong checksums (offload) are not an error
    f[14 + 20 + 17] = 0;
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.tcpChecksum, 0);
  });

  it('flags', () => {
    const cases: [string, number][] = [
      ['S', TCP_SYN], ['SA', TCP_SYN | TCP_ACK], ['A', TCP_ACK], ['PA', TCP_PSH | TCP_ACK], ['FA', TCP_FIN | TCP_ACK],
      ['R', TCP_RST], ['RA', TCP_RST | TCP_ACK], ['UEC', TCP_URG | TCP_ECE | TCP_CWR],
    ];
    for (const [flags, bits] of cases) assert.equal(decode(frame(1, tcpPacket({ ...base, flags }))).flags, bits, flags);
  });

  it('data offset too small, beyond the IP payload, beyond the frame', () => {
    const f = frame(1, tcpPacket(base));
    const small = Uint8Array.from(f);
    small[14 + 20 + 12] = 0x40;
    assertError(decode(small), { layer: 'tcp', code: 'bad_tcp_data_offset', offset: 34, required: 20, actual: 16 });
    const big = Uint8Array.from(f);
    big[14 + 20 + 12] = 0xf0;
    assertError(decode(big), { layer: 'tcp', code: 'tcp_header_beyond_ip_payload', offset: 34, required: 60, actual: 20 });
    const padded = frame(1, tcpPacket(base), { padTo: 120 }); // the frame has room, the IP length does not
    padded[14 + 20 + 12] = 0xf0;
    assertError(decode(padded), { layer: 'tcp', code: 'tcp_header_beyond_ip_payload', offset: 34, required: 60, actual: 20 });

    const withTs = frame(1, tcpPacket({ ...base, options: { ts: [1, 2] }, payload: new Uint8Array(50) }));
    assertError(decode(withTs.subarray(0, 34 + 30)), { layer: 'tcp', code: 'truncated_tcp_header', offset: 34, required: 32, actual: 30 });
    assertError(decode(withTs.subarray(0, 34 + 19)), { layer: 'tcp', code: 'truncated_tcp_header', offset: 34, required: 20, actual: 19 });
  });
});

describe('TCP options', () => {
  it('SYN options as Linux sends them', () => {
    const p = withOptions({ mss: 1460, sackPermitted: true, ts: [0xdeadbeef, 0], wscale: 7 }, { flags: 'S' });
    assert.deepEqual(options(p), { mss: 1460, windowScale: 7, sackPermitted: true, tsVal: 0xdeadbeef, tsEcr: 0, sack: [] });
    assert.equal(p.payloadOffset, 14 + 20 + 40);
  });

  it('each option alone', () => {
    assert.deepEqual(options(withOptions({ mss: 536 })), { ...noOptions, mss: 536 });
    assert.deepEqual(options(withOptions({ wscale: 0 })), { ...noOptions, windowScale: 0 });
    assert.deepEqual(options(withOptions({ wscale: 14 })), { ...noOptions, windowScale: 14 });
    assert.deepEqual(options(withOptions({ sackPermitted: true })), { ...noOptions, sackPermitted: true });
    assert.deepEqual(options(withOptions({ ts: [0xffffffff, 0x80000001] })), { ...noOptions, tsVal: 0xffffffff, tsEcr: 0x80000001 });
  });

  it('window scale above 14 is taken as 14 (RFC 7323)', () => {
    assert.equal(withOptions({ wscale: 15 }).windowScale, 14);
    assert.equal(withOptions({ wscale: 255 }).windowScale, 14);
  });

  it('SACK with 1 to 4 blocks', () => {
    const blocks: [number, number][] = [[0xfffffff0, 0x00000010], [0x80000000, 0x80001000], [1, 2], [3, 4]];
    for (let n = 1; n <= 4; n++) {
      const p = withOptions({ sack: blocks.slice(0, n) });
      assert.deepEqual([...p.sack], blocks.slice(0, n).flat());
    }
    const p = withOptions({ ts: [5, 6], sack: blocks.slice(0, 3) });
    assert.deepEqual([...p.sack], blocks.slice(0, 3).flat());
    assert.equal(p.tsVal, 5);
  });

  it('the SACK array is reused and emptied', () => {
    const out = newDecodedPacket();
    const sack = out.sack;
    decode(frame(1, tcpPacket({ ...base, options: { sack: [[1, 2], [3, 4]] } })), out);
    assert.deepEqual([...out.sack], [1, 2, 3, 4]);
    decode(frame(1, tcpPacket({ ...base, options: { sack: [[5, 6]] } })), out);
    assert.deepEqual([...out.sack], [5, 6]);
    decode(frame(1, tcpPacket(base)), out);
    assert.equal(out.sack.length, 0);
    decode(frame(1, tcpPacket({ ...base, options: { sack: [[7, 8]], mss: 1400 } })), out);
    // NOP, NOP, timestamps (Linux's established segments, read without the option loop) clears them too.
    decode(frame(1, tcpPacket({ ...base, options: { ts: [9, 10] } })), out);
    assert.deepEqual(options(out), { ...noOptions, tsVal: 9, tsEcr: 10 });
    decode(frame(1, tcpPacket({ ...base, options: { sack: [[7, 8]] } })), out);
    decode(frame(1, udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 })), out);
    assert.equal(out.sack.length, 0);
    assert.equal(out.sack, sack);
  });

  it('a repeated SACK option replaces the first', () => {
    const p = withOptions({ sack: [[1, 2], [3, 4]], raw: [5, 10, 0, 0, 0, 9, 0, 0, 0, 10] });
    assert.deepEqual([...p.sack], [9, 10]);
  });

  it('malformed lengths stop parsing and keep what came before', () => {
    // MSS, then a zero length.
    assert.deepEqual(options(withOptions({ mss: 1400, raw: [8, 0, 1, 2, 3, 4, 5, 6, 7, 8] })), { ...noOptions, mss: 1400 });
    // Length 1.
    assert.deepEqual(options(withOptions({ raw: [3, 1, 7, 2, 4, 5, 0xb4] })), noOptions);
    // Timestamps running past the header.
    assert.deepEqual(options(withOptions({ raw: [1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0] })), { ...noOptions, sackPermitted: true });
    // A kind byte with no length byte left.
    assert.deepEqual(options(withOptions({ raw: [1, 1, 1, 2] })), noOptions);
  });

  it('a wrong length for the kind skips the option, nothing bogus recorded', () => {
    assert.deepEqual(options(withOptions({ raw: [2, 3, 5, 3, 3, 9] })), { ...noOptions, windowScale: 9 }); // MSS length 3
    assert.deepEqual(options(withOptions({ raw: [3, 4, 7, 7, 4, 3, 0, 0] })), noOptions); // wscale length 4, SACK-permitted length 3
    assert.deepEqual(options(withOptions({ raw: [5, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 2, 4, 1, 0] })), { ...noOptions, mss: 256 }); // SACK length 12
    assert.deepEqual(options(withOptions({ raw: [5, 2, 8, 8, 0, 0, 0, 1, 0, 0, 0, 2] })), noOptions); // empty SACK, TS length 8
  });

  it('EOL ends the options', () => {
    assert.deepEqual(options(withOptions({ raw: [0, 2, 4, 5, 0xb4] })), noOptions);
  });

  it('unknown options are skipped by their length', () => {
    assert.deepEqual(options(withOptions({ raw: [30, 6, 1, 2, 3, 4, 2, 4, 1, 0] })), { ...noOptions, mss: 256 });
  });

  it('fields of a previous packet never leak into the next', () => {
    const out = newDecodedPacket();
    decode(frame(1, tcpPacket({ ...base, options: { mss: 1, wscale: 2, sackPermitted: true, ts: [3, 4] } })), out);
    decode(frame(1, tcpPacket(base)), out);
    assert.deepEqual(options(out), noOptions);
    decode(new Uint8Array(5), out);
    assert.equal(out.outcome, 'error');
    decode(frame(1, tcpPacket({ ...base, src: '::1', dst: '::2' })), out);
    assert.equal(out.outcome, 'tcp');
    assert.equal(out.error, null);
    assert.equal(out.src4, 0);
    assert.equal(out.ipId, -1);
    decode(frame(1, udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 })), out);
    assert.equal(out.srcPort, 0);
    assert.equal(out.src6Offset, -1);
    assert.equal(out.payloadLength, 0);
  });
});
