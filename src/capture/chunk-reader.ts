import { linkTypeName } from './link-types.js';
/**
 * Shared buffering for the pcap and pcapng readers: one owned buffer, records parsed in place,
 * a partial record at the chunk end moved to the front before the next read.
 */
import type { ByteSource } from './byte-source.js';
import type { CaptureFormat, CaptureInfo, PacketRecord, PacketSource } from './packet-record.js';
import { CaptureError } from '../errors.js';

export const CHUNK_SIZE = 1 << 20;

/** What openCapture has read while sniffing the format; the reader continues from there. */
export interface InitialInput {
  file: string;
  src: ByteSource;
  buf: Buffer;
  /** Bytes valid in buf. */
  end: number;
  eof: boolean;
}

export abstract class ChunkReader implements PacketSource {
  readonly info: CaptureInfo;
  protected readonly file: string;
  protected readonly src: ByteSource;
  protected buf: Buffer;
  protected dv: DataView;
  /** Next unparsed byte in buf. */
  protected pos = 0;
  /** End of valid bytes in buf. */
  protected end: number;
  /** File offset (decompressed) of buf[0]. */
  protected base = 0;
  protected eof: boolean;
  /** Bytes from pos the parser needs before it can go on, set when it returns 'more'. */
  protected need = 0;
  /** The one record object, mutated and returned for every packet. */
  protected readonly rec: PacketRecord;

  constructor(init: InitialInput, format: CaptureFormat, sourceIndex: number) {
    this.file = init.file;
    this.src = init.src;
    this.buf = init.buf;
    this.dv = new DataView(init.buf.buffer, init.buf.byteOffset, init.buf.byteLength);
    this.end = init.end;
    this.eof = init.eof;
    this.info = {
      file: init.file,
      format,
      compressed: init.src.compressed,
      linkTypes: [],
      interfaces: [],
      packets: 0,
      bytesRead: 0,
      sizeOnDisk: init.src.sizeOnDisk,
      diskBytesRead: init.src.diskBytesRead,
      normalisedTimestamps: 0,
    };
    this.rec = { buf: init.buf, start: 0, caplen: 0, origLen: 0, tsSec: 0, tsNsec: 0, linkType: 0, interfaceId: 0, source: sourceIndex, fileOffset: 0 };
  }

  abstract nextSync(): PacketRecord | null | 'more';

  async fill(): Promise<void> {
    if (this.eof) return;
    const keep = this.end - this.pos;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.pos = 0;
      this.end = keep;
    }
    if (this.need > this.buf.length || this.end === this.buf.length) {
      // One record larger than the buffer: grow it (bounded by the readers' sanity limits).
      const bigger = Buffer.allocUnsafe(Math.max(this.need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
      this.dv = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
    }
    const n = await this.src.read(this.buf, this.end);
    if (n === 0) this.eof = true;
    this.end += n;
    this.info.diskBytesRead = this.src.diskBytesRead;
  }

  close(): void {
    this.src.close();
  }

  protected fail(offset: number, message: string): never {
    throw new CaptureError(this.file, offset, message);
  }

  /** Records a distinct link type name in info.linkTypes. */
  /** Records a link type declared at `offset` (pcap file header, pcapng interface block). */
  protected noteLinkType(linkType: number, offset: number): void {
    const name = linkTypeName(linkType);
    if (!this.info.linkTypes.includes(name)) this.info.linkTypes.push(name);
    this.info.interfaces.push({ linkType, offset });
  }
}
