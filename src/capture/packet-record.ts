/**
 * What the capture stage hands to the decode stage: one captured frame and where it came from.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

export interface PacketRecord {
  /**
   * The reader's buffer; the frame's captured bytes are buf[start .. start + caplen). Valid only
   * until the next call on the same source: copy what you keep. (No view per packet: at millions
   * of packets a second, one small object each is most of the garbage collector's work.)
   */
  buf: Uint8Array;
  start: number;
  caplen: number;
  /** Length of the frame on the wire; larger than caplen when the snap length cut it. */
  origLen: number;
  /** Timestamp: whole epoch seconds. */
  tsSec: number;
  /** Timestamp: nanoseconds within the second, 0..999 999 999 (whatever the file's resolution). */
  tsNsec: number;
  /** DLT/LINKTYPE number of this record (pcapng: of its interface). */
  linkType: number;
  /** pcapng interface index (0 for pcap). */
  interfaceId: number;
  /** Index of the capture (file) in this run, 0-based, in command-line order. */
  source: number;
  /** Byte offset of the record's header in the (decompressed) file. */
  fileOffset: number;
}

/** Summary of one capture file, as reported in `captures` of the JSON output. */
export interface CaptureInfo {
  /** The path as the user gave it ("-" for stdin). */
  file: string;
  format: CaptureFormat;
  compressed: 'gzip' | null;
  /** Link type names (e.g. "EN10MB"), in order of first appearance. */
  linkTypes: string[];
  /** Link types as declared (pcap header; pcapng interface blocks), with the byte offset of the field. */
  interfaces: { linkType: number; offset: number }[];
  /** Records read so far. */
  packets: number;
  /** Bytes of the (decompressed) file consumed so far. */
  bytesRead: number;
  /** Size of the file on disk, when known (regular files), for progress. */
  sizeOnDisk: number | null;
  /** Bytes of the on-disk file consumed so far (compressed bytes for gzip), for progress. */
  diskBytesRead: number;
  /**
   * Records whose sub-second field was out of range (pcap: >= 10^6 µs or 10^9 ns) and was
   * carried into the seconds. Optional so that sources without the notion (live) may omit it.
   */
  normalisedTimestamps?: number;
}

/**
 * A pull source of packet records. Pulling is synchronous while records are buffered, so the
 * per-packet path has no promise in it; `fill()` is awaited only once per chunk.
 */
export interface PacketSource {
  readonly info: CaptureInfo;
  /**
   * The next record if one is buffered; 'more' when the caller must `await fill()` first;
   * null at the end of the input. Throws CaptureError on corrupt or truncated input.
   * The returned object may be reused by the next call.
   */
  nextSync(): PacketRecord | null | 'more';
  /** Reads the next chunk of input. */
  fill(): Promise<void>;
  /** Releases the file descriptor or stream. Idempotent. */
  close(): void;
}

/** The frame's captured bytes as their own view (allocates: not for the per-packet path). */
export function frameBytes(rec: PacketRecord): Uint8Array {
  return rec.buf.subarray(rec.start, rec.start + rec.caplen);
}
