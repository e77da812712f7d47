/** Writing command output to stdout. */

/** Writes to stdout, resolving when the data is handed to the OS (so large outputs are not lost on exit). */
export function writeOut(s: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(s)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Streams items to stdout as they complete, separated, batching writes: the text is copied at
 * once into one output buffer, so the strings die young (cheap for the garbage collector) and
 * stdout gets a few large writes. Everything written must be ASCII (captured bytes are escaped).
 */
export class StreamWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private first = true;
  private readonly separator: string;

  constructor(head: string, separator: string) {
    this.separator = separator;
    this.append(head);
  }

  put(text: string): void {
    if (!this.first) this.append(this.separator);
    this.first = false;
    this.append(text);
  }

  private append(text: string): void {
    if (this.used + text.length > this.buf.length) {
      this.flush();
      if (text.length > this.buf.length) {
        process.stdout.write(text);
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'latin1');
  }

  /** Hands what is ready to stdout (synchronous for files and pipes on Linux). */
  flush(): void {
    if (this.used === 0) return;
    // The written buffer is handed over, not copied: a fresh one takes its place.
    process.stdout.write(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(1 << 20);
    this.used = 0;
  }
}
