/**
 * Writes packet records as a classic pcap file (libpcap 2.4, microsecond timestamps,
 * little-endian), what `tcpdump -w` writes and every tool reads. Buffered: records are
 * copied into one 1 MiB buffer and written with fs.writeSync when it is full, on flush() and on
 * close(), so the file is complete when close() returns.
 */
import fs from 'node:fs';
import { LiveCaptureError } from '../errors.js';
import type { PacketRecord } from './packet-record.js';

const BUF_SIZE = 1 << 20;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapFileWriter {
  readonly path: string;
  readonly linkType: number;
  /** Records written so far. */
  packets = 0;
  /** Bytes written so far (header included). */
  bytes = 0;
  private fd: number;
  private buf = Buffer.allocUnsafe(BUF_SIZE);
  private used = 0;

  /** Creates (truncates) `path`. Throws LiveCaptureError when it cannot. */
  constructor(path: string, linkType: number, snaplen: number) {
    this.path = path;
    this.linkType = linkType;
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (e) {
      throw new LiveCaptureError(`${path}: cannot create the capture file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const h = this.reserve(FILE_HEADER);
    const b = this.buf;
    this.u32(h, 0xa1b2c3d4);
    b.writeUInt16LE(2, h + 4);
    b.writeUInt16LE(4, h + 6);
    this.u32(h + 8, 0); // thiszone
    this.u32(h + 12, 0); // sigfigs
    this.u32(h + 16, snaplen);
    this.u32(h + 20, linkType);
  }

  write(rec: PacketRecord): void {
    const at = this.reserve(RECORD_HEADER + rec.caplen);
    this.u32(at, rec.tsSec);
    this.u32(at + 4, Math.floor(rec.tsNsec / 1000));
    this.u32(at + 8, rec.caplen);
    this.u32(at + 12, Math.max(rec.origLen, rec.caplen));
    this.buf.set(rec.buf.subarray(rec.start, rec.start + rec.caplen), at + RECORD_HEADER);
    this.packets++;
  }

  /** Hands what is buffered to the OS. */
  flush(): void {
    if (this.fd < 0 || this.used === 0) return;
    let off = 0;
    try {
      while (off < this.used) off += fs.writeSync(this.fd, this.buf, off, this.used - off);
    } catch (e) {
      throw new LiveCaptureError(`${this.path}: cannot write the capture file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.bytes += this.used;
    this.used = 0;
  }

  /** Flushes and closes. Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  /** Room for n bytes in the buffer (flushing, or growing for a record larger than it); returns where. */
  private reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  private u32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
}
