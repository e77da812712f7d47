/**
 * One PacketSource (a live capture, or a pcap stream on stdin) as the pipeline's input, until
 * the input ends, a packet count is reached, or stop() is called (Ctrl-C, --duration).
 *
 * Stopping a live source closes the capture and still delivers what was queued. A reader
 * (stdin) cannot be told to stop; it is given `graceMs` to reach its end (in `tcpdump -w - |
 * proxytrace live -r -`, Ctrl-C stops tcpdump too, which flushes and closes the pipe), then
 * abandoned.
 */
import { CaptureError } from '../errors.js';
import type { PacketRecord, PacketSource } from './packet-record.js';

export type StopReason = 'end' | 'count' | 'stopped';

/** Records handed on between two turns of the event loop at most. */
const YIELD_EVERY = 256;

export interface LiveFeedOptions {
  /** Called with each record handed on (the -w writer): valid until the next fill. */
  onPacket?: (rec: PacketRecord) => void;
  /** Called before waiting for more input (flush the -w writer). */
  beforeFill?: () => void;
  /** End after this many records. */
  count?: number;
  /** Stops the source's capture (LiveSource.stop); without it, stop() waits for the input's end. */
  stopSource?: () => void;
  /**
   * While no input comes, fill() still returns this often (ms; default 500), so that the
   * consumer (the pipeline) gets a chunk boundary: its warm-up and output flushing go on.
   */
  heartbeatMs?: number;
}

/**
 * A PacketSource with stopping rules (count, stop(), a reader's grace time), pulled by the
 * consumer (the pipeline's analysis, so sessions come out during the capture); `onPacket` sees
 * each record as it is handed on.
 */
export class LiveFeed implements PacketSource {
  private readonly source: PacketSource;
  private readonly opts: LiveFeedOptions;
  private stopRequested = false;
  private abandoned = false;
  private ended: StopReason | null = null;
  private abandon: (() => void) | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private pending: Promise<void> | null = null;
  private closed = false;
  private sinceFill = 0;
  private yieldNext = false;
  packets = 0;
  /** The input's fault, if any (it is also thrown to the consumer, as the source threw it). */
  error: CaptureError | null = null;

  constructor(source: PacketSource, opts: LiveFeedOptions = {}) {
    this.source = source;
    this.opts = opts;
  }

  get info(): PacketSource['info'] {
    return this.source.info;
  }

  /** Why the feed ended (null while it runs). */
  get reason(): StopReason | null {
    return this.ended;
  }

  /** The live capture stops now; a reader gets graceMs to reach its end. */
  stop(graceMs = 0): void {
    if (this.stopRequested || this.ended) return;
    this.stopRequested = true;
    if (this.opts.stopSource) {
      this.opts.stopSource();
      return;
    }
    const giveUp = (): void => {
      this.abandoned = true;
      this.abandon?.();
    };
    if (graceMs <= 0) giveUp();
    else this.graceTimer = setTimeout(giveUp, graceMs);
  }

  private end(reason: StopReason): null {
    if (!this.ended) this.ended = reason;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    return null;
  }

  nextSync(): PacketRecord | null | 'more' {
    if (this.ended) return null;
    if (this.yieldNext) {
      this.yieldNext = false;
      return 'more';
    }
    if (this.abandoned) return this.end('stopped');
    if (this.packets >= (this.opts.count ?? Infinity)) {
      this.opts.stopSource?.();
      return this.end('count');
    }
    let r: PacketRecord | null | 'more';
    try {
      r = this.source.nextSync();
    } catch (e) {
      if (e instanceof CaptureError) {
        this.error = e;
        this.end(this.stopRequested ? 'stopped' : 'end');
      }
      throw e;
    }
    if (r === null) return this.end(this.stopRequested ? 'stopped' : 'end');
    if (r === 'more') {
      this.sinceFill = 0;
      return 'more';
    }
    // A burst already queued is handed on in slices: between them fill() lets the event loop
    // run, so that cap keeps draining the kernel's buffer while the analysis works.
    if (++this.sinceFill > YIELD_EVERY) {
      this.sinceFill = 0;
      this.yieldNext = true;
    }
    this.packets++;
    this.opts.onPacket?.(r);
    return r;
  }

  async fill(): Promise<void> {
    if (this.ended || this.abandoned) return;
    this.opts.beforeFill?.();
    // A macrotask turn first: I/O callbacks (cap's packets), timers and signals run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.ended || this.abandoned) return;
    // One read at a time on the source: a fill cut short by the heartbeat is awaited again next time.
    if (!this.pending) {
      const p = this.source.fill().finally(() => {
        if (this.pending === p) this.pending = null;
      });
      p.catch(() => {}); // An abandoned read may fail as the stream is destroyed: ignored.
      this.pending = p;
    }
    let timer: NodeJS.Timeout | undefined;
    const beat = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.heartbeatMs ?? 500)));
    const gaveUp = new Promise<void>((resolve) => (this.abandon = resolve));
    try {
      await Promise.race([this.pending, beat, gaveUp]);
    } finally {
      clearTimeout(timer);
      this.abandon = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.end(this.stopRequested ? 'stopped' : 'end');
    this.source.close();
  }
}
