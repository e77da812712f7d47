/**
 * Pulls records from one PacketSource (a live capture, or a pcap stream on stdin) and hands
 * each to a consumer until the input ends, a packet count is reached, or stop() is called
 * (Ctrl-C, --duration). Like merge.ts's readPackets for one source, plus stopping from outside.
 *
 * Stopping a live source closes the capture and still delivers what was queued. A reader
 * (stdin) cannot be told to stop; it is given `graceMs` to reach its end (in `tcpdump -w - |
 * proxytrace live -r -`, Ctrl-C stops tcpdump too, which flushes and closes the pipe), then
 * abandoned.
 */
import { CaptureError } from '../errors.js';
import type { PacketRecord, PacketSource } from './packet-record.js';

export interface CaptureLoopOptions {
  /** Called with each record (valid until the next fill: copy what you keep). */
  onPacket: (rec: PacketRecord) => void;
  /** Called before waiting for more input: records handed out so far become invalid. */
  beforeFill?: () => void;
  /** Stop after this many records. */
  count?: number;
  /** Stops the source's capture (LiveSource.stop); without it, stop() waits for the input's end. */
  stopSource?: () => void;
}

export type StopReason = 'end' | 'count' | 'stopped';

export interface CaptureLoopResult {
  packets: number;
  reason: StopReason;
  /** The input's fault (corrupt or truncated stream); what came before it was delivered. */
  error: CaptureError | null;
}

export class CaptureLoop {
  private readonly source: PacketSource;
  private readonly opts: CaptureLoopOptions;
  private stopRequested = false;
  private abandon: (() => void) | null = null;
  private abandoned = false;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(source: PacketSource, opts: CaptureLoopOptions) {
    this.source = source;
    this.opts = opts;
  }

  /** Asks the loop to end: the live capture stops now; a reader gets graceMs to reach its end. */
  stop(graceMs = 0): void {
    if (this.stopRequested) return;
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

  async run(): Promise<CaptureLoopResult> {
    const { onPacket, beforeFill, count } = this.opts;
    const limit = count ?? Infinity;
    const s = this.source;
    let packets = 0;
    const end = (reason: StopReason, error: CaptureError | null = null): CaptureLoopResult => {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      s.close();
      return { packets, reason, error };
    };
    if (limit <= 0) return end('count');
    try {
      for (;;) {
        const r = s.nextSync();
        if (r === null) return end(this.stopRequested ? 'stopped' : 'end');
        if (r === 'more') {
          if (this.abandoned) return end('stopped');
          beforeFill?.();
          const filled = s.fill();
          // A reader cannot be interrupted: race its fill against the end of the grace time.
          // The abandoned fill may still settle (or fail, as the stream is destroyed): ignored.
          filled.catch(() => {});
          const gaveUp = new Promise<void>((resolve) => (this.abandon = resolve));
          await Promise.race([filled, gaveUp]);
          this.abandon = null;
          if (this.abandoned) return end('stopped');
          continue;
        }
        onPacket(r);
        if (++packets >= limit) {
          this.opts.stopSource?.();
          return end('count');
        }
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      return end(this.stopRequested ? 'stopped' : 'end', e);
    }
  }
}
