/**
 * The tcp stage's public contract (see docs/stream-contract.md):
 *  - per connection and direction, payload is delivered in order, each byte at most once, at a
 *    relative 64-bit stream offset (0 = first byte after the SYN);
 *  - every byte that will never be delivered is announced once, as an explicit gap with a reason;
 *  - each connection ends with exactly one `close` call, after its last data and gap events.
 */

/** 0 = client to server, 1 = server to client. Numbers on the hot path; names in output. */
export type Dir = 0 | 1;
export const C2S: Dir = 0;
export const S2C: Dir = 1;
export type DirectionName = 'clientToServer' | 'serverToClient';
export const DIRECTION_NAMES: readonly [DirectionName, DirectionName] = ['clientToServer', 'serverToClient'];

/**
 * Why bytes are missing from a stream:
 *  - not_captured: the receiver ACKed them, so they were sent and received, but the capture never saw them;
 *  - unacknowledged: skipped (a hole that never filled, or the out-of-order bound was hit) and never ACKed either;
 *  - snaplen: the frame was cut by the capture's snap length.
 */
export type GapReason = 'not_captured' | 'unacknowledged' | 'snaplen';

/** Zeek's conn_state codes, same meanings as Zeek's conn.log. */
export type ConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's per-endpoint TCP states, from which conn_state is derived. */
export type EndpointState = 'inactive' | 'syn_sent' | 'syn_ack_sent' | 'partial' | 'established' | 'closed' | 'reset';

/**
 * Stable snake_case anomaly codes (like Zeek's weirds). Counted per connection.
 */
export type AnomalyCode =
  | 'overlap_different_bytes'
  | 'reassembly_buffer_overflow'
  | 'data_after_fin'
  | 'data_after_rst'
  | 'rst_with_data'
  | 'duplicate_frame'
  | 'syn_with_data'
  | 'syn_fin'
  | 'syn_rst'
  | 'fin_rst'
  | 'midstream_start'
  | 'ack_above_data'
  | 'expired_idle'
  | 'fin_not_captured'
  | 'evicted_table_full';

export interface StreamLimits {
  /** Out-of-order bytes buffered per direction before the hole is declared a gap. */
  maxBufferedBytesPerDirection: number;
  /** Out-of-order bytes buffered over all connections. */
  maxBufferedBytesTotal: number;
  /** Delivered-but-unACKed bytes kept per direction to compare retransmissions against. */
  maxRetainedBytesPerDirection: number;
  /** A connection idle this long (capture time, seconds) is completed. */
  idleTimeout: number;
  /** A closed connection (FIN both ways, or RST) is completed after this much capture time with no packet. */
  closeLinger: number;
  /** Capture time between two expiry passes (closed connections past closeLinger, idle ones). */
  expiryInterval: number;
  /** Open connections at most; past it the least recently active one is completed. */
  maxOpenConnections: number;
  /** Two identical IP packets of one direction closer than this (seconds) are one frame captured twice. */
  duplicateWindow: number;
}

export const DEFAULT_LIMITS: StreamLimits = {
  maxBufferedBytesPerDirection: 4 << 20,
  maxBufferedBytesTotal: 64 << 20,
  maxRetainedBytesPerDirection: 256 << 10,
  idleTimeout: 3600,
  closeLinger: 1,
  expiryInterval: 1,
  maxOpenConnections: 500_000,
  duplicateWindow: 0.01,
};
