/**
 * The decode stage's entry point: one captured frame in, the reused DecodedPacket out.
 * Never throws and never allocates per frame (see decoded-packet.ts for the contract).
 */
import type { DecodedPacket } from './decoded-packet.js';
import { decodeIPv4 } from './ipv4.js';
import { decodeIPv6 } from './ipv6.js';
import { decodeLinkLayer } from './link-layer.js';
import { fail, resetPacket } from './outcome.js';
import { decodeTcp } from './tcp.js';

export { isSupportedLinkType } from './link-layer.js';

/**
 * Decodes the frame data[start..end) (by default the whole of `data`). Offsets set in `out`
 * (ipOffset, payloadOffset, src6Offset...) index `data`; error offsets are relative to the frame.
 */
export function decodeFrame(data: Uint8Array, linkType: number, out: DecodedPacket, start = 0, end = data.length): DecodedPacket {
  resetPacket(out);
  out.frameStart = start;
  out.frameEnd = end;
  if (!decodeLinkLayer(data, linkType, out)) return out;

  // The link layer may announce a version (EtherType, family); the IP header must agree.
  const off = out.ipOffset;
  const announced = out.ipVersion;
  if (off >= end) {
    if (announced === 4) fail(out, 'ipv4', 'truncated_ipv4_header', off, 20, 0);
    else if (announced === 6) fail(out, 'ipv6', 'truncated_ipv6_header', off, 40, 0);
    else fail(out, 'ip', 'truncated_ip_header', off, 1, 0);
    return out;
  }
  const version = data[off]! >> 4;
  if ((version !== 4 && version !== 6) || (announced !== 0 && version !== announced)) {
    // required: the announced version (0: either); actual: the header's.
    out.ipVersion = 0;
    fail(out, 'ip', 'bad_ip_version', off, announced, version);
    return out;
  }
  if (out.etherType === 0) out.etherType = version === 4 ? 0x0800 : 0x86dd; // raw links

  const ipEnd = version === 4 ? decodeIPv4(data, out) : decodeIPv6(data, out);
  if (ipEnd >= 0) decodeTcp(data, out, ipEnd);
  return out;
}
