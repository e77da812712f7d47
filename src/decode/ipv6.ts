/**
 * IPv6 header and extension headers. Returns the offset where the IP packet ends according to its
 * payload length when a TCP segment follows (out.transportOffset set), or -1 with the outcome set.
 */
import { u16, u32 } from './bytes.js';
import type { DecodedPacket } from './decoded-packet.js';
import { fail, fragment, other } from './outcome.js';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AH = 51;
const DESTINATION_OPTIONS = 60;

export function decodeIPv6(d: Uint8Array, out: DecodedPacket): number {
  const off = out.ipOffset;
  const len = out.frameEnd;
  const avail = len - off;
  out.ipVersion = 6;
  if (avail < 40) return fail(out, 'ipv6', 'truncated_ipv6_header', off, 40, avail), -1;
  let payloadLength = u16(d, off + 4);
  let next = d[off + 6]!;
  out.ttl = d[off + 7]!;
  out.src6Offset = off + 8;
  out.dst6Offset = off + 24;
  let p = off + 40;

  // Payload length 0 with something after the header: a jumbogram (RFC 2675, length in the
  // hop-by-hop jumbo option) or, without that option, a capture of a TSO/BIG TCP super-packet on
  // the sending host: the length is then the frame's.
  if (payloadLength === 0 && next !== 59) {
    const jumbo = next === HOP_BY_HOP ? jumboPayloadLength(d, p, len) : -1;
    payloadLength = jumbo >= 0 ? jumbo : avail - 40;
  }
  const end = p + payloadLength;

  // Each extension header is at least 8 bytes, so this loop is bounded by the frame length.
  while (next === HOP_BY_HOP || next === ROUTING || next === DESTINATION_OPTIONS || next === FRAGMENT || next === AH) {
    if (p + 2 > len) return fail(out, 'ipv6', 'truncated_ipv6_extension_header', p, 2, len - p), -1;
    const headerLength = next === FRAGMENT ? 8 : next === AH ? (d[p + 1]! + 2) << 2 : (d[p + 1]! + 1) << 3;
    if (p + headerLength > len) {
      return fail(out, 'ipv6', 'truncated_ipv6_extension_header', p, headerLength, len - p), -1;
    }
    if (p + headerLength > end) {
      return fail(out, 'ipv6', 'ipv6_payload_length_too_small', p, p + headerLength - off - 40, payloadLength), -1;
    }
    if (next === FRAGMENT) {
      out.ipId = u32(d, p + 4);
      // Offset (high 13 bits) or M (bit 0). Offset 0 without M is an "atomic fragment", a whole
      // packet to be processed as such (RFC 6946).
      if ((u16(d, p + 2) & 0xfff9) !== 0) {
        out.protocol = d[p]!;
        out.transportOffset = p + 8;
        return fragment(out), -1;
      }
    }
    next = d[p]!;
    p += headerLength;
  }
  out.protocol = next;
  out.transportOffset = p;
  if (next !== 6) return other(out), -1; // includes 59, no next header
  return end;
}

/**
 * The jumbo payload length from the hop-by-hop header at p (option 0xC2, 4 bytes), or -1 when the
 * header is truncated or has no such option (the caller then reports what it finds).
 */
function jumboPayloadLength(d: Uint8Array, p: number, len: number): number {
  if (p + 2 > len) return -1;
  const end = p + ((d[p + 1]! + 1) << 3);
  if (end > len) return -1;
  let q = p + 2;
  while (q < end) {
    const type = d[q]!;
    if (type === 0) { // Pad1
      q++;
      continue;
    }
    if (q + 2 > end) return -1;
    const optionLength = d[q + 1]!;
    if (q + 2 + optionLength > end) return -1;
    if (type === 0xc2 && optionLength === 4) return u32(d, q + 2);
    q += 2 + optionLength;
  }
  return -1;
}
