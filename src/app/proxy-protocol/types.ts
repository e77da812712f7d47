/**
 * Result types of the PROXY protocol parser (haproxy doc/proxy-protocol.txt, versions 1 and 2).
 */

/** 'LOCAL' exists only in v2: the proxy's own connection (health checks); addresses are to be ignored. */
export type ProxyCommand = 'PROXY' | 'LOCAL';

/**
 * v1 names its protocol 'TCP4', 'TCP6' or 'UNKNOWN'. v2 gives a family and a transport, named here
 * the same way where they coincide ('TCP4' = 0x11, 'TCP6' = 0x21) and otherwise 'UDP4' (0x12),
 * 'UDP6' (0x22), 'UNIX_STREAM' (0x31), 'UNIX_DGRAM' (0x32), or 'UNSPEC' for anything with an
 * unspecified family or transport (0x00 is what senders use with LOCAL).
 */
export type ProxyFamily = 'TCP4' | 'TCP6' | 'UNKNOWN' | 'UDP4' | 'UDP6' | 'UNIX_STREAM' | 'UNIX_DGRAM' | 'UNSPEC';

/** One v2 Type-Length-Value vector; `value` is a copy, safe to keep. */
export interface ProxyTlv {
  type: number;
  value: Uint8Array;
}

export interface ProxyHeader {
  version: 1 | 2;
  command: ProxyCommand;
  family: ProxyFamily;
  /**
   * The original connection's source: 'ip:port' or '[v6]:port' (IPv6 in RFC 5952 form), 'unix:<path>'
   * for AF_UNIX ('unix:@name' for an abstract socket), null when the header carries no usable
   * address (UNKNOWN, LOCAL, UNSPEC).
   */
  source: string | null;
  destination: string | null;
  /** v2 only (always empty for v1), in wire order. */
  tlvs: ProxyTlv[];
  /** Bytes consumed: the payload proper starts at data[length]. */
  length: number;
}

export type ProxyProtocolResult =
  | { status: 'ok'; header: ProxyHeader }
  /** Could still be a header: at least `need` more bytes are required before it can be decided. */
  | { status: 'incomplete'; need: number }
  /** Neither signature: the stream does not start with a PROXY protocol header. */
  | { status: 'absent' }
  /** Starts like a header but breaks the specification; a receiver must abort the connection. */
  | { status: 'invalid'; reason: string };
