/**
 * The one module that wires the stages: capture → decode → tcp (→ app → correlate, later).
 * Commands (cli/) and the live mode call this; the stages never call each other sideways.
 */
import { openCapture } from './capture/open-capture.js';
import { readPackets } from './capture/merge.js';
import type { CaptureInfo, PacketRecord, PacketSource } from './capture/packet-record.js';
import { decodeFrame, isSupportedLinkType } from './decode/decode-frame.js';
import { newDecodedPacket } from './decode/decoded-packet.js';
import { CaptureError } from './errors.js';
import { linkTypeName } from './capture/link-types.js';
import { TcpReassembler, type StreamHandler } from './tcp/reassembler.js';
import type { StreamLimits } from './tcp/types.js';

export interface DecodeStats {
  packets: number;
  tcp: number;
  other: number;
  fragments: number;
  /** Malformed packets by stable code. */
  errors: Record<string, number>;
  duplicateFrames: number;
}

export interface PipelineResult {
  captures: CaptureInfo[];
  stats: DecodeStats;
  /** Faults in the inputs (truncated, corrupt, unknown link type); what came before each was processed. */
  errors: CaptureError[];
}

export interface PipelineOptions {
  files: string[];
  handler: StreamHandler;
  limits?: Partial<StreamLimits>;
  /** The handler keeps no connection object after its `close` returns, so they can be reused. */
  recycleConnections?: boolean;
  /** Called after each chunk read, with the sources, for progress display. */
  onChunk?: (captures: readonly CaptureInfo[]) => void;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const sources: PacketSource[] = [];
  const errors: CaptureError[] = [];
  for (const [i, file] of opts.files.entries()) {
    try {
      sources.push(await openCapture(file, i));
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      errors.push(e);
    }
  }
  const stats: DecodeStats = { packets: 0, tcp: 0, other: 0, fragments: 0, errors: {}, duplicateFrames: 0 };
  const reassembler = new TcpReassembler(opts.handler, opts.limits, { recycleConnections: opts.recycleConnections === true });
  const pkt = newDecodedPacket();
  // A source whose link type we cannot decode stops with one error, like a corrupt file.
  const rejected = new Set<number>();
  const checkedLinkTypes = new Set<number>();
  const badLinkType = (rec: PacketRecord): boolean => {
    const key = rec.source * 65536 + rec.linkType;
    if (checkedLinkTypes.has(key)) return false;
    if (isSupportedLinkType(rec.linkType)) {
      checkedLinkTypes.add(key);
      return false;
    }
    if (!rejected.has(rec.source)) {
      rejected.add(rec.source);
      const file = sources[rec.source]?.info.file ?? '?';
      errors.push(new CaptureError(file, rec.fileOffset, `unknown link type ${rec.linkType} (${linkTypeName(rec.linkType)}): proxytrace decodes Ethernet, NULL/LOOP, raw IP and Linux cooked (SLL, SLL2) captures`));
    }
    return true;
  };

  const onPacket = (rec: PacketRecord): void => {
    if (rejected.has(rec.source) || badLinkType(rec)) return;
    stats.packets++;
    decodeFrame(rec.buf, rec.linkType, pkt, rec.start, rec.start + rec.caplen);
    switch (pkt.outcome) {
      case 'tcp':
        stats.tcp++;
        reassembler.push(rec, pkt);
        break;
      case 'other':
        stats.other++;
        break;
      case 'fragment':
        stats.fragments++;
        break;
      case 'error': {
        const code = pkt.error?.code ?? 'malformed';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        break;
      }
    }
  };

  try {
    const infos = sources.map((s) => s.info);
    const onChunk = opts.onChunk;
    const result = await readPackets(sources, onPacket, {
      beforeFill: () => reassembler.beforeBufferReuse(),
      ...(onChunk ? { onChunk: () => onChunk(infos) } : {}),
    });
    errors.push(...result.errors);
  } finally {
    for (const s of sources) s.close();
  }
  reassembler.finish();
  stats.duplicateFrames = reassembler.duplicateFrames;
  return { captures: sources.map((s) => s.info), stats, errors };
}
