/**
 * Opens a capture file (or "-" for stdin), looks through gzip, sniffs pcap vs pcapng by the
 * magic and returns the matching reader.
 */
import { openByteSource, type OpenOptions } from './byte-source.js';
import { CHUNK_SIZE, type InitialInput } from './chunk-reader.js';
import type { PacketSource } from './packet-record.js';
import { PCAP_HEADER_LEN, PcapReader, pcapMagic } from './pcap-reader.js';
import { PcapngReader, SHB_TYPE } from './pcapng-reader.js';
import { CaptureError } from '../errors.js';

export { linkTypeName } from './link-types.js';

export async function openCapture(path: string, sourceIndex: number, opts: OpenOptions = {}): Promise<PacketSource> {
  const src = await openByteSource(path, opts);
  try {
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    // Streams may deliver a few bytes at a time: read until the pcap header is complete.
    let end = 0;
    let eof = false;
    while (end < PCAP_HEADER_LEN) {
      const n = await src.read(buf, end);
      if (n === 0) { eof = true; break; }
      end += n;
    }
    const init: InitialInput = { file: path, src, buf, end, eof };
    if (end === 0) throw new CaptureError(path, -1, 'empty file, not a capture');
    if (pcapMagic(buf.subarray(0, end))) return new PcapReader(init, sourceIndex);
    if (end >= 4 && buf.readUInt32BE(0) === SHB_TYPE) return new PcapngReader(init, sourceIndex);
    const head = [...buf.subarray(0, Math.min(end, 4))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const gz = src.compressed ? ' (after gzip decompression)' : '';
    throw new CaptureError(path, -1, `not a pcap or pcapng file${gz} (starts with ${head})`);
  } catch (e) {
    src.close();
    throw e;
  }
}
