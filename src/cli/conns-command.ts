import { EXIT, type ExitCode } from '../errors.js';
import { runPipeline, type DecodeStats } from '../pipeline.js';
import { CONNS_FORMAT_VERSION, captureJson, writeConnectionJson } from '../report/connection-json.js';
import { ConnsTable } from '../report/conns-text.js';
import { Progress } from '../report/progress.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';

export interface ConnsOptions {
  json?: boolean;
  stats?: boolean;
}

/** `--stats`: how fast this run went, on stderr (what `npm run bench` reads). */
function printRunStats(stats: DecodeStats, t0: number): void {
  const seconds = (performance.now() - t0) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stderr.write(
    `proxytrace: ${stats.packets} packets (${stats.tcp} TCP) in ${seconds.toFixed(3)} s: ` +
      `${(stats.packets / seconds / 1e6).toFixed(2)} M packets/s; peak RSS ${rss.toFixed(0)} MB\n`,
  );
}

export async function connsCommand(files: string[], opts: ConnsOptions): Promise<ExitCode> {
  return opts.json === true ? connsJson(files, opts) : connsText(files, opts);
}

/**
 * JSON is streamed: each connection is written as soon as it completes (so in order of
 * completion; ids give the order of first packets), and memory holds only open connections.
 * The document's summary fields (captures, errors, stats) follow the connections.
 */
async function connsJson(files: string[], opts: ConnsOptions): Promise<ExitCode> {
  const t0 = performance.now();
  const out = new StreamWriter(`{"formatVersion":${CONNS_FORMAT_VERSION},"connections":[\n`, ',\n');
  const result = await runPipeline({
    files,
    handler: {
      close: (c) => {
        out.next();
        writeConnectionJson(out, c);
      },
    },
    recycleConnections: true,
    onChunk: () => out.flush(),
  });
  out.flush();
  if (opts.stats) printRunStats(result.stats, t0);
  const tail = {
    captures: result.captures.map(captureJson),
    errors: result.errors.map((e) => e.message),
    stats: result.stats,
  };
  await writeOut(`\n],${JSON.stringify(tail).slice(1)}\n`);
  return reportInputErrors(result.errors) ?? EXIT.ok;
}

async function connsText(files: string[], opts: ConnsOptions): Promise<ExitCode> {
  const table = new ConnsTable();
  const progress = Progress.enabled(false) ? new Progress(process.stderr) : null;
  const t0 = performance.now();
  const result = await runPipeline({
    files,
    handler: { close: (c) => table.add(c) },
    recycleConnections: true,
    ...(progress ? { onChunk: (caps) => progress.update(caps) } : {}),
  });
  progress?.done();
  const text = table.render(result.captures.map(captureJson));
  const notes = statsNotes(result.stats);
  if (opts.stats) printRunStats(result.stats, t0);
  await writeOut(text);
  if (notes) await writeOut(notes);
  return reportInputErrors(result.errors) ?? EXIT.ok;
}
