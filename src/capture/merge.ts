/**
 * Pulls records from one or several sources. Several are merged by timestamp (ties: the earlier
 * source), holding only each source's current record. A source that fails is dropped and its
 * error collected; the others are still read to the end, so the user gets everything readable
 * and then the faults.
 */
import { CaptureError } from '../errors.js';
import type { PacketRecord, PacketSource } from './packet-record.js';

export interface ReadOptions {
  /**
   * Called after each chunk is read (progress display, output flush). A promise returned is
   * awaited before the next chunk: output backpressure (stdout a pipe to a slower reader).
   */
  onChunk?: () => void | Promise<void>;
  /** Called before a source reads its next chunk: records handed out so far become invalid. */
  beforeFill?: () => void;
}

export interface ReadResult {
  /** One per failed source, in the order the faults were met. */
  errors: CaptureError[];
}

export async function readPackets(
  sources: PacketSource[],
  onPacket: (rec: PacketRecord) => void,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const errors: CaptureError[] = [];
  try {
    const only = sources.length === 1 ? sources[0] : undefined;
    if (only) await readOne(only, onPacket, opts, errors);
    else if (sources.length > 1) await readMerged(sources, onPacket, opts, errors);
  } finally {
    for (const s of sources) s.close();
  }
  return { errors };
}

/** A CaptureError ends its source; anything else is a bug and propagates. */
function fault(e: unknown, s: PacketSource, errors: CaptureError[]): void {
  if (!(e instanceof CaptureError)) throw e;
  errors.push(e);
  s.close();
}

async function readOne(
  s: PacketSource,
  onPacket: (rec: PacketRecord) => void,
  opts: ReadOptions,
  errors: CaptureError[],
): Promise<void> {
  for (;;) {
    let r: PacketRecord | null | 'more';
    try {
      r = s.nextSync();
      if (r === 'more') {
        opts.beforeFill?.();
        await s.fill();
        await opts.onChunk?.();
        continue;
      }
    } catch (e) {
      return fault(e, s, errors);
    }
    if (r === null) return;
    onPacket(r);
  }
}

/** The next record of a source, filling as needed; null at its end or on its fault. */
async function pull(s: PacketSource, opts: ReadOptions, errors: CaptureError[]): Promise<PacketRecord | null> {
  try {
    for (;;) {
      const r = s.nextSync();
      if (r !== 'more') return r;
      opts.beforeFill?.();
      await s.fill();
      await opts.onChunk?.();
    }
  } catch (e) {
    fault(e, s, errors);
    return null;
  }
}

async function readMerged(
  sources: PacketSource[],
  onPacket: (rec: PacketRecord) => void,
  opts: ReadOptions,
  errors: CaptureError[],
): Promise<void> {
  // heads[i] is source i's current record (a reused object, valid until its next pull).
  const heads: (PacketRecord | null)[] = [];
  for (const s of sources) heads.push(await pull(s, opts, errors));
  const n = sources.length;
  for (;;) {
    // Linear scan: the number of files is small, and strict '<' keeps ties in source order.
    let best = -1;
    let bs = 0;
    let bn = 0;
    for (let i = 0; i < n; i++) {
      const h = heads[i];
      if (!h) continue;
      if (best < 0 || h.tsSec < bs || (h.tsSec === bs && h.tsNsec < bn)) {
        best = i;
        bs = h.tsSec;
        bn = h.tsNsec;
      }
    }
    if (best < 0) return;
    const s = sources[best]!;
    onPacket(heads[best]!);
    // Fast path: the record is buffered, no await.
    let r: PacketRecord | null | 'more';
    try {
      r = s.nextSync();
    } catch (e) {
      fault(e, s, errors);
      r = null;
    }
    heads[best] = r === 'more' ? await pull(s, opts, errors) : r;
  }
}
