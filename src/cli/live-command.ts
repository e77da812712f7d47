import { loadHaproxyConfig } from './haproxy-inputs.js';
/**
 * `proxytrace live`: capture (an interface with libpcap through `cap`, or a pcap stream on stdin
 * with `-r -`) until Ctrl-C, --duration or --count, then analyze what was captured and print the
 * sessions (text, or --ndjson: the same objects as `analyze --json`) and the summary.
 *
 * Data flow today: source → CaptureLoop → PcapFileWriter (the -w file, or a temporary spool);
 * when the capture stops, analyze() reads that file and hands each session, as it completes, to
 * a SessionReporter, the way `analyze` prints. Streaming sessions during the capture is then a
 * change local to `liveCommand`: give the pipeline the LiveSource (runPipeline takes file names
 * today; it reads PacketSources internally) and run analyze() alongside the CaptureLoop instead
 * of after it, keeping the spool writer as a second consumer of each record. The reporters
 * already print one session at a time and keep only counts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureLoop, type CaptureLoopResult } from '../capture/live-loop.js';
import { PcapFileWriter } from '../capture/live-pcap-writer.js';
import { LiveSource } from '../capture/live-source.js';
import { openCapture } from '../capture/open-capture.js';
import { linkTypeName } from '../capture/link-types.js';
import type { PacketRecord, PacketSource } from '../capture/packet-record.js';
import type { ProxyInfo, ServerOnlyConnection, Session } from '../correlate/model.js';
import { isSupportedLinkType } from '../decode/decode-frame.js';
import { EXIT, LiveCaptureError, UsageError, type CaptureError, type ExitCode } from '../errors.js';
import { analyze, type DecodeStats } from '../pipeline.js';
import { sessionJsonText } from '../report/analyze-json.js';
import { serverOnlyText, sessionText, SummaryCounts } from '../report/analyze-text.js';
import { escapeInline } from '../report/escape.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';

export interface LiveCommandOptions {
  interface?: string;
  read?: string;
  filter?: string;
  proxy?: string[];
  haproxyCfg?: string;
  ndjson?: boolean;
  write?: string;
  duration?: string;
  count?: string;
}

export const LIVE_DESCRIPTION =
  'Capture live (libpcap) or from a pcap stream on stdin, then trace the sessions through the proxy like `analyze` when the capture stops (Ctrl-C, --duration, --count).';

export const LIVE_HELP = `
Examples:
  sudo proxytrace live -i lo -f 'host 127.0.0.22' --haproxy-cfg /etc/haproxy/haproxy.cfg
  sudo proxytrace live -i eth0 --proxy 10.0.0.5 --duration 60 -w run.pcap --ndjson
  tcpdump -i lo -U -w - 'tcp port 80' | proxytrace live -r -

Live capture uses the optional module \`cap\` (libpcap). It needs root, or the capabilities:
  sudo setcap cap_net_raw,cap_net_admin=eip $(command -v node)
and a built \`cap\`: install libpcap-dev and run \`npm rebuild cap\`.

Timestamps: cap gives none. Each packet is stamped when it reaches proxytrace, with the
monotonic clock (process.hrtime.bigint()) anchored once to the wall clock (Date.now()) at start:
times never go backwards but trail the kernel's by the event loop's latency (timers are less
exact than from a tcpdump file). cap's snap length is fixed at 65535 bytes: larger frames
(loopback reaches 65549) are kept cut and reported as missing bytes, not as corruption. Packets
our queue had no room for are counted and reported ("dropped"); drops in the kernel are not
visible through cap.

Sessions are analyzed when the capture stops, then printed (text, or --ndjson: one session per
line, the objects of \`analyze --json\`, with the capture summary on stderr). Without -w the
capture is spooled to a temporary file, removed at the end.

Exit codes: 0 ok; 1 internal error; 2 usage; 3 the -r input cannot be opened;
4 the -r input is corrupt or truncated (what came before is still analyzed);
5 live capture could not start (no permission, cap not built, unknown interface, bad filter).`;

/** The end of the run, for the summary. */
export interface LiveSummary {
  proxies: ProxyInfo[];
  serverOnlyConnections: ServerOnlyConnection[];
  stats: DecodeStats;
  /** One line about the capture itself (packets, drops, cuts). */
  captureLine: string;
}

/**
 * Prints sessions one at a time as they complete, then the summary; keeps only counts. Output
 * goes through one buffer (StreamWriter, ASCII only), handed to stdout on flush().
 */
export interface SessionReporter {
  session(s: Session): void;
  flush(): void;
  finish(summary: LiveSummary): Promise<void>;
}

