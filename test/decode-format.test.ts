import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from '../src/decode/decode-frame.js';
import { newDecodedPacket } from '../src/decode/decoded-packet.js';
import { formatEndpoint, formatIPv4, formatIPv6, formatPacketAddress, formatPacketEndpoint } from '../src/decode/format-address.js';
import { frame, parseIp, tcpPacket } from './helpers/frames.js';

function v6(text: string): string {
  const bytes = new Uint8Array(20);
  bytes.set(parseIp(text), 3); // at an offset, as in a frame
  return formatIPv6(bytes, 3);
}

describe('address formatting', () => {
  it('IPv4', () => {
    assert.equal(formatIPv4(0x0a000001), '10.0.0.1');
    assert.equal(formatIPv4(0xffffffff), '255.255.255.255');
    assert.equal(formatIPv4(-1), '255.255.255.255');
    assert.equal(formatIPv4(0), '0.0.0.0');
    assert.equal(formatIPv4(0xc0a80164), '192.168.1.100');
  });

  it('IPv6, RFC 5952', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of equal runs
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
      ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped
      ['::192.0.2.1', '::c000:201'], // deprecated IPv4-compatible: plain hex
    ];
    for (const [input, expected] of cases) assert.equal(v6(input), expected, input);
  });

  it('endpoints', () => {
    assert.equal(formatEndpoint('10.0.0.1', 80), '10.0.0.1:80');
    assert.equal(formatEndpoint('2001:db8::1', 443), '[2001:db8::1]:443');
  });

  it('endpoints of a decoded packet', () => {
    const out = newDecodedPacket();
    const f4 = frame(1, tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 0, flags: 'S' }));
    decodeFrame(f4, 1, out);
    assert.equal(formatPacketEndpoint(f4, out, 'src'), '10.0.0.1:40000');
    assert.equal(formatPacketEndpoint(f4, out, 'dst'), '10.0.0.2:80');
    const f6 = frame(0, tcpPacket({ src: '2001:db8::1', dst: '::1', sport: 40000, dport: 443, seq: 0, flags: 'S' }));
    decodeFrame(f6, 0, out);
    assert.equal(formatPacketAddress(f6, out, 'dst'), '::1');
    assert.equal(formatPacketEndpoint(f6, out, 'src'), '[2001:db8::1]:40000');
    assert.equal(formatPacketEndpoint(f6, out, 'dst'), '[::1]:443');
  });
});
