/**
 * Builders of synthetic frames for tests: IP packets (IPv4 with options, IPv6 with extension
 * headers) carrying TCP or anything else, real fragmentation, and every link-layer wrapping the
 * decoder supports. Checksums (IPv4 header, TCP with pseudo-header) are correct, so the output
 * can be written to a pcap and opened in Wireshark without complaints.
 */

export interface TcpOptionsSpec {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks [left, right] (1 to 4). */
  sack?: readonly (readonly [number, number])[];
  /** [TSval, TSecr]. */
  ts?: readonly [number, number];
  /** Raw option bytes appended after the others (for malformed options). */
  raw?: Uint8Array | readonly number[];
}

export interface Ipv6ExtHeader {
  /** The header's type (the Next Header value that announces it): 0, 43, 44, 51, 60... */
  type: number;
  /**
   * The bytes after the first two (next header, length). Zero-padded to the header's unit (8
   * bytes; 4 for AH); the length byte is computed (0 for a fragment header, where it is reserved).
   */
  body: Uint8Array | readonly number[];
}

export interface IpPacketSpec {
  /** Dotted quad or IPv6 text (both of the same family). */
  src: string;
  dst: string;
  ipId?: number;
  ttl?: number;
  /** IPv4 options, zero-padded (EOL) to a multiple of 4. */
  ipOptions?: Uint8Array | readonly number[];
  /** IPv4 DF flag (default true, like Linux). */
  dontFragment?: boolean;
  /** IPv6 extension headers, in order, between the fixed header and the transport. */
  ipv6Ext?: readonly Ipv6ExtHeader[];
}

export interface TcpPacketSpec extends IpPacketSpec {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Letters among F S R P A U E C, e.g. 'S', 'SA', 'PA', 'FA', 'RA'. */
  flags: string;
  window?: number;
  urgent?: number;
  options?: TcpOptionsSpec;
  payload?: Uint8Array | string;
}

