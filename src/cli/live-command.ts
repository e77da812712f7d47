import { loadHaproxyConfig } from './haproxy-inputs.js';
/**
 * `proxytrace live`: capture (an interface with libpcap through `cap`, or a pcap stream on stdin
 * with `-r -`) until Ctrl-C, --duration or --count, printing each session (text, or --ndjson: the
 * same objects as `analyze --json`) as it completes, then the summary; or, with --tui, showing
 * the sessions in the terminal UI as they arrive.
 *
 * Data flow: source → LiveFeed (stopping rules; the -w PcapFileWriter as a second consumer of
 * each record) → analyze() → onSession → a SessionReporter (or the TUI's SessionStore). The
 * reporters print one session at a time and keep only counts.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { LiveFeed } from '../capture/live-loop.js';
import { PcapFileWriter } from '../capture/live-pcap-writer.js';
import { DEFAULT_KERNEL_BUFFER_MIB, LiveSource } from '../capture/live-source.js';
import { openCapture } from '../capture/open-capture.js';
import { linkTypeName } from '../capture/link-types.js';
import type { PacketRecord, PacketSource } from '../capture/packet-record.js';
import type { ProxyInfo, ServerOnlyConnection, Session } from '../correlate/model.js';
import { isSupportedLinkType } from '../decode/decode-frame.js';
import { EXIT, LiveCaptureError, UsageError, type ExitCode } from '../errors.js';
import { analyze, type DecodeStats } from '../pipeline.js';
import { sessionJsonText } from '../report/analyze-json.js';
import { serverOnlyText, sessionText, SummaryCounts } from '../report/analyze-text.js';
import { escapeInline } from '../report/escape.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';
import { reportError } from './run-action.js';
import type { SessionStore } from '../tui/session-store.js';

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
  bufferSize?: string;
  tui?: boolean;
}



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

  /** printSessions false (--tui): the sessions are on the screen; only the summary is printed. */
  constructor(private readonly printSessions = true) {}

  session(s: Session): void {
    this.counts.add(s);
    if (this.printSessions) this.out.put(ascii(sessionText(s)) + '\n');
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
  private readonly out = new StreamWriter('', '');
  private readonly counts = new SummaryCounts();

  session(s: Session): void {
    this.counts.add(s);
    // Each line complete as it is printed: a reader of the stream gets it at once.
    this.out.put(sessionJsonText(s) + '\n');
  }

  flush(): void {
    this.out.flush();
  }

  async finish(r: LiveSummary): Promise<void> {
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
  /** libpcap kernel buffer for -i, MiB. */
  bufferMiB: number;
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
  let bufferMiB = DEFAULT_KERNEL_BUFFER_MIB;
  if (o.bufferSize !== undefined) {
    bufferMiB = Number(o.bufferSize);
    if (!/^\s*\d+\s*$/.test(o.bufferSize) || !(bufferMiB >= 1 && bufferMiB <= 4096)) throw new UsageError(`--buffer-size takes MiB from 1 to 4096, not ${JSON.stringify(o.bufferSize)}`);
    if (o.read !== undefined) throw new UsageError('--buffer-size applies to live capture (-i); a -r stream is buffered where it is captured (tcpdump -B)');
  }
  return { device: o.interface ?? null, read: o.read ?? null, filter: o.filter ?? '', duration, count, bufferMiB };
}

/** The -w file: each packet the analysis reads is written on the way. */
class Spool {
  readonly path: string;
  private writer: PcapFileWriter | null = null;
  /** Records whose link type differs from the file's (pcapng with several interfaces): not written. */
  otherLinkType = 0;

  constructor(writePath: string) {
    this.path = writePath;
    // Fail now, not at the first packet, when the file cannot be created.
    try {
      fs.closeSync(fs.openSync(writePath, 'w'));
    } catch (e) {
      throw new LiveCaptureError(`${writePath}: cannot create the capture file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
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

  /** Closes the file if still open (an error on the way out): what was written stays. */
  dispose(): void {
    try {
      this.writer?.close();
    } catch {
      // Reported already, or the process is ending.
    }
  }
}

/** Snap length declared in a -w file written from a -r stream (whatever the input's was). */
const READ_SNAPLEN = 262144;
/** After Ctrl-C, how long a -r stream gets to reach its end (its writer flushing and exiting). */
const READ_GRACE_MS = 2000;

export async function liveCommand(o: LiveCommandOptions): Promise<ExitCode> {
  const opts = parseOptions(o);
  const cfg = o.haproxyCfg !== undefined ? loadHaproxyConfig(o.haproxyCfg) : undefined;
  const tui = o.tui === true;
  let keys: tty.ReadStream | null = null;
  if (tui) {
    if (o.ndjson) throw new UsageError('--tui and --ndjson do not go together: the TUI shows the sessions');
    keys = tuiKeyboard();
  }
  const reporter: SessionReporter = o.ndjson ? new NdjsonReporter() : new TextReporter(!tui);

  // Open the input first: its errors (permission, interface, filter, stdin) come before any file is made.
  let source: PacketSource;
  let live: LiveSource | null = null;
  try {
    if (opts.device !== null) {
      live = LiveSource.open({ device: opts.device, filter: opts.filter, kernelBuffer: opts.bufferMiB * 1024 * 1024 });
      if (!isSupportedLinkType(live.linkType)) {
        live.close();
        throw new LiveCaptureError(`${opts.device} has link type ${live.linkType} (${linkTypeName(live.linkType)}), which proxytrace does not decode: capture on another interface`);
      }
      source = live;
    } else {
      source = await openCapture(opts.read!, 0);
    }
  } catch (e) {
    keys?.destroy();
    throw e;
  }

  let spool: Spool | null = null;
  try {
    if (o.write !== undefined) {
      spool = new Spool(o.write);
      // A pcapng stream may declare its interface later: then the file starts at the first packet.
      const declared = source.info.interfaces[0]?.linkType;
      if (live) spool.begin(live.linkType, live.snaplen);
      else if (declared !== undefined) spool.begin(declared, READ_SNAPLEN);
    }
  } catch (e) {
    source.close();
    keys?.destroy();
    throw e;
  }

  const t0 = performance.now();
  // The analysis pulls from the capture as it comes; the -w file gets each packet on the way.
  const feed = new LiveFeed(source, {
    ...(spool ? { onPacket: (rec: PacketRecord) => spool.write(rec), beforeFill: () => spool.flush() } : {}),
    ...(opts.count !== null ? { count: opts.count } : {}),
    ...(live ? { stopSource: () => live.stop() } : {}),
  });
  const stopCapture = (): void => feed.stop(live ? 0 : READ_GRACE_MS);

  // Ctrl-C / SIGTERM stop the capture; the sessions still in flight are reported, then the
  // summary. Another one, while that is done, ends everything at once. (In the TUI, Ctrl-C is a
  // key: q or Ctrl-C quits the TUI, which stops the capture.)
  const hardStop = (): void => {
    spool?.dispose();
    process.exit(130);
  };
  const onSignal = (): void => {
    setSignalHandler(hardStop);
    stopCapture();
  };
  if (!tui) setSignalHandler(onSignal);
  const timer = opts.duration !== null ? setTimeout(stopCapture, opts.duration * 1000) : null;

  const what = live
    ? `capturing on ${opts.device} (${linkTypeName(live.linkType)}, snap length ${live.snaplen})${opts.filter ? ` with filter ${JSON.stringify(opts.filter)}` : ''}`
    : `reading a capture from ${opts.read === '-' ? 'stdin' : opts.read}`;
  const until = [opts.duration !== null ? `after ${opts.duration} s` : null, opts.count !== null ? `after ${opts.count} packets` : null, tui ? 'when the TUI quits' : 'on Ctrl-C'].filter(Boolean).join(', ');
  process.stderr.write(`proxytrace: ${escapeInline(what)}; stops ${until}\n`);

  // --tui: the sessions go into the TUI's store, a chunk at a time; quitting it stops the capture.
  let store: SessionStore | null = null;
  let tuiDone: Promise<void> | null = null;
  let batch: Session[] = [];
  if (tui) {
    const ui = await startTui(keys!, escapeInline(what));
    store = ui.store;
    tuiDone = ui.run().finally(stopCapture);
  }
  const pushBatch = (): void => {
    if (store && batch.length > 0) {
      store.push(batch);
      batch = [];
    }
  };

  try {
    // As `analyze` does (same ledger detail, so --ndjson prints the same objects), on the capture
    // itself: each session is printed as it completes, during the capture.
    const r = await analyze({
      sources: [feed],
      ...(o.proxy && o.proxy.length > 0 ? { proxies: o.proxy } : {}),
      ...(cfg ? { haproxyConfig: cfg } : {}),
      ...(store ? { keepLegs: true, legs: store.legs } : {}),
      onSession: (s) => {
        reporter.session(s);
        if (store) batch.push(s);
      },
      onChunk: () => {
        reporter.flush();
        pushBatch();
      },
      ledger: 'exchange',
      warmupMs: LIVE_WARMUP_MS,
    });
    if (timer) clearTimeout(timer);
    spool?.close(source.info.interfaces[0]?.linkType ?? 1, live ? live.snaplen : READ_SNAPLEN);
    const seconds = (performance.now() - t0) / 1000;
    const line = captureLine(feed, seconds, live, spool, o.write);
    if (store && tuiDone) {
      pushBatch();
      const faults = r.pipeline.errors.length;
      store.setNotice(escapeInline(`capture ended: ${line}${faults > 0 ? `; ${faults} input fault(s): printed on exit` : ''}`));
      await tuiDone;
    }
    await reporter.finish({
      proxies: r.proxies,
      serverOnlyConnections: r.serverOnlyConnections,
      stats: r.pipeline.stats,
      captureLine: line,
    });
    return reportInputErrors(r.pipeline.errors) ?? EXIT.ok;
  } finally {
    if (timer) clearTimeout(timer);
    setSignalHandler(null);
    spool?.dispose();
    if (keys !== process.stdin) keys?.destroy();
  }
}

/** Wall-clock seconds of capture after which the proxy is detected and sessions start streaming. */
const LIVE_WARMUP_MS = 1000;

/** The TUI's keyboard: the terminal on stdin, or /dev/tty when stdin carries the capture (-r -). */
function tuiKeyboard(): tty.ReadStream {
  if (!process.stdout.isTTY) throw new UsageError('--tui needs a terminal on stdout');
  if (process.stdin.isTTY) return process.stdin;
  try {
    return new tty.ReadStream(fs.openSync('/dev/tty', 'r'));
  } catch (e) {
    throw new UsageError(`--tui needs a terminal for the keyboard: stdin is not one and /dev/tty cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function startTui(keys: tty.ReadStream, title: string): Promise<{ store: SessionStore; run: () => Promise<void> }> {
  // As `proxytrace tui` (tui-command.ts): interactive wherever it runs, React's production build.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  process.env['NODE_ENV'] ??= 'production';
  const [{ runTui }, { SessionStore }] = await Promise.all([import('../tui/run-tui.js'), import('../tui/session-store.js')]);
  const store = new SessionStore();
  store.setNotice(`live: ${title}`);
  return { store, run: () => runTui(store, { title: `live: ${title}`, input: keys, onCrash: (e) => reportError(e) }) };
}

function captureLine(r: LiveFeed, seconds: number, live: LiveSource | null, spool: Spool | null, written: string | undefined): string {
  const parts = [`${r.packets} packet${r.packets === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`];
  if (live) {
    const st = live.stats;
    parts.push(`${st.dropped} dropped (queue full${st.dropped > 0 ? `, ${st.droppedBytes} bytes` : ''})`);
    if (st.cut > 0) parts.push(`${st.cut} cut by the snap length ${live.snaplen} (${st.cutBytes} bytes missing)`);
  }
  if (spool && spool.otherLinkType > 0) parts.push(`${spool.otherLinkType} of another link type not kept`);
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
