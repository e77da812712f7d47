import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame, isSupportedLinkType } from '../src/decode/decode-frame.js';
import { newDecodedPacket, type DecodedPacket } from '../src/decode/decoded-packet.js';
import { frame, tcpPacket, udpPacket, type FrameOptions } from './helpers/frames.js';

const v4 = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 1000, ack: 2000, flags: 'PA', payload: 'hello' });
const v6 = tcpPacket({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40001, dport: 443, seq: 1, ack: 2, flags: 'A', payload: 'hi' });

function decode(data: Uint8Array, linkType: number): DecodedPacket {
  return decodeFrame(data, linkType, newDecodedPacket());
}

function assertTcp(p: DecodedPacket, version: 4 | 6, ipOffset: number): void {
  assert.equal(p.error, null);
  assert.equal(p.outcome, 'tcp');
  assert.equal(p.ipVersion, version);
  assert.equal(p.ipOffset, ipOffset);
  assert.equal(p.etherType, version === 4 ? 0x0800 : 0x86dd);
  if (version === 4) {
    assert.equal(p.srcPort, 40000);
    assert.equal(p.payloadLength, 5);
  } else {
    assert.equal(p.srcPort, 40001);
    assert.equal(p.payloadLength, 2);
  }
  assert.equal(p.capturedPayloadLength, p.payloadLength);
}

function assertError(p: DecodedPacket, expected: { layer: string; code: string; offset: number; required: number; actual: number }): void {
  assert.equal(p.outcome, 'error');
  assert.deepEqual({ ...p.error }, expected);
}

