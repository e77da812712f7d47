import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from '../src/decode/decode-frame.js';
import { newDecodedPacket, type DecodedPacket } from '../src/decode/decoded-packet.js';
import { formatIPv6 } from '../src/decode/format-address.js';
import { fragmentPacket, frame, ipPacket, tcpPacket, udpPacket, type TcpPacketSpec } from './helpers/frames.js';

const base4: TcpPacketSpec = { src: '192.168.1.10', dst: '10.1.2.3', sport: 51000, dport: 8080, seq: 7, ack: 9, flags: 'PA' };
const base6: TcpPacketSpec = { src: '2001:db8::a', dst: 'fe80::1', sport: 51000, dport: 8080, seq: 7, ack: 9, flags: 'PA' };

function decode(data: Uint8Array, linkType = 1): DecodedPacket {
  return decodeFrame(data, linkType, newDecodedPacket());
}

function assertError(p: DecodedPacket, expected: { layer: string; code: string; offset: number; required: number; actual: number }): void {
  assert.equal(p.outcome, 'error');
  assert.deepEqual({ ...p.error }, expected);
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

describe('IPv4', () => {
  it('header fields', () => {
    const p = decode(frame(1, tcpPacket({ ...base4, ipId: 0xbeef, ttl: 3, payload: 'abc' })));
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.src4, 0xc0a8010a);
    assert.equal(p.dst4, 0x0a010203);
    assert.equal(p.ipId, 0xbeef);
    assert.equal(p.ttl, 3);
    assert.equal(p.protocol, 6);
    assert.equal(p.transportOffset, 34);
    assert.equal(p.src6Offset, -1);
    assert.equal(p.dst6Offset, -1);
  });

  it('options (IHL > 5)', () => {
    const ipOptions = [0x07, 0x0b, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]; // record route, 2 slots, NOP
    const p = decode(frame(1, tcpPacket({ ...base4, ipOptions, payload: 'abcdef' })));
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.transportOffset, 14 + 32);
    assert.equal(p.payloadOffset, 14 + 32 + 20);
    assert.equal(p.payloadLength, 6);
    assert.equal(p.srcPort, 51000);
  });

  it('Ethernet padding is not payload', () => {
    const f = frame(1, tcpPacket({ ...base4, flags: 'A', payload: 'xy' }), { padTo: 60 });
    assert.equal(f.length, 60);
    const p = decode(f);
    assert.equal(p.payloadLength, 2);
    assert.equal(p.capturedPayloadLength, 2);
    const syn = decode(frame(1, tcpPacket({ ...base4, flags: 'S' }), { padTo: 60 }));
    assert.equal(syn.payloadLength, 0);
    assert.equal(syn.capturedPayloadLength, 0);
  });

  it('a frame cut by the snap length keeps the IP payload length', () => {
    const f = frame(1, tcpPacket({ ...base4, payload: new Uint8Array(1000) }));
    const p = decode(f.subarray(0, 14 + 20 + 20 + 100));
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.payloadLength, 1000);
    assert.equal(p.capturedPayloadLength, 100);
    const headersOnly = decode(f.subarray(0, 54));
    assert.equal(headersOnly.outcome, 'tcp');
    assert.equal(headersOnly.capturedPayloadLength, 0);
  });

  it('fragments', () => {
    const pkt = tcpPacket({ ...base4, ipId: 4242, payload: new Uint8Array(100) });
    const fragments = fragmentPacket(pkt, 48);
    assert.equal(fragments.length, 3);
    for (const [i, f] of fragments.entries()) {
      const p = decode(frame(1, f));
      assert.equal(p.outcome, 'fragment', `fragment ${i}`);
      assert.equal(p.ipId, 4242);
      assert.equal(p.protocol, 6);
      assert.equal(p.src4, 0xc0a8010a);
      assert.equal(p.error, null);
      assert.equal(p.srcPort, 0);
    }
  });

  it('DF alone is not a fragment', () => {
    assert.equal(decode(frame(1, tcpPacket({ ...base4, dontFragment: true }))).outcome, 'tcp');
    assert.equal(decode(frame(1, tcpPacket({ ...base4, dontFragment: false }))).outcome, 'tcp');
  });

  it('total length 0 (TSO super-packet captured on the sender) takes the frame length', () => {
    const f = frame(1, tcpPacket({ ...base4, payload: new Uint8Array(3000) }));
    put16(f, 16, 0);
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.payloadLength, 3000);
    assert.equal(p.capturedPayloadLength, 3000);
  });

  it('malformed headers', () => {
    const good = frame(1, tcpPacket({ ...base4, payload: 'abc' }));
    assertError(decode(good.subarray(0, 14 + 19)), { layer: 'ipv4', code: 'truncated_ipv4_header', offset: 14, required: 20, actual: 19 });

    const badIhl = Uint8Array.from(good);
    badIhl[14] = 0x44;
    assertError(decode(badIhl), { layer: 'ipv4', code: 'bad_ipv4_header_length', offset: 14, required: 20, actual: 16 });

    const withOptions = frame(1, tcpPacket({ ...base4, ipOptions: [1, 1, 1, 1] }));
    assertError(decode(withOptions.subarray(0, 14 + 22)), { layer: 'ipv4', code: 'truncated_ipv4_header', offset: 14, required: 24, actual: 22 });

    const short = Uint8Array.from(good);
    put16(short, 16, 10);
    assertError(decode(short), { layer: 'ipv4', code: 'ipv4_total_length_too_small', offset: 14, required: 20, actual: 10 });
    assert.equal(decode(short).src4, 0xc0a8010a); // still says who sent it

    const noTcpRoom = Uint8Array.from(good);
    put16(noTcpRoom, 16, 30);
    assertError(decode(noTcpRoom), { layer: 'tcp', code: 'tcp_header_beyond_ip_payload', offset: 34, required: 20, actual: 10 });
  });

  it('UDP and ICMP are "other" with the protocol', () => {
    const udp = decode(frame(1, udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 })));
    assert.equal(udp.outcome, 'other');
    assert.equal(udp.protocol, 17);
    assert.equal(udp.transportOffset, 34);
    assert.equal(udp.src4, 0x0a000001);
    const icmp = decode(frame(1, ipPacket({ src: '10.0.0.1', dst: '10.0.0.2' }, 1, new Uint8Array([8, 0, 0xf7, 0xff, 0, 0, 0, 0]))));
    assert.equal(icmp.outcome, 'other');
    assert.equal(icmp.protocol, 1);
  });
});