/** Text from a configuration name may hold non-ASCII characters: the writer takes ASCII only. */
const ascii = (t: string): string => (/[^\x00-\x7f]/.test(t) ? t.replace(/[^\x00-\x7f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`) : t);

/** What `analyze` prints, plus a last line about the capture. */
class TextReporter implements SessionReporter {
  private readonly out = new StreamWriter('', '');
  private readonly counts = new SummaryCounts();

  session(s: Session): void {
    this.counts.add(s);
    this.out.put(ascii(sessionText(s)) + '\n');
  }

  flush(): void {
    this.out.flush();
  }

  async finish(r: LiveSummary): Promise<void> {
    this.out.flush();
    let text = '';
    text += serverOnlyText(r.serverOnlyConnections);
    text += this.counts.text(r.proxies, r.serverOnlyConnections);
    text += statsNotes(r.stats);
    text += `capture: ${r.captureLine}\n`;
    await writeOut(text);
  }
}

/** stdout carries exactly what `analyze --ndjson` would; the summary goes to stderr. */
class NdjsonReporter implements SessionReporter {
  private readonly out = new StreamWriter('', '\n');
  private readonly counts = new SummaryCounts();
  private sessions = 0;

  session(s: Session): void {
    this.sessions++;
    this.counts.add(s);
    this.out.put(sessionJsonText(s));
  }

  flush(): void {
    this.out.flush();
  }

  async finish(r: LiveSummary): Promise<void> {
    if (this.sessions > 0) this.out.put('');
    this.out.flush();
    const text = this.counts.text(r.proxies, r.serverOnlyConnections) + statsNotes(r.stats);
    for (const line of text.split('\n')) if (line !== '') process.stderr.write(`proxytrace: ${line}\n`);
    process.stderr.write(`proxytrace: capture: ${r.captureLine}\n`);
  }
}

interface ParsedOptions {
  device: string | null;
  read: string | null;
  filter: string;
  duration: number | null;
  count: number | null;
}

function parseOptions(o: LiveCommandOptions): ParsedOptions {
  if ((o.interface === undefined) === (o.read === undefined)) {
    throw new UsageError('live needs exactly one input: -i INTERFACE (capture) or -r FILE ("-r -" reads a pcap stream on stdin)');
  }
  if (o.read !== undefined && o.filter !== undefined) {
    throw new UsageError('-f applies to live capture (-i); filter a -r stream where it is captured (tcpdump ... FILTER)');
  }
  let duration: number | null = null;
  if (o.duration !== undefined) {
    duration = Number(o.duration);
    if (!/^\s*\d+(\.\d*)?\s*$/.test(o.duration) || !(duration > 0)) throw new UsageError(`--duration takes seconds > 0, not ${JSON.stringify(o.duration)}`);
  }
  let count: number | null = null;
  if (o.count !== undefined) {
    count = Number(o.count);
    if (!/^\s*\d+\s*$/.test(o.count) || !(count > 0)) throw new UsageError(`--count takes a number of packets > 0, not ${JSON.stringify(o.count)}`);
  }
  return { device: o.interface ?? null, read: o.read ?? null, filter: o.filter ?? '', duration, count };
}

/** Where the capture goes: the -w file, or a temporary spool removed at the end. */
class Spool {
  readonly path: string;
  private readonly tmpDir: string | null;
  private writer: PcapFileWriter | null = null;
  /** Records whose link type differs from the file's (pcapng with several interfaces): not written. */
  otherLinkType = 0;

  constructor(writePath: string | undefined) {
    if (writePath !== undefined) {
      this.tmpDir = null;
      this.path = writePath;
      // Fail now, not at the first packet, when the file cannot be created.
      try {
        fs.closeSync(fs.openSync(writePath, 'w'));
      } catch (e) {
        throw new LiveCaptureError(`${writePath}: cannot create the capture file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    } else {
      this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxytrace-live-'));
      this.path = path.join(this.tmpDir, 'capture.pcap');
    }
  }

  begin(linkType: number, snaplen: number): void {
    if (!this.writer) this.writer = new PcapFileWriter(this.path, linkType, snaplen);
  }

  write(rec: PacketRecord): void {
    if (!this.writer) this.begin(rec.linkType, READ_SNAPLEN);
    const w = this.writer!;
    if (rec.linkType !== w.linkType) this.otherLinkType++;
    else w.write(rec);
  }

  flush(): void {
    this.writer?.flush();
  }

  /** Completes the file (a header-only file when nothing came). */
  close(fallbackLinkType: number, snaplen: number): void {
    this.begin(fallbackLinkType, snaplen);
    this.writer!.close();
  }

  /** Removes the temporary spool; a -w file stays. */
  dispose(): void {
    try {
      this.writer?.close();
    } catch {
      // The file is being discarded or was reported already.
    }
    if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

/** Snap length declared in a -w file written from a -r stream (whatever the input's was). */
const READ_SNAPLEN = 262144;
/** After Ctrl-C, how long a -r stream gets to reach its end (its writer flushing and exiting). */
const READ_GRACE_MS = 2000;

export async function liveCommand(o: LiveCommandOptions): Promise<ExitCode> {
  const opts = parseOptions(o);
  const cfg = o.haproxyCfg !== undefined ? loadHaproxyConfig(o.haproxyCfg) : undefined;
  const reporter: SessionReporter = o.ndjson ? new NdjsonReporter() : new TextReporter();

  // Open the input first: its errors (permission, interface, filter, stdin) come before any file is made.
  let source: PacketSource;
  let live: LiveSource | null = null;
  if (opts.device !== null) {
    live = LiveSource.open({ device: opts.device, filter: opts.filter });
    if (!isSupportedLinkType(live.linkType)) {
      live.close();
      throw new LiveCaptureError(`${opts.device} has link type ${live.linkType} (${linkTypeName(live.linkType)}), which proxytrace does not decode: capture on another interface`);
    }
    source = live;
  } else {
    source = await openCapture(opts.read!, 0);
  }

  let spool: Spool;
  try {
    spool = new Spool(o.write);
    // A pcapng stream may declare its interface later: then the file starts at the first packet.
    const declared = source.info.interfaces[0]?.linkType;
    if (live) spool.begin(live.linkType, live.snaplen);
    else if (declared !== undefined) spool.begin(declared, READ_SNAPLEN);
  } catch (e) {
    source.close();
    throw e;
  }

  const t0 = performance.now();
  const loop = new CaptureLoop(source, {
    onPacket: (rec) => spool.write(rec),
    beforeFill: () => spool.flush(),
    ...(opts.count !== null ? { count: opts.count } : {}),
    ...(live ? { stopSource: () => live.stop() } : {}),
  });

  // Ctrl-C / SIGTERM stop the capture and go on to the analysis; another one, during the
  // analysis, ends everything (removing the temporary spool).
  const hardStop = (): void => {
    spool.dispose();
    process.exit(130);
  };
  const onSignal = (): void => {
    setSignalHandler(hardStop);
    loop.stop(live ? 0 : READ_GRACE_MS);
  };
  setSignalHandler(onSignal);
  const timer = opts.duration !== null ? setTimeout(() => loop.stop(live ? 0 : READ_GRACE_MS), opts.duration * 1000) : null;

  const what = live
    ? `capturing on ${opts.device} (${linkTypeName(live.linkType)}, snap length ${live.snaplen})${opts.filter ? ` with filter ${JSON.stringify(opts.filter)}` : ''}`
    : `reading a capture from ${opts.read === '-' ? 'stdin' : opts.read}`;
  const until = [opts.duration !== null ? `after ${opts.duration} s` : null, opts.count !== null ? `after ${opts.count} packets` : null, 'on Ctrl-C'].filter(Boolean).join(', ');
  process.stderr.write(`proxytrace: ${escapeInline(what)}; stops ${until}\n`);

  let result: CaptureLoopResult;
  try {
    result = await loop.run();
    spool.close(source.info.interfaces[0]?.linkType ?? 1, live ? live.snaplen : READ_SNAPLEN);
  } catch (e) {
    setSignalHandler(null);
    spool.dispose();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  setSignalHandler(hardStop);

  try {
    // As `analyze` does (same ledger detail, so --ndjson prints the same objects), on the spool.
    const r = await analyze({
      files: [spool.path],
      ...(o.proxy && o.proxy.length > 0 ? { proxies: o.proxy } : {}),
      ...(cfg ? { haproxyConfig: cfg } : {}),
      onSession: (s) => reporter.session(s),
      onChunk: () => reporter.flush(),
      ledger: 'exchange',
    });
    await reporter.finish({
      proxies: r.proxies,
      serverOnlyConnections: r.serverOnlyConnections,
      stats: r.pipeline.stats,
      captureLine: captureLine(result, seconds, live, spool, o.write),
    });
    const errors: CaptureError[] = [...(result.error ? [result.error] : []), ...r.pipeline.errors];
    return reportInputErrors(errors) ?? EXIT.ok;
  } finally {
    setSignalHandler(null);
    spool.dispose();
  }
}

function captureLine(r: CaptureLoopResult, seconds: number, live: LiveSource | null, spool: Spool, written: string | undefined): string {
  const parts = [`${r.packets} packet${r.packets === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`];
  if (live) {
    const st = live.stats;
    parts.push(`${st.dropped} dropped (queue full${st.dropped > 0 ? `, ${st.droppedBytes} bytes` : ''})`);
    if (st.cut > 0) parts.push(`${st.cut} cut by the snap length ${live.snaplen} (${st.cutBytes} bytes missing)`);
  }
  if (spool.otherLinkType > 0) parts.push(`${spool.otherLinkType} of another link type not kept`);
  const why = r.reason === 'count' ? 'packet count reached' : r.reason === 'end' ? 'end of input' : 'stopped';
  parts.push(why);
  if (written !== undefined) parts.push(`written to ${escapeInline(written)}`);
  return parts.join('; ');
}

let currentSignalHandler: (() => void) | null = null;

/** Replaces our SIGINT/SIGTERM handler (null: back to the default, which ends the process). */
function setSignalHandler(fn: (() => void) | null): void {
  if (currentSignalHandler) {
    process.removeListener('SIGINT', currentSignalHandler);
    process.removeListener('SIGTERM', currentSignalHandler);
  }
  currentSignalHandler = fn;
  if (fn) {
    process.on('SIGINT', fn);
    process.on('SIGTERM', fn);
  }
}
