/**
 * The decode stage's output: a thin view over the original frame. Numbers and offsets only,
 * no copies and no per-packet allocation: one DecodedPacket is reused for every frame, so read
 * what you need before decoding the next one.
 */

/** What the frame turned out to be. */
export type DecodeOutcome =
  /** A TCP segment (its header fully present); the fields below are valid. */
  | 'tcp'
  /** Another transport (UDP, ICMP, ...) or a non-IP frame: not our business, but counted. */
  | 'other'
  /** An IP fragment (IPv4 MF/offset or IPv6 fragment header): counted and reported, not reassembled. */
  | 'fragment'
  /** A malformed or truncated header: `error` says where and why. */
  | 'error';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export interface DecodeFailure {
  /** 'link' | 'ipv4' | 'ipv6' | 'tcp' ... */
  layer: string;
  /** Offset in the frame where the layer starts (or where the fault is). */
  offset: number;
  required: number;
  actual: number;
  /** Stable snake_case code, e.g. 'truncated_ipv4_header', 'bad_ip_version', 'unknown_link_type'. */
  code: string;
}

export interface DecodedPacket {
  outcome: DecodeOutcome;
  /** Valid when outcome is 'error' (null otherwise). Reused like the packet: copy it to keep it. */
  error: DecodeFailure | null;

  /**
   * The link layer's payload type as an EtherType (after any VLAN tags): 0x0800, 0x86dd, 0x0806
   * (ARP)... For NULL/LOOP/raw links, the EtherType matching the address family or IP version;
   * 0 when unknown. Values below 0x0600 are 802.3 length fields (LLC frames).
   */
  etherType: number;

  /** Where the frame lies in the buffer given to decodeFrame: data[frameStart..frameEnd). */
  frameStart: number;
  frameEnd: number;

  /** 4 or 6 (0 when not IP). */
  ipVersion: 0 | 4 | 6;
  /** Offset of the IP header in the frame. */
  ipOffset: number;
  /** IPv4 source/destination as unsigned 32-bit numbers (0 for IPv6). */
  src4: number;
  dst4: number;
  /** Offsets in the frame of the 16-byte IPv6 source and destination addresses (-1 for IPv4). */
  src6Offset: number;
  dst6Offset: number;
  /** IPv4 identification field (-1 for IPv6 without a fragment header). */
  ipId: number;
  ttl: number;
  /** Transport protocol number (6 for TCP; for IPv6, the header after the extension headers). */
  protocol: number;
  /**
   * Offset in the frame of the transport (TCP/UDP/ICMP...) header, after IPv4 options and IPv6
   * extension headers; -1 when the frame has no IP payload (non-IP, or an error before it).
   */
  transportOffset: number;

  /** TCP header fields (valid when outcome is 'tcp'). Sequence numbers are unsigned 32-bit. */
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TCP_* flag bits. */
  flags: number;
  /** Raw (unscaled) window field. */
  window: number;
  tcpChecksum: number;
  /** Options: -1 when absent. */
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  /** TCP timestamp option values, -1 when absent (unsigned 32-bit otherwise). */
  tsVal: number;
  tsEcr: number;
  /** SACK blocks as [left0, right0, left1, right1, ...] (unsigned 32-bit); length 0 when none. Reused array. */
  sack: number[];

  /** Offset of the TCP payload in the frame. */
  payloadOffset: number;
  /** Payload length according to the IP length field (never the frame length: Ethernet padding is not data). */
  payloadLength: number;
  /**
   * How many payload bytes the frame actually holds: less than payloadLength when the snap length
   * cut the frame (known-missing bytes, not an error).
   */
  capturedPayloadLength: number;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    outcome: 'other', error: null, frameStart: 0, frameEnd: 0, etherType: 0,
    ipVersion: 0, ipOffset: 0, src4: 0, dst4: 0, src6Offset: -1, dst6Offset: -1, ipId: -1, ttl: 0, protocol: 0,
    transportOffset: -1,
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, tcpChecksum: 0,
    mss: -1, windowScale: -1, sackPermitted: false, tsVal: -1, tsEcr: -1, sack: [],
    payloadOffset: 0, payloadLength: 0, capturedPayloadLength: 0,
  };
}
