/**
 * "server" and "default-server" parameters (manual 5.2) and "source" specifications.
 */
import { parseAddress } from './config-address.js';
import { SERVER_FLAGS, SERVER_VALUE_KEYWORDS } from './config-keywords.js';
import { parseHaproxyTime } from './config-time.js';
import type { Server, ServerParam, SourceSpec } from './config-types.js';

export interface ParamsResult {
  params: ServerParam[];
  unknown: string[];
  error: string | null;
}

/** Reads keyword [value] pairs; a keyword HAProxy 2.6 does not have is taken as a flag. */
export function parseServerParams(words: readonly string[]): ParamsResult {
  const params: ServerParam[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === 'source') {
      // source <addr> [usesrc <x>] [interface <name>]: one value, rebuilt with single spaces.
      const parts = [words[i + 1]];
      i++;
      while (words[i + 1] === 'usesrc' || words[i + 1] === 'interface') {
        parts.push(words[i + 1], words[i + 2]);
        i += 2;
      }
      if (parts.some((p) => p === undefined)) return { params, unknown, error: `'source' needs an address` };
      params.push({ name: 'source', value: parts.join(' ') });
    } else if (SERVER_VALUE_KEYWORDS.has(w)) {
      const v = words[i + 1];
      if (v === undefined) return { params, unknown, error: `'${w}' expects a value` };
      params.push({ name: w, value: v });
      i++;
    } else {
      if (!SERVER_FLAGS.has(w)) unknown.push(w);
      params.push({ name: w, value: null });
    }
  }
  return { params, unknown, error: null };
}

/** "source 127.0.0.22", "source 0.0.0.0 usesrc clientip", "source 10.0.0.1:1025-65000 interface eth0". */
export function parseSourceSpec(words: readonly string[]): SourceSpec | null {
  const addr = parseAddress(words[0] ?? '');
  if (addr === null || (addr.family !== 'ipv4' && addr.family !== 'ipv6' && addr.family !== 'other')) return null;
  const spec: SourceSpec = { text: words.join(' '), address: addr.host, port: addr.port, portEnd: addr.portEnd, usesrc: null, interface: null };
  for (let i = 1; i < words.length; i += 2) {
    const v = words[i + 1];
    if (v === undefined) return null;
    if (words[i] === 'usesrc') spec.usesrc = v;
    else if (words[i] === 'interface') spec.interface = v;
    else return null;
  }
  return spec;
}

/**
 * The server's effective settings: default-server parameters then its own, in order, the later
 * winning, "no-X" undoing "X" (HAProxy copies default-server into each new server, then parses
 * the server line over it).
 */
export function buildServer(name: string, addressText: string, params: ServerParam[], unknownParams: string[], line: number): Server | null {
  const addr = parseAddress(addressText);
  if (addr === null || addr.portEnd !== addr.port) return null;
  const s: Server = {
    name, text: addressText, family: addr.family, address: addr.host, port: addr.port, portOffset: addr.portOffset,
    weight: 1, check: false, inter: null, cookie: null, sendProxy: null, checkSendProxy: false, source: null,
    backup: false, disabled: false, maxconn: null, params, unknownParams, line,
  };
  let v1 = false;
  let v2 = false;
  for (const { name: k, value } of params) {
    switch (k) {
      case 'weight': s.weight = /^[0-9]+$/.test(value ?? '') ? Number(value) : s.weight; break;
      case 'check': s.check = true; break;
      case 'no-check': s.check = false; break;
      case 'inter': {
        const t = parseHaproxyTime(value ?? '');
        if ('ms' in t) s.inter = t.ms;
        break;
      }
      case 'cookie': s.cookie = value; break;
      case 'send-proxy': v1 = true; break;
      case 'no-send-proxy': v1 = false; break;
      case 'send-proxy-v2': case 'send-proxy-v2-ssl': case 'send-proxy-v2-ssl-cn': v2 = true; break;
      case 'no-send-proxy-v2': case 'no-send-proxy-v2-ssl': case 'no-send-proxy-v2-ssl-cn': v2 = false; break;
      case 'check-send-proxy': s.checkSendProxy = true; break;
      case 'source': s.source = parseSourceSpec((value ?? '').split(' ')); break;
      case 'backup': s.backup = true; break;
      case 'no-backup': s.backup = false; break;
      case 'disabled': s.disabled = true; break;
      case 'enabled': s.disabled = false; break;
      case 'maxconn': s.maxconn = /^[0-9]+$/.test(value ?? '') ? Number(value) : s.maxconn; break;
      default: break;
    }
  }
  s.sendProxy = v2 ? 'v2' : v1 ? 'v1' : null;
  return s;
}
