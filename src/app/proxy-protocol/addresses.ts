/**
 * Addresses as the PROXY protocol writes them: strict text for v1 (spec 2.1), bytes for v2.
 */
import { formatEndpoint, formatIPv6 } from '../../decode/format-address.js';

/** Decimal port 0..65535 without leading zeros (spec: to avoid any confusion with octal). */
export function parsePortText(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** Exactly four decimal 0..255 without leading zeros, one dot between: the canonical v1 form. */
export function parseIPv4Text(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
  }
  return text;
}

/**
 * Groups of 1-4 hex digits with at most one '::', 128 bits in all (inet_pton's grammar, which is
 * what HAProxy's receiver uses, so a trailing dotted quad is accepted too). Returns the 16 bytes.
 */
export function parseIPv6Text(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Text(p);
        if (v4 === null) return null;
        const b = v4.split('.').map(Number);
        out.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  const total = head.length + tail.length;
  // '::' stands for at least one zero group; without it there must be exactly eight.
  if (halves.length === 2 ? total > 7 : total !== 8) return null;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, g] of all.entries()) {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 255;
  }
  return bytes;
}

export function ipv4Endpoint(data: Uint8Array, addr: number, portOffset: number): string {
  const port = ((data[portOffset] ?? 0) << 8) | (data[portOffset + 1] ?? 0);
  return `${data[addr]}.${data[addr + 1]}.${data[addr + 2]}.${data[addr + 3]}:${port}`;
}

export function ipv6Endpoint(data: Uint8Array, addr: number, portOffset: number): string {
  const port = ((data[portOffset] ?? 0) << 8) | (data[portOffset + 1] ?? 0);
  return formatEndpoint(formatIPv6(data, addr), port);
}

/**
 * A 108-byte sun_path: NUL-terminated; a leading NUL marks Linux's abstract namespace, shown with
 * '@' as ss and HAProxy (abns@) do.
 */
export function unixEndpoint(data: Uint8Array, offset: number): string {
  const abstract = data[offset] === 0;
  let start = abstract ? offset + 1 : offset;
  let end = start;
  while (end < offset + 108 && data[end] !== 0) end++;
  if (abstract && end === start) return 'unix:';
  let s = '';
  for (; start < end; start++) s += String.fromCharCode(data[start] ?? 0);
  return abstract ? `unix:@${s}` : `unix:${s}`;
}
