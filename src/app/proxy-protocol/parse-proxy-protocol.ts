/**
 * Recognises a PROXY protocol header (haproxy doc/proxy-protocol.txt) at the start of a byte
 * stream, typically the first bytes of a proxy→server connection made with send-proxy /
 * send-proxy-v2. Pure: bytes in, verdict out; feed it more bytes while it answers 'incomplete'.
 */
import type { ProxyProtocolResult } from './types.js';
import { parseV1, V1_MIN_LENGTH } from './v1.js';
import { parseV2, V2_SIGNATURE } from './v2.js';

export type { ProxyCommand, ProxyFamily, ProxyHeader, ProxyProtocolResult, ProxyTlv } from './types.js';

const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59]; // "PROXY"

/** True when data[0..] matches sig as far as both go. */
function matchesPrefix(data: Uint8Array, sig: readonly number[]): boolean {
  const n = Math.min(data.length, sig.length);
  for (let i = 0; i < n; i++) if (data[i] !== sig[i]) return false;
  return true;
}

export function parseProxyProtocol(data: Uint8Array): ProxyProtocolResult {
  if (data.length === 0) return { status: 'incomplete', need: 1 };
  if (matchesPrefix(data, V2_SIGNATURE)) {
    return data.length < V2_SIGNATURE.length ? { status: 'incomplete', need: 16 - data.length } : parseV2(data);
  }
  if (matchesPrefix(data, V1_PREFIX)) {
    return data.length < V1_PREFIX.length ? { status: 'incomplete', need: V1_MIN_LENGTH - data.length } : parseV1(data);
  }
  return { status: 'absent' };
}
