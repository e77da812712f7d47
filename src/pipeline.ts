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
import type { StreamLimits } from './tcp/types.js';
import type { HaproxyConfig } from './correlate/haproxy/config.js';
import type { Leg, ProxyInfo, ServerOnlyConnection, Session } from './correlate/model.js';

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
  /** Command-line index of each source (files that failed to open have none). */
  const indexOf = new Map<PacketSource, number>();
  const errors: CaptureError[] = [];
  for (const [i, file] of opts.files.entries()) {
    try {
      const s = await openCapture(file, i);
      sources.push(s);
      indexOf.set(s, i);
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      errors.push(e);
    }
  }
  const stats: DecodeStats = { packets: 0, tcp: 0, other: 0, fragments: 0, errors: {}, duplicateFrames: 0 };
  const reassembler = new TcpReassembler(opts.handler, opts.limits, { recycleConnections: opts.recycleConnections === true });
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
    const result = await readPackets(sources.filter((s) => !rejected[indexOf.get(s)!]), onPacket, {
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

// ---------------------------------------------------------------- analyze

export interface AnalyzeOptions {
  files: string[];
  /** "ip" or "ip:port": the proxy, instead of detecting it. */
  proxies?: string[];
  haproxyConfig?: HaproxyConfig;
  onChunk?: PipelineOptions['onChunk'];
}

export interface AnalyzeResult {
  pipeline: PipelineResult;
  proxies: ProxyInfo[];
  sessions: Session[];
  serverOnlyConnections: ServerOnlyConnection[];
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  // Loaded here, not at the top: `conns` and `follow` need none of it and start faster without.
  const [{ LegCollector }, { correlate }, { findDrops }, { inferHttpVerdicts }, { inferTcpVerdict }, lookup] = await Promise.all([
    import('./correlate/leg-collector.js'),
    import('./correlate/correlate.js'),
    import('./correlate/drops.js'),
    import('./correlate/haproxy/verdict-http.js'),
    import('./correlate/haproxy/verdict-tcp.js'),
    import('./correlate/haproxy/config-lookup.js'),
  ]);
  const legs: Leg[] = [];
  const pipeline = await runPipeline({
    files: opts.files,
    handler: new LegCollector((leg) => legs.push(leg)),
    recycleConnections: true,
    ...(opts.onChunk ? { onChunk: opts.onChunk } : {}),
  });
  const { proxies, sessions, serverOnlyConnections } = correlate(legs, opts.proxies ? { proxies: opts.proxies } : {});
  const byId = new Map(legs.map((l) => [l.id, l]));
  const cfg = opts.haproxyConfig;
  for (const s of sessions) {
    if (cfg) nameSession(s, cfg, lookup);
    if (s.mode === 'tcp') {
      s.haproxy = inferTcpVerdict(s, byId, cfg);
    } else {
      const verdicts = inferHttpVerdicts(s, byId, cfg);
      s.exchanges.forEach((e, i) => (e.haproxy = verdicts[i] ?? null));
    }
    s.drops = findDrops(s, byId, cfg);
  }
  sessions.sort((a, b) => a.start - b.start || Number(a.id) - Number(b.id));
  return { pipeline, proxies, sessions, serverOnlyConnections };
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
