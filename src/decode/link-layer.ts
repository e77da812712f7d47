/**
 * Link layers: finds where the IP header starts. On success sets out.ipOffset, out.etherType and
 * out.ipVersion (the version the link header announces, 0 when it does not say) and returns true;
 * otherwise sets the outcome ('other' or 'error', layer 'link') and returns false.
 */
import { u16 } from './bytes.js';
import type { DecodedPacket } from './decoded-packet.js';
import { fail, other } from './outcome.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** Whether decodeLinkLayer knows this LINKTYPE (others decode to 'unknown_link_type'). */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276:
      return true;
    default:
      return false;
  }
}

export function decodeLinkLayer(d: Uint8Array, linkType: number, out: DecodedPacket): boolean {
  const s = out.frameStart;
  const len = out.frameEnd - s;
  switch (linkType) {
    case 1: // EN10MB: dst(6) src(6) type(2)
      if (len < 14) return fail(out, 'link', 'truncated_ethernet_header', s, 14, len);
      return etherTypePayload(d, s + 12, s + 14, out);
    case 0: // NULL: 4-byte family in the capturing host's byte order
    case 108: // LOOP: same, network byte order (read tolerantly too: the value decides)
      return loopback(d, out);
    case 12:
      // DLT_RAW on most systems, but DLT_LOOP on OpenBSD. An IP header never starts with a 0 byte
      // (version 0), a loopback family header always does.
      if (len >= 4 && d[s] === 0) return loopback(d, out);
      return raw(out, 0);
    case 14: // DLT_RAW on OpenBSD
    case 101: // RAW: version from the first nibble
      return raw(out, 0);
    case 228: // IPV4
      return raw(out, 4);
    case 229: // IPV6
      return raw(out, 6);
    case 113: // LINUX_SLL: type(2) arphrd(2) addrlen(2) addr(8) protocol(2)
      if (len < 16) return fail(out, 'link', 'truncated_sll_header', s, 16, len);
      return etherTypePayload(d, s + 14, s + 16, out);
    case 276: // LINUX_SLL2: protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) addrlen(1) addr(8)
      if (len < 20) return fail(out, 'link', 'truncated_sll2_header', s, 20, len);
      return etherTypePayload(d, s, s + 20, out);
    default:
      // `actual` carries the link type so a report can name it.
      return fail(out, 'link', 'unknown_link_type', s, 0, linkType);
  }
}

/**
 * An EtherType at typeAt, the payload at payloadAt, skipping any stack of VLAN tags: 802.1Q
 * (0x8100), 802.1ad QinQ (0x88a8) and the pre-standard QinQ 0x9100. Each tag is TCI(2) type(2).
 */
function etherTypePayload(d: Uint8Array, typeAt: number, payloadAt: number, out: DecodedPacket): boolean {
  const len = out.frameEnd;
  let type = u16(d, typeAt);
  let p = payloadAt;
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    if (p + 4 > len) return fail(out, 'link', 'truncated_vlan_tag', p, 4, len - p);
    type = u16(d, p + 2);
    p += 4;
  }
  out.etherType = type;
  out.ipOffset = p;
  if (type === ETHERTYPE_IPV4) {
    out.ipVersion = 4;
    return true;
  }
  if (type === ETHERTYPE_IPV6) {
    out.ipVersion = 6;
    return true;
  }
  return other(out);
}

/**
 * BSD loopback: a 32-bit address family, in host byte order for NULL (so either order in a file)
 * and network order for LOOP. Families are small, so whichever end holds the non-zero byte tells
 * the order. AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 23 (Windows/Npcap), 24
 * (NetBSD/OpenBSD), 28 (FreeBSD/DragonFly) or 30 (macOS).
 */
function loopback(d: Uint8Array, out: DecodedPacket): boolean {
  const s = out.frameStart;
  const len = out.frameEnd - s;
  if (len < 4) return fail(out, 'link', 'truncated_loopback_header', s, 4, len);
  let family = -1;
  if ((d[s + 1]! | d[s + 2]! | d[s + 3]!) === 0) family = d[s]!;
  else if ((d[s]! | d[s + 1]! | d[s + 2]!) === 0) family = d[s + 3]!;
  out.ipOffset = s + 4;
  if (family === 2) {
    out.etherType = ETHERTYPE_IPV4;
    out.ipVersion = 4;
    return true;
  }
  if (family === 10 || family === 23 || family === 24 || family === 28 || family === 30) {
    out.etherType = ETHERTYPE_IPV6;
    out.ipVersion = 6;
    return true;
  }
  return other(out);
}

/** Raw IP: no link header. `version` 0 means "read it from the IP header". */
function raw(out: DecodedPacket, version: 0 | 4 | 6): true {
  out.ipOffset = out.frameStart;
  out.ipVersion = version;
  return true;
}
