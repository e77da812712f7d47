/**
 * IPv4 header (with options). Returns the offset where the IP packet ends according to its total
 * length when a TCP segment follows (out.transportOffset set), or -1 with the outcome set.
 * The end can lie beyond the frame (snap length) or before it (Ethernet padding is not data).
 */
import { u16, u32 } from './bytes.js';
import type { DecodedPacket } from './decoded-packet.js';
import { fail, fragment, other } from './outcome.js';

export function decodeIPv4(d: Uint8Array, out: DecodedPacket): number {
  const off = out.ipOffset;
  const avail = out.frameEnd - off;
  out.ipVersion = 4;
  if (avail < 20) return fail(out, 'ipv4', 'truncated_ipv4_header', off, 20, avail), -1;
  const headerLength = (d[off]! & 0x0f) << 2;
  if (headerLength < 20) return fail(out, 'ipv4', 'bad_ipv4_header_length', off, 20, headerLength), -1;
  if (avail < headerLength) return fail(out, 'ipv4', 'truncated_ipv4_header', off, headerLength, avail), -1;

  // Header fields first, so that errors and fragments still say who sent them.
  out.ipId = u16(d, off + 4);
  out.ttl = d[off + 8]!;
  out.protocol = d[off + 9]!;
  out.src4 = u32(d, off + 12);
  out.dst4 = u32(d, off + 16);

  let totalLength = u16(d, off + 2);
  // 0 is what a capture on the sending host shows for a TSO/BIG TCP super-packet (> 64 KiB):
  // the length is then the frame's (Wireshark does the same).
  if (totalLength === 0) totalLength = avail;
  else if (totalLength < headerLength) {
    return fail(out, 'ipv4', 'ipv4_total_length_too_small', off, headerLength, totalLength), -1;
  }
  out.transportOffset = off + headerLength;

  // MF flag or a fragment offset (DF, 0x4000, is fine).
  if ((u16(d, off + 6) & 0x3fff) !== 0) return fragment(out), -1;
  if (out.protocol !== 6) return other(out), -1;
  return off + totalLength;
}
