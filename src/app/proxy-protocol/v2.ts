/**
 * PROXY protocol version 2: 12-byte signature, version/command, family/transport, 16-bit length,
 * address block, then TLVs up to the length (spec 2.2).
 */
import { crc32c } from './crc32c.js';
import { ipv4Endpoint, ipv6Endpoint, unixEndpoint } from './addresses.js';
import { PP2_TYPE_CRC32C, splitTlvs } from './tlv.js';
import type { ProxyCommand, ProxyFamily, ProxyProtocolResult } from './types.js';

export const V2_SIGNATURE: readonly number[] = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
export const V2_HEADER_LENGTH = 16;

/** Address block sizes by family nibble: AF_UNSPEC, AF_INET (2×4 + 2×2), AF_INET6 (2×16 + 2×2), AF_UNIX (2×108). */
const ADDRESS_SIZE = [0, 12, 36, 216] as const;

const FAMILY_NAMES: Record<number, ProxyFamily> = {
  0x11: 'TCP4',
  0x12: 'UDP4',
  0x21: 'TCP6',
  0x22: 'UDP6',
  0x31: 'UNIX_STREAM',
  0x32: 'UNIX_DGRAM',
};

/** Called when data starts with the whole 12-byte signature. */
export function parseV2(data: Uint8Array): ProxyProtocolResult {
  if (data.length < V2_HEADER_LENGTH) return { status: 'incomplete', need: V2_HEADER_LENGTH - data.length };
  const verCmd = data[12] ?? 0;
  const famProto = data[13] ?? 0;
  const len = ((data[14] ?? 0) << 8) | (data[15] ?? 0);
  if (verCmd >> 4 !== 2) return { status: 'invalid', reason: `v2: version ${verCmd >> 4} (only 2 is defined)` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { status: 'invalid', reason: `v2: unassigned command ${cmd}` };
  const command: ProxyCommand = cmd === 0 ? 'LOCAL' : 'PROXY';
  const fam = famProto >> 4;
  const proto = famProto & 0x0f;
  if (fam > 3) return { status: 'invalid', reason: `v2: unspecified address family ${fam}` };
  if (proto > 2) return { status: 'invalid', reason: `v2: unspecified transport protocol ${proto}` };
  const total = V2_HEADER_LENGTH + len;
  // The receiver must not parse a partial address block: wait for the whole announced length.
  if (data.length < total) return { status: 'incomplete', need: total - data.length };

  const family: ProxyFamily = FAMILY_NAMES[famProto] ?? 'UNSPEC';
  const addrSize = ADDRESS_SIZE[fam as 0 | 1 | 2 | 3];
  let source: string | null = null;
  let destination: string | null = null;
  let tlvStart = V2_HEADER_LENGTH + addrSize;
  if (len < addrSize) {
    // LOCAL discards the block whatever the family says; PROXY with a real family must carry it.
    if (command === 'PROXY' && family !== 'UNSPEC') {
      return { status: 'invalid', reason: `v2: ${len}-byte address block, ${family} needs ${addrSize}` };
    }
    tlvStart = total;
  } else if (command === 'PROXY' && family !== 'UNSPEC') {
    const a = V2_HEADER_LENGTH;
    if (fam === 1) {
      source = ipv4Endpoint(data, a, a + 8);
      destination = ipv4Endpoint(data, a + 4, a + 10);
    } else if (fam === 2) {
      source = ipv6Endpoint(data, a, a + 32);
      destination = ipv6Endpoint(data, a + 16, a + 34);
    } else {
      source = unixEndpoint(data, a);
      destination = unixEndpoint(data, a + 108);
    }
  }
  const tlvs = splitTlvs(data, tlvStart, total);
  if (tlvs === null) return { status: 'invalid', reason: 'v2: a TLV overruns the announced header length' };

  const crcError = checkCrc(data, tlvStart, total);
  if (crcError !== null) return { status: 'invalid', reason: crcError };
  return { status: 'ok', header: { version: 2, command, family, source, destination, tlvs, length: total } };
}

/**
 * PP2_TYPE_CRC32C: the CRC of the whole header with the checksum field zeroed; a receiver that
 * supports it must treat a mismatch as an invalid header.
 */
function checkCrc(data: Uint8Array, tlvStart: number, total: number): string | null {
  let p = tlvStart;
  while (p + 3 <= total) {
    const type = data[p] ?? 0;
    const len = ((data[p + 1] ?? 0) << 8) | (data[p + 2] ?? 0);
    if (type === PP2_TYPE_CRC32C) {
      if (len !== 4) return `v2: CRC32C TLV of ${len} bytes (must be 4)`;
      const copy = data.slice(0, total);
      const got = (((copy[p + 3] ?? 0) << 24) | ((copy[p + 4] ?? 0) << 16) | ((copy[p + 5] ?? 0) << 8) | (copy[p + 6] ?? 0)) >>> 0;
      copy.fill(0, p + 3, p + 7);
      const want = crc32c(copy);
      return got === want ? null : `v2: CRC32C mismatch (header says 0x${got.toString(16)}, computed 0x${want.toString(16)})`;
    }
    p += 3 + len;
  }
  return null;
}
