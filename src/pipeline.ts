/**
 * The one module that wires the stages: capture → decode → tcp (`runPipeline`), and on top of it
 * app → correlate → HAProxy verdicts (`analyze`). Commands (cli/) and the live mode call this;
 * the stages never call each other sideways.
 */
import { openCapture } from './capture/open-capture.js';
import { readPackets } from './capture/merge.js';
import type { CaptureInfo, PacketRecord, PacketSource } from './capture/packet-record.js';
import { decodeFrame, isSupportedLinkType } from './decode/decode-frame.js';
import { newDecodedPacket } from './decode/decoded-packet.js';
import { CaptureError } from './errors.js';
import { linkTypeName } from './capture/link-types.js';
import { TcpReassembler, type StreamHandler } from './tcp/reassembler.js';
import { ConnectionViews } from './tcp/connection-views.js';
import { shiftedSource } from './capture/clock-shift.js';
import type { StreamLimits } from './tcp/types.js';
import type { HaproxyConfig } from './correlate/haproxy/config.js';
import type { Leg, ProxyInfo, ServerOnlyConnection, Session } from './correlate/model.js';
import type { LedgerDetail } from './correlate/ledger.js';
import type { CapturePointSeen } from './correlate/capture-views.js';

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
  /** Capture files to open ("-" for stdin); record source index = position here. */
  files?: string[];
  /**
   * Sources already open (a live capture, a stream wrapped by the caller), read after `files`:
   * the j-th must stamp its records with source index files.length + j. Closed at the end.
   */
  sources?: PacketSource[];
  handler: StreamHandler;
  /**
   * Each file is a capture point (docs/capture-points.md): one reassembler per file, so a segment
   * seen in two files is seen twice, not retransmitted; the views of one connection share its id
   * (`views`). `handlerFor(i)` replaces `handler` for file i. Only for files, not `sources`.
   */
  capturePoints?: CapturePointsOptions;
  limits?: Partial<StreamLimits>;
  /** The handler keeps no connection object after its `close` returns, so they can be reused. */
  recycleConnections?: boolean;
  /** Called after each chunk read, with the sources, for progress display; a promise returned is awaited (output backpressure). */
  onChunk?: (captures: readonly CaptureInfo[]) => void | Promise<void>;
}

export interface CapturePointsOptions {
  handlerFor: (point: number) => StreamHandler;
  views: ConnectionViews;
  /** Per file: its clock − the reference's, seconds, subtracted from its timestamps (null: as it is). */
  clockOffsets?: readonly (number | null)[];
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const sources: PacketSource[] = [];
  /** Command-line index of each source (files that failed to open have none). */
  const indexOf = new Map<PacketSource, number>();
  const errors: CaptureError[] = [];
  const files = opts.files ?? [];
  for (const [i, file] of files.entries()) {
    try {
      const opened = await openCapture(file, i);
      const offset = opts.capturePoints?.clockOffsets?.[i] ?? null;
      const s = offset === null ? opened : shiftedSource(opened, offset);
      sources.push(s);
      indexOf.set(s, i);
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      errors.push(e);
    }
  }
  for (const [j, s] of (opts.sources ?? []).entries()) {
    sources.push(s);
    indexOf.set(s, files.length + j);
  }
  const stats: DecodeStats = { packets: 0, tcp: 0, other: 0, fragments: 0, errors: {}, duplicateFrames: 0 };
  const recycleConnections = opts.recycleConnections === true;
  const cp = opts.capturePoints;
  const reassembler = new TcpReassembler(cp ? cp.handlerFor(0) : opts.handler, opts.limits, cp ? { recycleConnections, views: { registry: cp.views, point: 0 } } : { recycleConnections });
  // One per capture point (index = source); [reassembler] alone otherwise.
  const reassemblers = [reassembler];
  if (cp) {
    for (let i = 1; i < files.length; i++) reassemblers.push(new TcpReassembler(cp.handlerFor(i), opts.limits, { recycleConnections, views: { registry: cp.views, point: i } }));
  }
  const multi = reassemblers.length > 1;
  const pkt = newDecodedPacket();

  // A source whose link type we cannot decode stops with one error, like a corrupt file, naming
  // where the link type is declared (pcap header, pcapng interface block). pcapng declares
  // interfaces as it goes, so the check runs again when a packet has an unknown link type.
  const rejected: boolean[] = [];
  const checkDeclaredLinkTypes = (): void => {
    for (const s of sources) {
      const i = indexOf.get(s)!;
      if (rejected[i]) continue;
      const bad = s.info.interfaces.find((iface) => !isSupportedLinkType(iface.linkType));
      if (!bad) continue;
      rejected[i] = true;

      errors.push(new CaptureError(s.info.file, bad.offset, `unknown link type ${bad.linkType} (${linkTypeName(bad.linkType)}): proxytrace decodes Ethernet, NULL/LOOP, raw IP and Linux cooked (SLL, SLL2) captures`));
    }
  };
  checkDeclaredLinkTypes();

