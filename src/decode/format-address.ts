/**
 * Address formatting for display and reports: allocates strings, so never on the per-packet path.
 */
import type { DecodedPacket } from './decoded-packet.js';

/** Dotted quad from an unsigned (or signed) 32-bit number. */
export function formatIPv4(n: number): string {
  // A capture has few distinct addresses and many connections: format each address once.
  let s = IPV4_CACHE.get(n);
  if (s === undefined) {
    s = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (IPV4_CACHE.size < 65536) IPV4_CACHE.set(n, s);
  }
  return s;
}

const IPV4_CACHE = new Map<number, string>();

/**
 * The 16-byte IPv6 address at data[offset] in RFC 5952 form: lowercase, no leading zeros, the
 * longest run (first on a tie) of two or more zero groups as "::", and IPv4-mapped addresses as
 * ::ffff:a.b.c.d.
 */
export function formatIPv6(data: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((data[offset + i] ?? 0) << 8) | (data[offset + i + 1] ?? 0));
  if (groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0)) {
    const v4 = (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
    return `::ffff:${formatIPv4(v4)}`;
  }
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** "address:port", with the IPv6 address in brackets: "[2001:db8::1]:443". */
export function formatEndpoint(address: string, port: number): string {
  // A capture's server endpoints recur on every connection: one string each (found by port in a
  // small direct-mapped table; a miss, as for clients' ephemeral ports, just takes the slot).
  const i = port & (ENDPOINT_SLOTS - 1);
  if (endpointPorts[i] === port && endpointAddresses[i] === address) return endpointTexts[i]!;
  const text = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  endpointPorts[i] = port;
  endpointAddresses[i] = address;
  endpointTexts[i] = text;
  return text;
}

const ENDPOINT_SLOTS = 1024;
const endpointPorts = new Int32Array(ENDPOINT_SLOTS).fill(-1);
const endpointAddresses: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');
const endpointTexts: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');

/** The source or destination address of a decoded IP packet (the frame it was decoded from). */
export function formatPacketAddress(data: Uint8Array, p: DecodedPacket, side: 'src' | 'dst'): string {
  if (p.ipVersion === 6) return formatIPv6(data, side === 'src' ? p.src6Offset : p.dst6Offset);
  return formatIPv4(side === 'src' ? p.src4 : p.dst4);
}

/** The source or destination "ip:port" / "[v6]:port" of a decoded TCP segment. */
export function formatPacketEndpoint(data: Uint8Array, p: DecodedPacket, side: 'src' | 'dst'): string {
  return formatEndpoint(formatPacketAddress(data, p, side), side === 'src' ? p.srcPort : p.dstPort);
}
