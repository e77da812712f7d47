/**
 * PROXY protocol version 1: one US-ASCII line, "PROXY TCP4|TCP6|UNKNOWN ...\r\n" (spec 2.1).
 */
import { formatEndpoint, formatIPv6 } from '../../decode/format-address.js';
import { parseIPv4Text, parseIPv6Text, parsePortText } from './addresses.js';
import type { ProxyProtocolResult } from './types.js';

/** The longest legal line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses). */
export const V1_MAX_LENGTH = 107;
/** The shortest: "PROXY UNKNOWN\r\n". */
export const V1_MIN_LENGTH = 15;

/** Called when data starts with "PROXY" (the caller checked the five bytes). */
export function parseV1(data: Uint8Array): ProxyProtocolResult {
  if (data.length > 5 && data[5] !== 0x20) return { status: 'invalid', reason: 'v1: "PROXY" must be followed by exactly one space' };
  const limit = Math.min(data.length, V1_MAX_LENGTH);
  let cr = -1;
  for (let i = 5; i < limit; i++) {
    const b = data[i];
    if (b === 0x0a) return { status: 'invalid', reason: 'v1: LF without CR (the line must end with CRLF)' };
    if (b === 0x0d) {
      // The LF as the 108th byte would still be one too many.
      if (i + 1 >= V1_MAX_LENGTH) return tooLong();
      if (i + 1 >= data.length) return { status: 'incomplete', need: Math.max(1, V1_MIN_LENGTH - data.length) };
      if (data[i + 1] !== 0x0a) return { status: 'invalid', reason: 'v1: CR not followed by LF' };
      cr = i;
      break;
    }
  }
  if (cr < 0) return data.length >= V1_MAX_LENGTH ? tooLong() : { status: 'incomplete', need: Math.max(1, V1_MIN_LENGTH - data.length) };

  let line = '';
  for (let i = 0; i < cr; i++) line += String.fromCharCode(data[i] ?? 0);
  const length = cr + 2;
  const rest = line.slice(6);
  const proto = rest.split(' ', 1)[0] ?? '';
  const header = (family: 'TCP4' | 'TCP6' | 'UNKNOWN', source: string | null, destination: string | null): ProxyProtocolResult => ({
    status: 'ok',
    header: { version: 1, command: 'PROXY', family, source, destination, tlvs: [], length },
  });
  // UNKNOWN: "the receiver must ignore anything presented before the CRLF".
  if (proto === 'UNKNOWN') return header('UNKNOWN', null, null);
  if (proto !== 'TCP4' && proto !== 'TCP6') return { status: 'invalid', reason: `v1: unsupported protocol ${JSON.stringify(proto)}` };

  const fields = rest.slice(proto.length + 1).split(' ');
  if (rest.charAt(proto.length) !== ' ' || fields.length !== 4 || fields.some((f) => f === '')) {
    return { status: 'invalid', reason: `v1: ${proto} needs exactly "src dst sport dport", one space apart` };
  }
  const [srcText, dstText, sportText, dportText] = fields as [string, string, string, string];
  const sport = parsePortText(sportText);
  const dport = parsePortText(dportText);
  if (sport === null || dport === null) return { status: 'invalid', reason: 'v1: ports must be decimal 0..65535 without leading zeros' };
  if (proto === 'TCP4') {
    const src = parseIPv4Text(srcText);
    const dst = parseIPv4Text(dstText);
    if (src === null || dst === null) return { status: 'invalid', reason: 'v1: TCP4 addresses must be canonical dotted quads' };
    return header('TCP4', `${src}:${sport}`, `${dst}:${dport}`);
  }
  const src = parseIPv6Text(srcText);
  const dst = parseIPv6Text(dstText);
  if (src === null || dst === null) return { status: 'invalid', reason: 'v1: TCP6 addresses must be IPv6 addresses' };
  // RFC 5952 form, like the rest of proxytrace, so that endpoints compare as strings.
  return header('TCP6', formatEndpoint(formatIPv6(src, 0), sport), formatEndpoint(formatIPv6(dst, 0), dport));
}

function tooLong(): ProxyProtocolResult {
  return { status: 'invalid', reason: `v1: no CRLF within the first ${V1_MAX_LENGTH} bytes` };
}