export interface FrameOptions {
  /**
   * VLAN IDs, outermost first (Ethernet, SLL, SLL2). TPIDs: 0x88a8 for outer tags, 0x8100 for
   * the innermost.
   */
  vlan?: readonly number[];
  /** Override the TPID of each tag (e.g. [0x9100, 0x8100]). */
  vlanTpids?: readonly number[];
  /** NULL link type: byte order of the family (default 'le', as written by x86 hosts). */
  nullByteOrder?: 'le' | 'be';
  /** NULL/LOOP family (default 2 for IPv4, 30 (macOS) for IPv6). */
  family?: number;
  /** EtherType / SLL protocol (default from the IP version nibble). */
  etherType?: number;
  /** Zero-pad the frame to at least this many bytes (Ethernet pads to 60). */
  padTo?: number;
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function tcpFlags(flags: string): number {
  let bits = 0;
  for (const c of flags) {
    const bit = TCP_FLAG_BITS[c];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${JSON.stringify(c)} in ${JSON.stringify(flags)}`);
    bits |= bit;
  }
  return bits;
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address from its text form. */
export function parseIp(text: string): Uint8Array {
  if (!text.includes(':')) {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 address ${text}`);
    return Uint8Array.from(parts);
  }
  let words: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address ${text}`);
  const parseHalf = (half: string): number[] => {
    if (half === '') return [];
    const out: number[] = [];
    for (const part of half.split(':')) {
      if (part.includes('.')) {
        const v4 = parseIp(part);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(part)) throw new Error(`bad IPv6 address ${text}`);
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = parseHalf(halves[0]!);
  if (halves.length === 2) {
    const tail = parseHalf(halves[1]!);
    if (head.length + tail.length > 7) throw new Error(`bad IPv6 address ${text}`);
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    words = head;
  }
  if (words.length !== 8) throw new Error(`bad IPv6 address ${text}`);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function padTo(bytes: Uint8Array | readonly number[], unit: number, minimum = 0): Uint8Array {
  const src = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  const size = Math.max(minimum, Math.ceil(src.length / unit) * unit);
  const out = new Uint8Array(size);
  out.set(src);
  return out;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** The Internet checksum (RFC 1071) over the concatenation of parts. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false; // whether the previous part ended in the middle of a 16-bit word
  for (const p of parts) {
    for (const byte of p) {
      sum += odd ? byte : byte << 8;
      odd = !odd;
    }
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  if (src.length === 4) {
    const h = new Uint8Array(12);
    h.set(src, 0);
    h.set(dst, 4);
    h[9] = protocol;
    put16(h, 10, length);
    return h;
  }
  const h = new Uint8Array(40);
  h.set(src, 0);
  h.set(dst, 16);
  put32(h, 32, length);
  h[39] = protocol;
  return h;
}

/** TCP option bytes in the order Linux sends them, zero (EOL) padded to a multiple of 4. */
export function tcpOptionBytes(o: TcpOptionsSpec): Uint8Array {
  const bytes: number[] = [];
  if (o.mss !== undefined) bytes.push(2, 4, o.mss >> 8, o.mss & 0xff);
  // SACK-permitted and timestamps share a 12-byte slot (4 2 8 10 ...) as Linux does.
  if (o.sackPermitted) bytes.push(...(o.ts !== undefined ? [4, 2] : [1, 1, 4, 2]));
  if (o.ts !== undefined) {
    const b = new Uint8Array(8);
    put32(b, 0, o.ts[0]);
    put32(b, 4, o.ts[1]);
    bytes.push(...(o.sackPermitted ? [] : [1, 1]), 8, 10, ...b);
  }
  if (o.wscale !== undefined) bytes.push(1, 3, 3, o.wscale);
  if (o.sack !== undefined) {
    bytes.push(1, 1, 5, 2 + 8 * o.sack.length);
    for (const [left, right] of o.sack) {
      const b = new Uint8Array(8);
      put32(b, 0, left);
      put32(b, 4, right);
      bytes.push(...b);
    }
  }
  if (o.raw !== undefined) bytes.push(...o.raw);
  const out = padTo(bytes, 4);
  if (out.length > 40) throw new Error(`TCP options take ${out.length} bytes, more than 40`);
  return out;
}

/** A TCP segment (header, options, payload) with its checksum for the given addresses. */
export function tcpSegment(spec: TcpPacketSpec): Uint8Array {
  const options = tcpOptionBytes(spec.options ?? {});
  const payload = typeof spec.payload === 'string' ? new TextEncoder().encode(spec.payload) : (spec.payload ?? new Uint8Array(0));
  const header = new Uint8Array(20 + options.length);
  put16(header, 0, spec.sport);
  put16(header, 2, spec.dport);
  put32(header, 4, spec.seq);
  put32(header, 8, spec.ack ?? 0);
  header[12] = (header.length / 4) << 4;
  header[13] = tcpFlags(spec.flags);
  put16(header, 14, spec.window ?? 65535);
  put16(header, 18, spec.urgent ?? 0);
  header.set(options, 20);
  const segment = concat([header, payload]);
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  put16(segment, 16, internetChecksum(pseudoHeader(src, dst, 6, segment.length), segment));
  return segment;
}

/** A TCP/IP packet (IPv4 or IPv6 after the addresses), without link layer. */
export function tcpPacket(spec: TcpPacketSpec): Uint8Array {
  return ipPacket(spec, 6, tcpSegment(spec));
}

/** A UDP/IP packet (checksum 0 for IPv4: "none"). */
export function udpPacket(spec: IpPacketSpec & { sport: number; dport: number; payload?: Uint8Array }): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const udp = new Uint8Array(8 + payload.length);
  put16(udp, 0, spec.sport);
  put16(udp, 2, spec.dport);
  put16(udp, 4, udp.length);
  udp.set(payload, 8);
  const src = parseIp(spec.src);
  if (src.length === 16) put16(udp, 6, internetChecksum(pseudoHeader(src, parseIp(spec.dst), 17, udp.length), udp) || 0xffff);
  return ipPacket(spec, 17, udp);
}

/** An IP packet carrying `body` as protocol `protocol` (for IPv6, after spec.ipv6Ext). */
export function ipPacket(spec: IpPacketSpec, protocol: number, body: Uint8Array): Uint8Array {
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  if (src.length !== dst.length) throw new Error(`${spec.src} and ${spec.dst} are not of the same family`);
  if (src.length === 4) {
    const options = padTo(spec.ipOptions ?? [], 4);
    if (options.length > 40) throw new Error('IPv4 options longer than 40 bytes');
    const h = new Uint8Array(20 + options.length);
    h[0] = 0x40 | (h.length / 4);
    put16(h, 2, h.length + body.length);
    put16(h, 4, spec.ipId ?? 1);
    put16(h, 6, spec.dontFragment === false ? 0 : 0x4000);
    h[8] = spec.ttl ?? 64;
    h[9] = protocol;
    h.set(src, 12);
    h.set(dst, 16);
    h.set(options, 20);
    put16(h, 10, internetChecksum(h));
    return concat([h, body]);
  }
  const ext = spec.ipv6Ext ?? [];
  const headers = ext.map((e, i) => {
    const unit = e.type === 51 ? 4 : 8;
    const bytes = padTo(concat([[ext[i + 1]?.type ?? protocol, 0], e.body]), unit, 8);
    bytes[1] = e.type === 44 ? 0 : e.type === 51 ? bytes.length / 4 - 2 : bytes.length / 8 - 1;
    return bytes;
  });
  const rest = concat([...headers, body]);
  const h = new Uint8Array(40);
  h[0] = 0x60;
  put16(h, 4, rest.length);
  h[6] = ext[0]?.type ?? protocol;
  h[7] = spec.ttl ?? 64;
  h.set(src, 8);
  h.set(dst, 24);
  return concat([h, rest]);
}

/**
 * Fragments an IP packet like a router would: pieces of at most `chunk` payload bytes (rounded
 * down to a multiple of 8). IPv4 copies the header (options included) into every fragment;
 * IPv6 inserts a fragment header (identification `id`) after the hop-by-hop and routing headers.
 */
export function fragmentPacket(packet: Uint8Array, chunk: number, id = 0x12345678): Uint8Array[] {
  const size = Math.floor(chunk / 8) * 8;
  if (size < 8) throw new Error('fragment chunk must be at least 8 bytes');
  const fragments: Uint8Array[] = [];
  if (packet[0]! >> 4 === 4) {
    const hl = (packet[0]! & 0x0f) * 4;
    const data = packet.subarray(hl, (packet[2]! << 8) | packet[3]!);
    for (let at = 0; at < data.length; at += size) {
      const piece = data.subarray(at, at + size);
      const f = concat([packet.subarray(0, hl), piece]);
      put16(f, 2, f.length);
      put16(f, 6, (at + size < data.length ? 0x2000 : 0) | (at / 8));
      put16(f, 10, 0);
      put16(f, 10, internetChecksum(f.subarray(0, hl)));
      fragments.push(f);
    }
    return fragments;
  }
  // IPv6: the unfragmentable part is the fixed header plus leading hop-by-hop/routing headers.
  let nextAt = 6;
  let next = packet[6]!;
  let p = 40;
  while (next === 0 || next === 43) {
    nextAt = p;
    next = packet[p]!;
    p += (packet[p + 1]! + 1) * 8;
  }
  const unfragmentable = packet.subarray(0, p);
  const data = packet.subarray(p, 40 + ((packet[4]! << 8) | packet[5]!));
  for (let at = 0; at < data.length; at += size) {
    const piece = data.subarray(at, at + size);
    const fh = new Uint8Array(8);
    fh[0] = next;
    put16(fh, 2, at | (at + size < data.length ? 1 : 0));
    put32(fh, 4, id);
    const f = concat([unfragmentable, fh, piece]);
    f[nextAt] = 44;
    put16(f, 4, f.length - 40);
    fragments.push(f);
  }
  return fragments;
}

/** Wraps an IP packet (or any payload, with opts.etherType) in the given link layer. */
export function frame(linkType: number, ipPacket: Uint8Array, opts: FrameOptions = {}): Uint8Array {
  const version = ipPacket.length > 0 ? ipPacket[0]! >> 4 : 0;
  const etherType = opts.etherType ?? (version === 4 ? 0x0800 : version === 6 ? 0x86dd : -1);
  const needEtherType = (): number => {
    if (etherType < 0) throw new Error('payload is not IP: pass opts.etherType');
    return etherType;
  };
  const family = opts.family ?? (version === 6 ? 30 : 2);
  // VLAN tags (Ethernet, SLL, SLL2): the link header's type field holds the outer TPID, each tag
  // is TCI(2) + next type(2), the last one holding the payload's EtherType.
  const vlan = opts.vlan ?? [];
  const tpid = (i: number): number => opts.vlanTpids?.[i] ?? (i === vlan.length - 1 ? 0x8100 : 0x88a8);
  const linkEtherType = (): number => (vlan.length > 0 ? tpid(0) : needEtherType());
  const tags = new Uint8Array(4 * vlan.length);
  vlan.forEach((id, i) => {
    put16(tags, 4 * i, id & 0x0fff);
    put16(tags, 4 * i + 2, i + 1 < vlan.length ? tpid(i + 1) : needEtherType());
  });
  let header: Uint8Array;
  switch (linkType) {
    case 1:
      header = new Uint8Array(14);
      header.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
      put16(header, 12, linkEtherType());
      break;
    case 0:
    case 108:
      header = new Uint8Array(4);
      if (linkType === 0 && (opts.nullByteOrder ?? 'le') === 'le') header[0] = family;
      else header[3] = family;
      break;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      header = new Uint8Array(0);
      break;
    case 113:
      header = new Uint8Array(16);
      put16(header, 0, 0); // packet type: to us
      put16(header, 2, 1); // ARPHRD_ETHER
      put16(header, 4, 6);
      header.set([0x02, 0, 0, 0, 0, 0x01], 6);
      put16(header, 14, linkEtherType());
      break;
    case 276:
      header = new Uint8Array(20);
      put16(header, 0, linkEtherType());
      put32(header, 4, 2); // interface index
      put16(header, 8, 1); // ARPHRD_ETHER
      header[10] = 0; // packet type: to us
      header[11] = 6;
      header.set([0x02, 0, 0, 0, 0, 0x01], 12);
      break;
    default:
      throw new Error(`frame(): unsupported link type ${linkType}`);
  }
  if (vlan.length > 0 && linkType !== 1 && linkType !== 113 && linkType !== 276) throw new Error(`frame(): no VLAN tags on link type ${linkType}`);
  const out = concat([header, tags, ipPacket]);
  return opts.padTo !== undefined && out.length < opts.padTo ? padTo(out, 1, opts.padTo) : out;
}
