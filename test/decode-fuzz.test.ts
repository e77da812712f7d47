import { prng } from './helpers/prng.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from '../src/decode/decode-frame.js';
import { newDecodedPacket, type DecodedPacket } from '../src/decode/decoded-packet.js';
import { fragmentPacket, frame, tcpPacket, udpPacket } from './helpers/frames.js';


const OUTCOMES = new Set(['tcp', 'other', 'fragment', 'error']);
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

/** Invariants that hold for any input, however broken. */
function check(p: DecodedPacket, data: Uint8Array, what: string): void {
  assert.ok(OUTCOMES.has(p.outcome), what);
  assert.equal(p.error !== null, p.outcome === 'error', what);
  if (p.error !== null) {
    for (const n of [p.error.offset, p.error.required, p.error.actual]) assert.ok(Number.isInteger(n), what);
    assert.match(p.error.code, /^[a-z0-9_]+$/, what);
  }
  if (p.outcome !== 'tcp') return;
  assert.ok(p.payloadOffset <= data.length, what);
  assert.ok(p.capturedPayloadLength >= 0 && p.payloadOffset + p.capturedPayloadLength <= data.length, what);
  assert.ok(p.capturedPayloadLength <= p.payloadLength, what);
  for (const n of [p.seq, p.ack, p.tsVal < 0 ? 0 : p.tsVal, p.tsEcr < 0 ? 0 : p.tsEcr, ...p.sack]) {
    assert.ok(Number.isInteger(n) && n >= 0 && n <= 0xffffffff, what);
  }
  assert.ok(p.sack.length % 2 === 0 && p.sack.length <= 8, what);
  assert.ok(p.windowScale <= 14 && p.mss <= 0xffff, what);
}

function decodeChecked(data: Uint8Array, linkType: number, out: DecodedPacket, what: string): void {
  let result: DecodedPacket;
  try {
    result = decodeFrame(data, linkType, out);
  } catch (e) {
    assert.fail(`${what}: threw ${String(e)}`);
  }
  assert.equal(result, out);
  check(out, data, what);
}

describe('fuzz: decoding never throws', () => {
  it('random bytes on every link type', () => {
    const out = newDecodedPacket();
    for (const linkType of LINK_TYPES) {
      const random = prng(0xc0ffee + linkType);
      for (let i = 0; i < 3000; i++) {
        const data = new Uint8Array(Math.floor(random() * 160));
        for (let j = 0; j < data.length; j++) data[j] = Math.floor(random() * 256);
        // Make the interesting paths likely: a plausible IP version nibble and link header.
        if (data.length > 24 && random() < 0.5) {
          const ipAt = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : linkType === 0 || linkType === 108 ? 4 : 0;
          data[ipAt] = random() < 0.5 ? 0x45 : 0x60;
        }
        decodeChecked(data, linkType, out, `link type ${linkType}, frame ${i}`);
      }
    }
  });

  it('mutated and truncated valid frames', () => {
    const packets = [
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 3, flags: 'S', options: { mss: 1460, sackPermitted: true, ts: [1, 2], wscale: 7 } }),
      tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 3, flags: 'A', ipOptions: [1, 1, 1, 0], options: { sack: [[1, 2], [3, 4], [5, 6]] }, payload: 'abc' }),
      tcpPacket({ src: '::1', dst: '::2', sport: 1, dport: 2, seq: 3, flags: 'PA', ipv6Ext: [{ type: 0, body: [] }, { type: 43, body: [] }, { type: 51, body: new Array<number>(10).fill(0) }], payload: 'defg' }),
      ...fragmentPacket(tcpPacket({ src: '::1', dst: '::2', sport: 1, dport: 2, seq: 3, flags: 'A', payload: new Uint8Array(40) }), 32),
      udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }),
    ];
    const out = newDecodedPacket();
    const random = prng(42);
    for (const linkType of LINK_TYPES) {
      const frames = packets.map((p) => (linkType === 147 ? p : frame(linkType, p, linkType === 1 ? { vlan: [1, 2] } : {})));
      for (let i = 0; i < 2000; i++) {
        const base = frames[i % frames.length]!;
        const data = Uint8Array.from(base.subarray(0, Math.floor(random() * (base.length + 1))));
        const flips = Math.floor(random() * 4);
        for (let k = 0; k < flips && data.length > 0; k++) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
        if (linkType === 229 && data.length > 0) data[0] = (data[0]! & 0x0f) | 0x60;
        decodeChecked(data, linkType, out, `link type ${linkType}, mutation ${i}`);
      }
    }
  });
});