  const onPacket = (rec: PacketRecord): void => {
    if (rejected[rec.source]) return;
    if (!isSupportedLinkType(rec.linkType)) {
      checkDeclaredLinkTypes();
      if (rejected[rec.source]) return;
    }
    stats.packets++;
    decodeFrame(rec.buf, rec.linkType, pkt, rec.start, rec.start + rec.caplen);
    switch (pkt.outcome) {
      case 'tcp':
        stats.tcp++;
        if (multi) {
          const r = reassemblers[rec.source] ?? reassembler;
          r.push(rec, pkt);
          const ts = rec.tsSec + rec.tsNsec / 1e9;
          for (const o of reassemblers) if (o !== r) o.tick(ts);
        } else {
          reassembler.push(rec, pkt);
        }
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
    const result = await readPackets(sources.filter((s) => !rejected[indexOf.get(s)!]), onPacket, {
      beforeFill: multi ? () => { for (const r of reassemblers) r.beforeBufferReuse(); } : () => reassembler.beforeBufferReuse(),
      ...(onChunk ? { onChunk: () => onChunk(infos) } : {}),
    });
    errors.push(...result.errors);
  } finally {
    for (const s of sources) s.close();
  }
  for (const r of reassemblers) r.finish();
  stats.duplicateFrames = reassemblers.reduce((n, r) => n + r.duplicateFrames, 0);
  return { captures: sources.map((s) => s.info), stats, errors };
}

// ---------------------------------------------------------------- analyze

export interface AnalyzeOptions {
  files?: string[];
  /** Open packet sources, read after `files` (PipelineOptions.sources): `live` passes its capture. */
  sources?: PacketSource[];
  /** "ip" or "ip:port": the proxy, instead of detecting it. */
  proxies?: string[];
  haproxyConfig?: HaproxyConfig;
  onChunk?: PipelineOptions['onChunk'];
  /** Return the legs (by leg id) too: their head bytes, chunks and FIN/RST times, for the TUI. */
  keepLegs?: boolean;
  /** With keepLegs: the map to fill as legs complete (before their sessions), e.g. the TUI's store. */
  legs?: Map<string, Leg>;
  /**
   * Wall-clock milliseconds after which the proxy detection ends its warm-up at the next chunk
   * (if it finds a proxy in the legs so far) instead of waiting for warmupLegs: `live` streams
   * sessions within seconds. An input read faster than this is correlated as one batch.
   */
  warmupMs?: number;
  /**
   * Each session as soon as it is complete (verdicts and drops included), in order of
   * completion: then `sessions` of the result stays empty and memory holds only what is in
   * flight (docs/analyze.md, "How it works"). Without it, sessions are returned in start order.
   */
  onSession?: (s: Session) => void;
  /** Ledger entries per delivery chunk ('chunks', the default) or per message part ('exchange'). */
  ledger?: LedgerDetail;
  /** Legs held for proxy detection before sessions stream (default: correlate/stream.ts WARMUP_LEGS). */
  warmupLegs?: number;
  /** The proxies, already known (an earlier analysis): sessions stream from the first leg, no detection. */
  knownProxies?: ProxyInfo[];
  /**
   * Two files or more: each is a capture point (docs/capture-points.md), with its clock offset
   * and the rank of its views (lower preferred). Without it several files are merged as one capture.
   */
  capturePoints?: { clockOffsets: readonly (number | null)[]; rank: readonly number[] };
}

export interface AnalyzeResult {
  pipeline: PipelineResult;
  proxies: ProxyInfo[];
  sessions: Session[];
  serverOnlyConnections: ServerOnlyConnection[];
  /** Every leg by id (Session.id, ServerLegRef.leg), with AnalyzeOptions.keepLegs only. */
  legs?: Map<string, Leg>;
  /** With AnalyzeOptions.capturePoints: what each point saw, by role. */
  pointsSeen?: CapturePointSeen[];
}

/** Head bytes the analysis keeps per leg direction: what pairing compares (COMPARED_HEAD_BYTES). */
const ANALYZE_HEAD_BYTES = 512;
/**
 * A closed connection completes 0.1 s (not 1 s) after its last packet, checked every 0.1 s:
 * memory follows the connections in flight, and most of them had closed and were only waiting
 * (bench.pcap: peak RSS 730 -> 370 MB). Late retransmissions after that start a new connection;
 * `conns` keeps the defaults (its table is compared with tshark's).
 */
export const ANALYZE_STREAM_LIMITS: Partial<StreamLimits> = { closeLinger: 0.1, expiryInterval: 0.1 };
/** Pairing rounds at most every 0.25 s of capture time (StreamOptions.roundStep). */
export const ANALYZE_ROUND_STEP = 0.25;

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  // Loaded here, not at the top: `conns` and `follow` need none of it and start faster without.
  const files = opts.files ?? [];
  const multi = opts.capturePoints !== undefined && files.length > 1 ? opts.capturePoints : null;
  const [{ LegCollector }, { StreamCorrelator }, { findDrops }, { inferHttpVerdicts }, { inferTcpVerdict }, lookup, views] = await Promise.all([
    import('./correlate/leg-collector.js'),
    import('./correlate/stream.js'),
    import('./correlate/drops.js'),
    import('./correlate/haproxy/verdict-http.js'),
    import('./correlate/haproxy/verdict-tcp.js'),
    import('./correlate/haproxy/config-lookup.js'),
    multi ? Promise.all([import('./correlate/capture-views.js'), import('./correlate/point-losses.js')]) : null,
  ]);
  const tally = views && multi ? new views[0].PointTally(files.length) : null;
  const cfg = opts.haproxyConfig;
  const sessions: Session[] = [];
  const deliver = opts.onSession ?? ((s: Session): void => void sessions.push(s));
  const correlator = new StreamCorrelator({
    ...(opts.proxies ? { proxies: opts.proxies } : {}),
    ledger: opts.ledger ?? 'chunks',
    ...(opts.warmupLegs !== undefined ? { warmupLegs: opts.warmupLegs } : {}),
    ...(opts.knownProxies !== undefined ? { knownProxies: opts.knownProxies } : {}),
    roundStep: ANALYZE_ROUND_STEP,
    onSession: (s, byId) => {
      if (cfg) nameSession(s, cfg, lookup);
      // Located first: bytes the proxy host took only at their retransmission move the timers.
      const losses = views ? views[1].recoveredLosses(s, byId, files) : [];
      if (views && losses.length > 0) {
        s.losses = losses;
        views[1].retimeTakenLate(s, byId, losses);
      }
      if (s.mode === 'tcp') {
        s.haproxy = inferTcpVerdict(s, byId, cfg);
      } else {
        const verdicts = inferHttpVerdicts(s, byId, cfg);
        s.exchanges.forEach((e, i) => (e.haproxy = verdicts[i] ?? null));
      }
      s.drops = findDrops(s, byId, cfg);
      if (tally && views) {
        s.drops.push(...views[1].pointLosses(s, byId, files));
        tally.clientLeg(s.id, s.client, s.frontend);
        for (const l of s.serverLegs) tally.serverLeg(l.leg, l.source, l.server);
      }
      deliver(s);
    },
  });
  const kept = opts.keepLegs ? (opts.legs ?? new Map<string, Leg>()) : null;
  const onLeg = (leg: Leg): void => {
    kept?.set(leg.id, leg);
    tally?.leg(leg);
    correlator.add(leg);
  };
  const legLimits = kept ? {} : { headBytes: ANALYZE_HEAD_BYTES };
  let handler: StreamHandler;
  let capturePoints: CapturePointsOptions | undefined;
  if (multi && views) {
    const registry = new ConnectionViews();
    const merger = new views[0].LegViewMerger(registry, multi.rank, onLeg, (c) => correlator.opened(c));
    const collectors = files.map((_, p) => new LegCollector((leg) => merger.leg(p, leg), legLimits, { onOpen: (c) => merger.opened(c) }));
    handler = collectors[0]!;
    capturePoints = { views: registry, handlerFor: (p) => collectors[p]!, clockOffsets: multi.clockOffsets };
  } else {
    handler = new LegCollector(onLeg, legLimits, { onOpen: (c) => correlator.opened(c) });
  }
  const onChunk = opts.onChunk;
  // Wall-clock warm-up: tried at most once a second from the deadline on, until a proxy is found.
  let warmupAt = opts.warmupMs !== undefined ? Date.now() + opts.warmupMs : Infinity;
  const pipeline = await runPipeline({
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.sources ? { sources: opts.sources } : {}),
    handler,
    ...(capturePoints ? { capturePoints } : {}),
    recycleConnections: true,
    limits: ANALYZE_STREAM_LIMITS,
    onChunk: (caps) => {
      if (Date.now() >= warmupAt) warmupAt = correlator.endWarmupNow() ? Infinity : Date.now() + 1000;
      correlator.pump();
      return onChunk?.(caps);
    },
  });
  const { proxies, serverOnlyConnections } = correlator.finish();
  sessions.sort((a, b) => a.start - b.start || Number(a.id) - Number(b.id));
  if (tally) for (const c of serverOnlyConnections) tally.serverLeg(c.leg, c.source, c.server);
  return { pipeline, proxies, sessions, serverOnlyConnections, ...(kept ? { legs: kept } : {}), ...(tally ? { pointsSeen: tally.result() } : {}) };
}

/** Frontend and server names from the configuration, for the report. */
function nameSession(s: Session, cfg: HaproxyConfig, lookup: typeof import('./correlate/haproxy/config-lookup.js')): void {
  const fe = lookup.proxyFor(cfg, s.frontend);
  if (fe) s.frontendName = fe.name;
  for (const leg of s.serverLegs) {
    const ref = lookup.serverByAddress(cfg, leg.server);
    if (ref) leg.name = `${ref.proxy.name}/${ref.server.name}`;
  }
}
