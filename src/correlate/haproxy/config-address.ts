/**
 * Addresses as written on bind, server and source lines (str2sa_range's syntax): an optional
 * family prefix (ipv4@, ipv6@, unix@, abns@, fd@, ...), then host and port where, for IPv6, the
 * port is always the number after the last colon ("::1:80"), brackets being accepted too
 * ("[::1]:80"). Endpoints are then written "ip:port" / "[v6]:port" with RFC 5952 IPv6, the form
 * the rest of proxytrace uses.
 */
import { formatEndpoint, formatIPv6 } from '../../decode/format-address.js';
import { parseIPv6Text } from '../../app/proxy-protocol/addresses.js';

export type AddressFamily = 'ipv4' | 'ipv6' | 'unix' | 'other';

export interface ParsedAddress {
  family: AddressFamily;
  /** IPv4 text, RFC 5952 IPv6, a host name, '' for "all addresses" ('*', '' or 0.0.0.0 / ::), or a socket path. */
  host: string;
  /** First port; null when none was written (a server then uses the client's destination port). */
  port: number | null;
  /** Last port of a range "2000-2100" (equal to port otherwise). */
  portEnd: number | null;
  /** "+N" / "-N" on a server: the port is the client's destination port plus this. */
  portOffset: number | null;
}

const PREFIX_FAMILY: Record<string, AddressFamily> = {
  'ipv4@': 'ipv4', 'ipv6@': 'ipv6', 'unix@': 'unix', 'abns@': 'unix', 'udp@': 'other', 'udp4@': 'ipv4', 'udp6@': 'ipv6',
  'quic4@': 'ipv4', 'quic6@': 'ipv6', 'fd@': 'other', 'sockpair@': 'other',
};

export function parseAddress(text: string): ParsedAddress | null {
  let rest = text;
  let forced: AddressFamily | null = null;
  const at = /^([a-z0-9]+@)/.exec(rest);
  if (at) {
    const prefix = at[1] ?? '';
    forced = PREFIX_FAMILY[prefix] ?? null;
    if (forced === null) return null;
    rest = rest.slice(prefix.length);
    if (forced === 'unix' || forced === 'other') return { family: forced, host: rest, port: null, portEnd: null, portOffset: null };
  }
  if (rest.startsWith('/')) return { family: 'unix', host: rest, port: null, portEnd: null, portOffset: null };

  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return null;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return null;
    portText = after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? '' : rest.slice(colon + 1);
  }

  let port: number | null = null;
  let portEnd: number | null = null;
  let portOffset: number | null = null;
  if (portText !== '') {
    const range = /^([0-9]+)(?:-([0-9]+))?$/.exec(portText);
    const offset = /^([+-][0-9]+)$/.exec(portText);
    if (range) {
      port = Number(range[1]);
      portEnd = range[2] !== undefined ? Number(range[2]) : port;
      if (port > 65535 || portEnd > 65535 || portEnd < port) return null;
    } else if (offset) {
      portOffset = Number(offset[1]);
    } else {
      return null;
    }
  }

  let family: AddressFamily = forced ?? 'ipv4';
  if (host === '*' || host === '' || host === '0.0.0.0') {
    host = '';
  } else if (host.includes(':')) {
    const bytes = parseIPv6Text(host);
    if (bytes === null) return null;
    family = 'ipv6';
    host = formatIPv6(bytes, 0);
    if (host === '::') host = '';
  } else if (!/^[0-9.]+$/.test(host)) {
    // A host name, resolved by HAProxy at start-up: matched as text only.
    host = host.toLowerCase();
    family = forced ?? 'other';
  }
  return { family, host, port, portEnd, portOffset };
}

export interface Endpoint {
  readonly family: 'ipv4' | 'ipv6';
  readonly host: string;
  readonly port: number;
}

/**
 * Endpoints parsed lately (the verdicts of a capture look up the same few server addresses for
 * every exchange). Bounded: it starts over when full.
 */
let endpoints = new Map<string, Endpoint | null>();
const MAX_ENDPOINTS = 4096;

/** "ip:port" / "[v6]:port" → host and port, for lookups; null when not an endpoint. Shared: read-only. */
export function parseEndpoint(endpoint: string): Endpoint | null {
  let e = endpoints.get(endpoint);
  if (e === undefined) {
    e = endpointOf(endpoint);
    if (endpoints.size >= MAX_ENDPOINTS) endpoints = new Map();
    endpoints.set(endpoint, e);
  }
  return e;
}

function endpointOf(endpoint: string): Endpoint | null {
  const a = parseAddress(endpoint);
  if (a === null || a.port === null || a.port !== a.portEnd || a.host === '') return null;
  if (a.family !== 'ipv4' && a.family !== 'ipv6') return null;
  return { family: a.family, host: a.host, port: a.port };
}

export function endpointText(host: string, port: number): string {
  return formatEndpoint(host, port);
}
