import { EXIT, type ExitCode } from '../errors.js';
import { runPipeline, type CapturePointsOptions, type DecodeStats } from '../pipeline.js';
import { CONNS_FORMAT_VERSION, captureJson, connectionJson, writeConnectionJson } from '../report/connection-json.js';
import { PointsConnsTable, connectionRow } from '../report/conns-points-text.js';
import { capturePointsJson, capturePointsText, type CapturePointPlan } from '../multipoint.js';
import { asciiJson } from '../report/analyze-json.js';
import { escapeInline } from '../report/escape.js';
import { ConnectionViews } from '../tcp/connection-views.js';
import type { TcpConnection } from '../tcp/connection.js';
import { prepareCapturePoints } from './capture-points.js';
import { ConnsTable } from '../report/conns-text.js';
import { Progress } from '../report/progress.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';

export interface ConnsOptions {
  json?: boolean;
  stats?: boolean;
  clockOffset?: string[];
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
  const plan = await prepareCapturePoints(files, opts.clockOffset);
  return opts.json === true ? connsJson(files, opts, plan) : connsText(files, opts, plan);
}

/**
 * Several capture points: each point's view of a connection is turned into `T` as it completes,
 * and `emit` gets the preferred one (lowest rank) with every point that saw it, once the last
 * view has completed: a connection is listed once.
 */
function capturePoints<T>(plan: CapturePointPlan, make: (c: TcpConnection) => T, emit: (seq: number, best: T, seenIn: number[]) => void): CapturePointsOptions {
  const views = new ConnectionViews();
  const pending = new Map<number, { point: number; value: T }[]>();
  const handlerFor = (point: number) => ({
    close: (c: TcpConnection): void => {
      const list = pending.get(c.seq) ?? [];
      list.push({ point, value: make(c) });
      if (views.openViews(c.seq) > 0) {
        if (list.length === 1) pending.set(c.seq, list);
        return;
      }
      pending.delete(c.seq);
      list.sort((a, b) => (plan.rank[a.point] ?? a.point) - (plan.rank[b.point] ?? b.point));
      emit(c.seq, list[0]!.value, list.map((v) => v.point).sort((a, b) => a - b));
    },
  });
  return { views, handlerFor, clockOffsets: plan.offsets };
}

/**
 * JSON is streamed: each connection is written as soon as it completes (so in order of
 * completion; ids give the order of first packets), and memory holds only open connections.
 * The document's summary fields (captures, errors, stats) follow the connections.
 */
async function connsJson(files: string[], opts: ConnsOptions, plan: CapturePointPlan | null): Promise<ExitCode> {
  const t0 = performance.now();
  const out = new StreamWriter(`{"formatVersion":${CONNS_FORMAT_VERSION},"connections":[\n`, ',\n');
  const points = plan
    ? capturePoints(plan, connectionJson, (_, c, seenIn) => out.put(JSON.stringify({ ...c, captures: seenIn })))
    : null;
  const result = await runPipeline({
    files,
    handler: {
      close: (c) => {
        out.next();
        writeConnectionJson(out, c);
      },
    },
    ...(points ? { capturePoints: points } : {}),
    recycleConnections: true,
    onChunk: () => out.flushed(),
  });
  out.flush();
  if (opts.stats) printRunStats(result.stats, t0);
  const tail = {
    captures: result.captures.map(captureJson),
    ...(plan ? { capturePoints: capturePointsJson(plan) } : {}),
    errors: result.errors.map((e) => e.message),
    stats: result.stats,
  };
  await writeOut(`\n],${asciiJson(JSON.stringify(tail)).slice(1)}\n`);
  return reportInputErrors(result.errors) ?? EXIT.ok;
}

async function connsText(files: string[], opts: ConnsOptions, plan: CapturePointPlan | null): Promise<ExitCode> {
  // One file: the byte-built table; capture points: string rows with SEEN IN, one per connection.
  const table = plan ? null : new ConnsTable();
  const pointsTable = plan ? new PointsConnsTable() : null;
  const points = plan ? capturePoints(plan, connectionRow, (seq, cells, seenIn) => pointsTable!.addRow(seq, cells, seenIn)) : null;
  const progress = Progress.enabled(false) ? new Progress(process.stderr) : null;
  const t0 = performance.now();
  const result = await runPipeline({
    files,
    handler: { close: (c) => table?.add(c) },
    ...(points ? { capturePoints: points } : {}),
    recycleConnections: true,
    ...(progress ? { onChunk: (caps) => progress.update(caps) } : {}),
  });
  progress?.done();
  const captures = result.captures.map(captureJson);
  const text = table ? table.render(captures) : pointsTable!.render(captures) + capturePointsText(plan!, undefined, escapeInline);
  const notes = statsNotes(result.stats);
  if (opts.stats) printRunStats(result.stats, t0);
  await writeOut(text);
  if (notes) await writeOut(notes);
  return reportInputErrors(result.errors) ?? EXIT.ok;
}
