/** Writing command output to stdout. */
import { AsciiBuffer } from '../report/ascii-buffer.js';

/** Writes to stdout, resolving when the data is handed to the OS (so large outputs are not lost on exit). */
export function writeOut(s: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(s)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Streams items to stdout as they complete, separated, batching writes: the text is copied at
 * once into one output buffer, so the strings die young (cheap for the garbage collector) and
 * stdout gets a few large writes. Items are given as strings (`put`) or written as bytes into
 * the buffer itself (`next`, then the AsciiBuffer methods). Everything written must be ASCII
 * (captured bytes are escaped).
 */
/** Output queued in stdout beyond which the pipeline waits for it (flushed()). */
const BACKLOG = 8 << 20;

export class StreamWriter extends AsciiBuffer {
  private first = true;
  private readonly separator: string;

  constructor(head: string, separator: string) {
    super(Buffer.allocUnsafe(1 << 20));
    this.separator = separator;
    this.append(head);
  }

  put(text: string): void {
    this.next();
    this.append(text);
  }

  /** Starts the next item (writes the separator): its bytes follow. */
  next(): void {
    if (!this.first) this.ascii(this.separator);
    this.first = false;
  }

  private append(text: string): void {
    if (this.pos + text.length > this.buf.length) {
      this.flush();
      if (text.length > this.buf.length) {
        process.stdout.write(text);
        return;
      }
    }
    // Every buffer here is a Buffer (allocUnsafe): its native latin1 write beats a loop on long text.
    this.pos += (this.buf as Buffer).write(text, this.pos, 'latin1');
  }

  /** Full: what is ready goes to stdout, and n more bytes fit in the fresh buffer. */
  protected override makeRoom(n: number): void {
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /**
   * flush(), then, when stdout still holds more than BACKLOG bytes (a pipe: Node writes to it
   * asynchronously, and the pipeline reads its input without giving the event loop a turn), a
   * promise that resolves once stdout has drained. The pipeline awaits it before its next
   * chunk, so `analyze --json | jq` holds a few MB of output instead of all of it.
   */
  flushed(): Promise<void> | undefined {
    this.flush();
    if (process.stdout.writableLength <= BACKLOG) return undefined;
    return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
  }

  /** Hands what is ready to stdout (synchronous for files; a pipe may queue it: flushed()). */
  flush(): void {
    if (this.pos === 0) return;
    process.stdout.write(this.buf.subarray(0, this.pos));
    // Nothing queued: the OS has the bytes and the buffer is free again. Otherwise stdout holds
    // on to it until written, and a fresh one takes its place.
    if (process.stdout.writableLength > 0 || this.buf.length !== 1 << 20) this.buf = Buffer.allocUnsafe(1 << 20);
    this.pos = 0;
  }
}
