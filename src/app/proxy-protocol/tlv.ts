/**
 * Registered v2 TLV types (spec 2.2) and the nested PP2_TYPE_SSL value.
 */
import type { ProxyTlv } from './types.js';

export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
export const PP2_TYPE_NETNS = 0x30;

const NAMES: Record<number, string> = {
  0x01: 'ALPN',
  0x02: 'AUTHORITY',
  0x03: 'CRC32C',
  0x04: 'NOOP',
  0x05: 'UNIQUE_ID',
  0x20: 'SSL',
  0x21: 'SSL_VERSION',
  0x22: 'SSL_CN',
  0x23: 'SSL_CIPHER',
  0x24: 'SSL_SIG_ALG',
  0x25: 'SSL_KEY_ALG',
  0x30: 'NETNS',
};

/** A display name: the registered one, else the reserved range, else the hex code. */
export function tlvTypeName(type: number): string {
  const known = NAMES[type];
  if (known !== undefined) return known;
  if (type >= 0xe0 && type <= 0xef) return `CUSTOM_0x${type.toString(16)}`;
  if (type >= 0xf0 && type <= 0xf7) return `EXPERIMENT_0x${type.toString(16)}`;
  return `0x${type.toString(16).padStart(2, '0')}`;
}

/**
 * Splits a run of TLVs (type, 16-bit big-endian length, value); null when one overruns the end.
 * Values are copies: stream data handed to a handler is only valid during the call.
 */
export function splitTlvs(data: Uint8Array, start: number, end: number): ProxyTlv[] | null {
  const out: ProxyTlv[] = [];
  let p = start;
  while (p < end) {
    if (p + 3 > end) return null;
    const len = ((data[p + 1] ?? 0) << 8) | (data[p + 2] ?? 0);
    if (p + 3 + len > end) return null;
    out.push({ type: data[p] ?? 0, value: data.slice(p + 3, p + 3 + len) });
    p += 3 + len;
  }
  return out;
}

export interface SslTlv {
  /** PP2_CLIENT_SSL 0x01, PP2_CLIENT_CERT_CONN 0x02, PP2_CLIENT_CERT_SESS 0x04. */
  client: number;
  /** 0 when the client certificate was presented and verified. */
  verify: number;
  subTlvs: ProxyTlv[];
}

/** The value of a PP2_TYPE_SSL TLV: client flags, verify result, then sub-TLVs; null if malformed. */
export function decodeSslTlv(value: Uint8Array): SslTlv | null {
  if (value.length < 5) return null;
  const verify = (((value[1] ?? 0) << 24) | ((value[2] ?? 0) << 16) | ((value[3] ?? 0) << 8) | (value[4] ?? 0)) >>> 0;
  const subTlvs = splitTlvs(value, 5, value.length);
  return subTlvs === null ? null : { client: value[0] ?? 0, verify, subTlvs };
}
