import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fragmentPacket, internetChecksum, ipPacket, parseIp, tcpPacket, udpPacket } from './helpers/frames.js';

/** The TCP checksum over the pseudo-header verifies to 0 when correct. */
function tcpChecksumOk(packet: Uint8Array): boolean {
  const v6 = packet[0]! >> 4 === 6;
  const hl = v6 ? 40 : (packet[0]! & 15) * 4;
  const segment = packet.subarray(hl);
  const pseudo = new Uint8Array(v6 ? 40 : 12);
  if (v6) {
    pseudo.set(packet.subarray(8, 40), 0);
    pseudo.set([segment.length >>> 24, (segment.length >>> 16) & 255, (segment.length >>> 8) & 255, segment.length & 255, 0, 0, 0, 6], 32);
  } else {
    pseudo.set(packet.subarray(12, 20), 0);
    pseudo.set([0, 6, segment.length >> 8, segment.length & 255], 8);
  }
  return internetChecksum(pseudo, segment) === 0;
}

describe('test frame builders', () => {
  it('IPv4 header checksum (known vector)', () => {
    // The classic example header 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
    const p = udpPacket({ src: '192.168.0.1', dst: '192.168.0.199', ipId: 0, sport: 1, dport: 2, payload: new Uint8Array(87) });
    assert.equal((p[10]! << 8) | p[11]!, 0xb861);
    assert.equal(internetChecksum(p.subarray(0, 20)), 0);
  });

  it('TCP checksums verify, odd lengths and options included', () => {
    for (const [src, dst] of [['10.0.0.1', '10.9.8.7'], ['2001:db8::1', 'fe80::abcd']] as const) {
      for (const payload of ['', 'a', 'odd', new Uint8Array(1001).fill(0xff)]) {
        const p = tcpPacket({ src, dst, sport: 1, dport: 2, seq: 0xffffffff, ack: 1, flags: 'PA', payload, options: { ts: [1, 2] }, ...(src.includes(':') ? {} : { ipOptions: [1, 1, 1, 1] }) });
        assert.ok(tcpChecksumOk(p), `${src} ${typeof payload === 'string' ? payload : payload.length}`);
      }
    }
  });

  it('IPv4 fragments carry the data in order with correct headers', () => {
    const p = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 0, flags: 'A', payload: new Uint8Array(77).map((_, i) => i) });
    const fragments = fragmentPacket(p, 40);
    const data = fragments.flatMap((f) => [...f.subarray(20)]);
    assert.deepEqual(data, [...p.subarray(20)]);
    for (const [i, f] of fragments.entries()) {
      assert.equal(internetChecksum(f.subarray(0, 20)), 0);
      assert.equal((f[2]! << 8) | f[3]!, f.length);
      const field = (f[6]! << 8) | f[7]!;
      assert.equal(field & 0x1fff, i * 5);
      assert.equal((field & 0x2000) !== 0, i < fragments.length - 1);
    }
  });

  it('IPv6 fragments follow the unfragmentable part', () => {
    const p = ipPacket({ src: '::1', dst: '::2', ipv6Ext: [{ type: 0, body: [] }] }, 17, new Uint8Array(30));
    const [first, last] = fragmentPacket(p, 16, 7);
    assert.equal(first![40], 44); // hop-by-hop now points at the fragment header
    assert.deepEqual([...first!.subarray(48, 56)], [17, 0, 0, 1, 0, 0, 0, 7]);
    assert.deepEqual([...last!.subarray(48, 52)], [17, 0, 0, 16]);
    assert.equal((last![4]! << 8) | last![5]!, last!.length - 40);
  });

  it('parses addresses', () => {
    assert.deepEqual([...parseIp('1.2.3.4')], [1, 2, 3, 4]);
    assert.deepEqual([...parseIp('::ffff:1.2.3.4')], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
    assert.throws(() => parseIp('1.2.3'));
    assert.throws(() => parseIp('1::2::3'));
    assert.throws(() => parseIp('12345::'));
  });
});
