/**
 * Questions asked of a parsed configuration while pairing connections: which proxy listens on
 * the address a client connected to, and which server an address:port is.
 */
import { parseEndpoint } from './config-address.js';
import type { Bind, HaproxyConfig, ProxyKind, ProxySection, Server } from './config-types.js';

export interface ServerRef {
  proxy: ProxySection;
  server: Server;
}

/**
 * The frontend or listen section with a bind on this endpoint ("ip:port" / "[v6]:port"). An
 * exact address wins over a wildcard, as the kernel's socket lookup does. "bind :80" / "*:80" /
 * "0.0.0.0:80" listen on IPv4 only; "[::]:80" on IPv6 and, unless v6only, IPv4 too.
 */
export function proxyFor(config: HaproxyConfig, endpoint: string): ProxySection | null {
  const e = parseEndpoint(endpoint);
  if (e === null) return null;
  let wildcard: ProxySection | null = null;
  for (const p of config.proxies) {
    if (p.kind === 'backend' || p.disabled) continue;
    for (const b of p.binds) {
      if (b.port === null || b.portEnd === null || e.port < b.port || e.port > b.portEnd) continue;
      if (b.address === e.host && b.family === e.family) return p;
      if (wildcard === null && b.address === '' && wildcardCovers(b, e.family)) wildcard = p;
    }
  }
  return wildcard;
}

function wildcardCovers(b: Bind, family: 'ipv4' | 'ipv6'): boolean {
  if (b.family === 'ipv4') return family === 'ipv4';
  if (b.family === 'ipv6') return family === 'ipv6' || !b.params.includes('v6only');
  return false;
}

/** Every server declared with this address (and this port, or no port: it then follows the client's). */
export function serversByAddress(config: HaproxyConfig, endpoint: string): ServerRef[] {
  const e = parseEndpoint(endpoint);
  if (e === null) return [];
  const out: ServerRef[] = [];
  for (const proxy of config.proxies) {
    if (proxy.kind === 'frontend') continue;
    for (const server of proxy.servers) {
      if (server.address === e.host && (server.port === e.port || (server.port === null && server.portOffset === null))) out.push({ proxy, server });
    }
  }
  return out;
}

/** The first server (in file order) with this address; the same server may sit in several backends. */
export function serverByAddress(config: HaproxyConfig, endpoint: string): ServerRef | null {
  return serversByAddress(config, endpoint)[0] ?? null;
}

/** A proxy by name; a frontend and a backend may share one, so the kind can be given. */
export function proxyByName(config: HaproxyConfig, name: string, kind?: ProxyKind): ProxySection | null {
  return config.proxies.find((p) => p.name === name && (kind === undefined || p.kind === kind || p.kind === 'listen')) ?? null;
}