describe('IPv6', () => {
  it('header fields', () => {
    const f = frame(1, tcpPacket({ ...base6, ttl: 17, payload: 'abc' }));
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.ipVersion, 6);
    assert.equal(p.ttl, 17);
    assert.equal(p.src6Offset, 14 + 8);
    assert.equal(p.dst6Offset, 14 + 24);
    assert.equal(formatIPv6(f, p.src6Offset), '2001:db8::a');
    assert.equal(formatIPv6(f, p.dst6Offset), 'fe80::1');
    assert.equal(p.src4, 0);
    assert.equal(p.ipId, -1);
    assert.equal(p.transportOffset, 54);
    assert.equal(p.payloadOffset, 74);
    assert.equal(p.payloadLength, 3);
  });

  it('extension headers: hop-by-hop, destination options, routing, AH', () => {
    const ipv6Ext = [
      { type: 0, body: [1, 4, 0, 0, 0, 0] }, // PadN
      { type: 60, body: [1, 12, ...new Array<number>(12).fill(0)] }, // 16 bytes
      { type: 43, body: [0, 0, 0, 0, 0, 0] }, // routing type 0, segments left 0
      { type: 51, body: [0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, // 24 bytes, 12-byte ICV
    ];
    const f = frame(1, tcpPacket({ ...base6, ipv6Ext, payload: 'hello' }));
    assert.equal(f[14 + 40 + 8 + 16 + 8 + 1], 4); // AH length field: 24 / 4 - 2
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.protocol, 6);
    assert.equal(p.transportOffset, 14 + 40 + 8 + 16 + 8 + 24);
    assert.equal(p.payloadLength, 5);
    assert.equal(p.capturedPayloadLength, 5);
    assert.equal(p.srcPort, 51000);
  });

  it('extension headers before UDP, and no next header', () => {
    const udp = decode(frame(1, udpPacket({ src: '::1', dst: '::2', sport: 1, dport: 2, ipv6Ext: [{ type: 60, body: [] }] })));
    assert.equal(udp.outcome, 'other');
    assert.equal(udp.protocol, 17);
    assert.equal(udp.transportOffset, 14 + 48);
    const none = decode(frame(1, ipPacket({ src: '::1', dst: '::2', ipv6Ext: [{ type: 0, body: [] }] }, 59, new Uint8Array(0))));
    assert.equal(none.outcome, 'other');
    assert.equal(none.protocol, 59);
  });

  it('fragments (identification from the fragment header)', () => {
    const pkt = tcpPacket({ ...base6, ipv6Ext: [{ type: 0, body: [] }], payload: new Uint8Array(100) });
    const fragments = fragmentPacket(pkt, 64, 0xfeedf00d);
    assert.equal(fragments.length, 2);
    for (const f of fragments) {
      const p = decode(frame(1, f));
      assert.equal(p.outcome, 'fragment');
      assert.equal(p.ipId, 0xfeedf00d);
      assert.equal(p.protocol, 6);
      assert.equal(p.transportOffset, 14 + 40 + 8 + 8);
    }
  });

  it('an atomic fragment (offset 0, no M) is a whole packet', () => {
    const p = decode(frame(1, tcpPacket({ ...base6, ipv6Ext: [{ type: 44, body: [0, 0, 0xa0, 0, 0, 1] }], payload: 'z' })));
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.ipId, 0xa0000001);
    assert.equal(p.payloadLength, 1);
  });

  it('jumbogram: the length comes from the hop-by-hop jumbo option', () => {
    const f = frame(1, tcpPacket({ ...base6, ipv6Ext: [{ type: 0, body: [0xc2, 4, 0, 0, 0, 0] }], payload: new Uint8Array(100) }));
    put16(f, 14 + 4, 0);
    const jumbo = 8 + 20 + 70000; // as if the snap length cut a 70000-byte payload to 100
    f.set([jumbo >>> 24, (jumbo >>> 16) & 255, (jumbo >>> 8) & 255, jumbo & 255], 14 + 40 + 4);
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.payloadLength, 70000);
    assert.equal(p.capturedPayloadLength, 100);
  });

  it('payload length 0 without jumbo option (BIG TCP capture) takes the frame length', () => {
    const f = frame(1, tcpPacket({ ...base6, payload: new Uint8Array(200) }));
    put16(f, 14 + 4, 0);
    const p = decode(f);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.payloadLength, 200);
  });

  it('snap length cut', () => {
    const f = frame(113, tcpPacket({ ...base6, ipv6Ext: [{ type: 60, body: [] }], payload: new Uint8Array(500) }));
    const p = decode(f.subarray(0, 16 + 40 + 8 + 20 + 10), 113);
    assert.equal(p.outcome, 'tcp');
    assert.equal(p.payloadLength, 500);
    assert.equal(p.capturedPayloadLength, 10);
  });

  it('malformed headers', () => {
    const plain = frame(1, tcpPacket(base6));
    assertError(decode(plain.subarray(0, 14 + 39)), { layer: 'ipv6', code: 'truncated_ipv6_header', offset: 14, required: 40, actual: 39 });

    const ext = frame(1, tcpPacket({ ...base6, ipv6Ext: [{ type: 0, body: [] }, { type: 60, body: new Array<number>(14).fill(0) }] }));
    assertError(decode(ext.subarray(0, 14 + 40 + 1)), { layer: 'ipv6', code: 'truncated_ipv6_extension_header', offset: 54, required: 2, actual: 1 });
    assertError(decode(ext.subarray(0, 14 + 40 + 8 + 10)), { layer: 'ipv6', code: 'truncated_ipv6_extension_header', offset: 62, required: 16, actual: 10 });

    const tooShort = Uint8Array.from(ext);
    put16(tooShort, 14 + 4, 12);
    assertError(decode(tooShort), { layer: 'ipv6', code: 'ipv6_payload_length_too_small', offset: 62, required: 24, actual: 12 });

    const noTcpRoom = Uint8Array.from(plain);
    put16(noTcpRoom, 14 + 4, 19);
    assertError(decode(noTcpRoom), { layer: 'tcp', code: 'tcp_header_beyond_ip_payload', offset: 54, required: 20, actual: 19 });
  });
});
