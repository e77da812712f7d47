/**
 * Raw bytes of a capture, read in chunks into a buffer the caller owns. A regular file is read
 * with fs.readSync (no stream, no promise per chunk beyond the caller's); stdin, pipes and
 * gzip input go through async streams. Gzip is detected by its magic (1f 8b) and decompressed
 * as a stream, never loaded whole.
 */
import fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { CaptureError, EXIT } from '../errors.js';

export interface ByteSource {
  readonly compressed: 'gzip' | null;
  /** Size of the file on disk, when it is a regular file. */
  readonly sizeOnDisk: number | null;
  /** Bytes consumed from the disk file or stdin (compressed bytes for gzip). */
  readonly diskBytesRead: number;
  /**
   * Reads into target[offset..]; resolves with the number of bytes read (at least 1 while
   * input remains), 0 at the end. Throws CaptureError on read or decompression errors.
   */
  read(target: Buffer, offset: number): Promise<number>;
  /** Idempotent. */
  close(): void;
}

export interface OpenOptions {
  /** Replaces process.stdin for "-" (tests). */
  stdin?: Readable;
}

const GZIP_CHUNK = 256 * 1024;

/** Opens `path` ("-" for stdin). Throws CaptureError (exit code EXIT.open) when it cannot be opened. */
export async function openByteSource(path: string, opts: OpenOptions = {}): Promise<ByteSource> {
  if (path === '-') {
    // Reading a terminal would just wait for keystrokes: say what is missing instead.
    if (!opts.stdin && process.stdin.isTTY) throw new CaptureError(path, -1, 'stdin is a terminal: pipe a capture into it', EXIT.open);
    return openStream(path, opts.stdin ?? process.stdin, null);
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw openError(path, e);
  }
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    throw openError(path, e);
  }
  if (st.isDirectory()) {
    fs.closeSync(fd);
    throw new CaptureError(path, -1, 'cannot open: is a directory', EXIT.open);
  }
  // FIFOs, character devices, /dev/fd/N: readSync would block the event loop, so stream them.
  if (!st.isFile()) return openStream(path, fs.createReadStream('', { fd, highWaterMark: 1 << 20 }), null);
  const head = Buffer.alloc(2);
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, 2, 0);
  } catch (e) {
    fs.closeSync(fd);
    throw openError(path, e);
  }
  if (n === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const raw = fs.createReadStream('', { fd, highWaterMark: 1 << 20 });
    return new StreamSource(path, raw, [], true, st.size);
  }
  return new FileSource(path, fd, st.size);
}

function openError(path: string, e: unknown): CaptureError {
  const code = (e as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT' ? 'no such file' :
    code === 'EACCES' || code === 'EPERM' ? 'permission denied' :
    code === 'EISDIR' ? 'is a directory' :
    (e as Error).message;
  return new CaptureError(path, -1, `cannot open: ${what}`, EXIT.open, { cause: e });
}

/** Reads the first bytes of a stream to sniff gzip, then wraps it. */
async function openStream(path: string, stream: Readable, size: number | null): Promise<ByteSource> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let have = 0;
  try {
    while (have < 2) {
      const r = await it.next();
      if (r.done) break;
      const chunk = toBuffer(r.value);
      head.push(chunk);
      have += chunk.length;
    }
  } catch (e) {
    throw new CaptureError(path, -1, `cannot read: ${(e as Error).message}`, EXIT.open, { cause: e });
  }
  const first = Buffer.concat(head);
  const gz = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  return new StreamSource(path, stream, head, gz, size, it);
}

function toBuffer(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v as Uint8Array);
}

/** Fast path: a regular file, read synchronously at an explicit position. */
class FileSource implements ByteSource {
  readonly compressed = null;
  diskBytesRead = 0;
  private fd: number;
  constructor(private readonly path: string, fd: number, readonly sizeOnDisk: number) {
    this.fd = fd;
  }
  read(target: Buffer, offset: number): Promise<number> {
    return Promise.resolve(this.readSync(target, offset));
  }
  readSync(target: Buffer, offset: number): number {
    if (this.fd < 0) return 0;
    let n: number;
    try {
      n = fs.readSync(this.fd, target, offset, target.length - offset, this.diskBytesRead);
    } catch (e) {
      throw new CaptureError(this.path, this.diskBytesRead, `read error: ${(e as Error).message}`, EXIT.badCapture, { cause: e });
    }
    this.diskBytesRead += n;
    return n;
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** stdin, pipes and gzip: chunks pulled from an async iterator and copied into the caller's buffer. */
class StreamSource implements ByteSource {
  readonly compressed: 'gzip' | null;
  diskBytesRead = 0;
  /** Decompressed bytes handed out, to place errors. */
  private delivered = 0;
  private pending: Buffer | null = null;
  private pendingPos = 0;
  private readonly it: AsyncIterator<Buffer>;
  private readonly streams: Readable[];

  constructor(
    private readonly path: string,
    raw: Readable,
    head: Buffer[],
    gzip: boolean,
    readonly sizeOnDisk: number | null,
    rawIt: AsyncIterator<Buffer> = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
  ) {
    this.compressed = gzip ? 'gzip' : null;
    // Counts disk bytes as they are consumed, replaying the bytes already sniffed.
    const self = this;
    async function* counted(): AsyncGenerator<Buffer> {
      for (const h of head) {
        self.diskBytesRead += h.length;
        yield h;
      }
      for (;;) {
        const r = await rawIt.next();
        if (r.done) return;
        const b = toBuffer(r.value);
        self.diskBytesRead += b.length;
        yield b;
      }
    }
    const src = Readable.from(counted(), { objectMode: false });
    if (gzip) {
      const gunzip = zlib.createGunzip({ chunkSize: GZIP_CHUNK });
      pipeline(src, gunzip, () => {});
      this.it = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      this.streams = [raw, src, gunzip];
    } else {
      this.it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      this.streams = [raw, src];
    }
  }

  async read(target: Buffer, offset: number): Promise<number> {
    let p = this.pending;
    while (p === null || this.pendingPos >= p.length) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.it.next();
      } catch (e) {
        const what = this.compressed ? 'gzip data is corrupt or truncated' : 'read error';
        throw new CaptureError(this.path, this.delivered, `${what}: ${(e as Error).message}`, EXIT.badCapture, { cause: e });
      }
      if (r.done) return 0;
      p = this.pending = toBuffer(r.value);
      this.pendingPos = 0;
    }
    const n = Math.min(p.length - this.pendingPos, target.length - offset);
    p.copy(target, offset, this.pendingPos, this.pendingPos + n);
    this.pendingPos += n;
    this.delivered += n;
    return n;
  }

  close(): void {
    this.pending = null;
    // Destroying stdin too: nothing else can use it once it carries the capture, and a live
    // stdin would keep the process from exiting.
    for (const s of this.streams) s.destroy();
  }
}