describe('link layers', () => {
  const cases: [string, number, FrameOptions, number][] = [
    ['EN10MB', 1, {}, 14],
    ['NULL little-endian', 0, { nullByteOrder: 'le' }, 4],
    ['NULL big-endian', 0, { nullByteOrder: 'be' }, 4],
    ['LOOP', 108, {}, 4],
    ['RAW (101)', 101, {}, 0],
    ['DLT_RAW 12', 12, {}, 0],
    ['DLT_RAW 14 (OpenBSD)', 14, {}, 0],
    ['LINUX_SLL', 113, {}, 16],
    ['LINUX_SLL2', 276, {}, 20],
  ];
  for (const [name, linkType, opts, offset] of cases) {
    it(`${name}: IPv4 and IPv6`, () => {
      assertTcp(decode(frame(linkType, v4, opts), linkType), 4, offset);
      assertTcp(decode(frame(linkType, v6, opts), linkType), 6, offset);
    });
  }

  it('IPV4 (228) and IPV6 (229)', () => {
    assertTcp(decode(frame(228, v4), 228), 4, 0);
    assertTcp(decode(frame(229, v6), 229), 6, 0);
  });

  it('NULL/LOOP: every AF_INET6 value, in both byte orders', () => {
    for (const family of [10, 23, 24, 28, 30]) {
      for (const nullByteOrder of ['le', 'be'] as const) {
        assertTcp(decode(frame(0, v6, { family, nullByteOrder }), 0), 6, 4);
      }
      assertTcp(decode(frame(108, v6, { family }), 108), 6, 4);
    }
  });

  it('NULL: an unknown family is "other"', () => {
    const p = decode(frame(0, v4, { family: 17 }), 0);
    assert.equal(p.outcome, 'other');
    assert.equal(p.error, null);
    assert.equal(p.etherType, 0);
    assert.equal(p.ipVersion, 0);
  });

  it('link type 12 holding a loopback header (DLT_LOOP on OpenBSD)', () => {
    assertTcp(decode(frame(108, v4), 12), 4, 4);
    assertTcp(decode(frame(108, v6, { family: 24 }), 12), 6, 4);
  });

  it('802.1Q VLAN tag', () => {
    const f = frame(1, v4, { vlan: [100] });
    assert.equal((f[12]! << 8) | f[13]!, 0x8100);
    assertTcp(decode(f, 1), 4, 18);
    assertTcp(decode(frame(1, v6, { vlan: [4094] }), 1), 6, 18);
  });

  it('QinQ: 0x88a8 outer tag, and stacked 0x9100 tags', () => {
    const f = frame(1, v4, { vlan: [10, 20] });
    assert.equal((f[12]! << 8) | f[13]!, 0x88a8);
    assert.equal((f[16]! << 8) | f[17]!, 0x8100);
    assertTcp(decode(f, 1), 4, 22);
    assertTcp(decode(frame(1, v6, { vlan: [1, 2, 3], vlanTpids: [0x9100, 0x9100, 0x8100] }), 1), 6, 26);
  });

  it('VLAN tag in a Linux cooked capture', () => {
    assertTcp(decode(frame(113, v4, { vlan: [5] }), 113), 4, 20);
    assertTcp(decode(frame(276, v6, { vlan: [5, 6] }), 276), 6, 28);
  });

  it('non-IP EtherTypes are "other" with the EtherType', () => {
    const arp = new Uint8Array(28);
    for (const [linkType, opts] of [[1, { etherType: 0x0806 }], [1, { etherType: 0x0806, vlan: [7] }], [113, { etherType: 0x0806 }], [276, { etherType: 0x88cc }]] as const) {
      const p = decode(frame(linkType, arp, opts), linkType);
      assert.equal(p.outcome, 'other');
      assert.equal(p.etherType, opts.etherType);
      assert.equal(p.ipVersion, 0);
      assert.equal(p.protocol, 0);
      assert.equal(p.transportOffset, -1);
      assert.equal(p.error, null);
    }
  });

  it('truncated link headers', () => {
    assertError(decode(new Uint8Array(10), 1), { layer: 'link', code: 'truncated_ethernet_header', offset: 0, required: 14, actual: 10 });
    assertError(decode(frame(1, v4, { vlan: [3] }).subarray(0, 16), 1), { layer: 'link', code: 'truncated_vlan_tag', offset: 14, required: 4, actual: 2 });
    assertError(decode(new Uint8Array(3), 0), { layer: 'link', code: 'truncated_loopback_header', offset: 0, required: 4, actual: 3 });
    assertError(decode(new Uint8Array(0), 108), { layer: 'link', code: 'truncated_loopback_header', offset: 0, required: 4, actual: 0 });
    assertError(decode(new Uint8Array(15), 113), { layer: 'link', code: 'truncated_sll_header', offset: 0, required: 16, actual: 15 });
    assertError(decode(new Uint8Array(19), 276), { layer: 'link', code: 'truncated_sll2_header', offset: 0, required: 20, actual: 19 });
  });

  it('a link header with nothing after it', () => {
    assertError(decode(frame(1, v4).subarray(0, 14), 1), { layer: 'ipv4', code: 'truncated_ipv4_header', offset: 14, required: 20, actual: 0 });
    assertError(decode(frame(0, v6).subarray(0, 4), 0), { layer: 'ipv6', code: 'truncated_ipv6_header', offset: 4, required: 40, actual: 0 });
    assertError(decode(new Uint8Array(0), 101), { layer: 'ip', code: 'truncated_ip_header', offset: 0, required: 1, actual: 0 });
  });

  it('the IP version must match what the link layer announces', () => {
    assertError(decode(frame(1, v6, { etherType: 0x0800 }), 1), { layer: 'ip', code: 'bad_ip_version', offset: 14, required: 4, actual: 6 });
    assertError(decode(frame(228, v6), 228), { layer: 'ip', code: 'bad_ip_version', offset: 0, required: 4, actual: 6 });
    assertError(decode(frame(229, v4), 229), { layer: 'ip', code: 'bad_ip_version', offset: 0, required: 6, actual: 4 });
    assertError(decode(frame(0, v4, { family: 30 }), 0), { layer: 'ip', code: 'bad_ip_version', offset: 4, required: 6, actual: 4 });
    const bad = Uint8Array.from(v4);
    bad[0] = 0x55;
    assertError(decode(bad, 101), { layer: 'ip', code: 'bad_ip_version', offset: 0, required: 0, actual: 5 });
  });

  it('unknown link types', () => {
    assertError(decode(frame(1, v4), 147), { layer: 'link', code: 'unknown_link_type', offset: 0, required: 0, actual: 147 });
    assert.equal(isSupportedLinkType(147), false);
    for (const linkType of [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]) assert.equal(isSupportedLinkType(linkType), true);
  });

  it('UDP over every link type is "other" with the protocol', () => {
    const udp = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 53, dport: 5353 });
    for (const linkType of [0, 1, 12, 14, 101, 108, 113, 228, 276]) {
      const p = decode(frame(linkType, udp), linkType);
      assert.equal(p.outcome, 'other');
      assert.equal(p.protocol, 17);
      assert.equal(p.ipVersion, 4);
    }
  });
});
