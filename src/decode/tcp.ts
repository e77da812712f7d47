/**
 * TCP header and options, at out.transportOffset; ipEnd is where the IP length says the segment
 * ends (possibly beyond the captured frame). Sets outcome 'tcp', or 'error' (layer 'tcp').
 */
import { u16, u32 } from './bytes.js';
import type { DecodedPacket } from './decoded-packet.js';
import { fail, truncateSack } from './outcome.js';

/** Option bytes 01 01 08 0a: NOP, NOP, then a timestamps option of length 10. */
const NOP_NOP_TIMESTAMP = 0x0101080a;

export function decodeTcp(d: Uint8Array, out: DecodedPacket, ipEnd: number): void {
  const t = out.transportOffset;
  const len = out.frameEnd;
  const segmentLength = ipEnd - t; // by the IP length field
  const captured = (ipEnd < len ? ipEnd : len) - t; // what the frame holds of it
  // An IP length too short for the header is a malformed packet; a frame too short is truncation.
  if (segmentLength < 20) return void fail(out, 'tcp', 'tcp_header_beyond_ip_payload', t, 20, segmentLength);
  if (captured < 20) return void fail(out, 'tcp', 'truncated_tcp_header', t, 20, captured);
  const headerLength = (d[t + 12]! >> 4) << 2;
  if (headerLength < 20) return void fail(out, 'tcp', 'bad_tcp_data_offset', t, 20, headerLength);
  if (headerLength > segmentLength) {
    return void fail(out, 'tcp', 'tcp_header_beyond_ip_payload', t, headerLength, segmentLength);
  }
  if (headerLength > captured) return void fail(out, 'tcp', 'truncated_tcp_header', t, headerLength, captured);

  out.outcome = 'tcp';
  out.srcPort = u16(d, t);
  out.dstPort = u16(d, t + 2);
  out.seq = u32(d, t + 4);
  out.ack = u32(d, t + 8);
  out.flags = d[t + 13]!;
  out.window = u16(d, t + 14);
  out.tcpChecksum = u16(d, t + 16);
  out.mss = -1;
  out.windowScale = -1;
  out.sackPermitted = false;
  out.tsVal = -1;
  out.tsEcr = -1;
  if (headerLength === 32 && u32(d, t + 20) === NOP_NOP_TIMESTAMP) {
    // What Linux sends on an established connection (NOP, NOP, timestamps): what the loop below
    // would read, without it.
    out.tsVal = u32(d, t + 24);
    out.tsEcr = u32(d, t + 28);
    truncateSack(out.sack, 0);
  } else {
    // SACK edges are written in place over the previous ones, then the array is cut to size.
    truncateSack(out.sack, headerLength > 20 ? decodeTcpOptions(d, t + 20, t + headerLength, out) : 0);
  }
  out.payloadOffset = t + headerLength;
  out.payloadLength = segmentLength - headerLength;
  out.capturedPayloadLength = captured - headerLength;
}

/**
 * Options between p and end (both within the frame). Lax like the stacks themselves: a length
 * that is impossible (< 2 or past the header) stops parsing and keeps what was read before; an
 * option whose length is wrong for its kind is skipped, so nothing bogus is recorded.
 * Returns how many SACK edges were written to out.sack (the caller cuts it to that length).
 */
function decodeTcpOptions(d: Uint8Array, p: number, end: number, out: DecodedPacket): number {
  let sackValues = 0;
  while (p < end) {
    const kind = d[p]!;
    if (kind === 0) break; // EOL
    if (kind === 1) { // NOP
      p++;
      continue;
    }
    if (p + 2 > end) break;
    const length = d[p + 1]!;
    if (length < 2 || p + length > end) break;
    switch (kind) {
      case 2:
        if (length === 4) out.mss = u16(d, p + 2);
        break;
      case 3:
        // RFC 7323 2.3: a shift above 14 MUST be taken as 14.
        if (length === 3) out.windowScale = d[p + 2]! > 14 ? 14 : d[p + 2]!;
        break;
      case 4:
        if (length === 2) out.sackPermitted = true;
        break;
      case 5:
        // 1 to 4 blocks of two 32-bit edges (40 option bytes hold at most 4).
        if (length >= 10 && ((length - 2) & 7) === 0) {
          // A repeated option replaces the first one, never appends to it.
          const sack = out.sack;
          sackValues = 0;
          for (let b = p + 2; b < p + length; b += 4) sack[sackValues++] = u32(d, b);
        }
        break;
      case 8:
        if (length === 10) {
          out.tsVal = u32(d, p + 2);
          out.tsEcr = u32(d, p + 6);
        }
        break;
      default:
        break;
    }
    p += length;
  }
  return sackValues;
}
