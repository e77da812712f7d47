import { EXIT, type ExitCode } from '../errors.js';
import { runPipeline } from '../pipeline.js';
import { CONNS_FORMAT_VERSION, captureJson, connectionJsonLine } from '../report/connection-json.js';
import { connectionRow, renderConnsText } from '../report/conns-text.js';
import { Progress } from '../report/progress.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';

export interface ConnsOptions {
  json?: boolean;
}

export async function connsCommand(files: string[], opts: ConnsOptions): Promise<ExitCode> {
  return opts.json === true ? connsJson(files) : connsText(files);
}

/**
 * JSON is streamed: each connection is written as soon as it completes (so in order of
 * completion; ids give the order of first packets), and memory holds only open connections.
 * The document's summary fields (captures, errors, stats) follow the connections.
 */
async function connsJson(files: string[]): Promise<ExitCode> {
  const out = new StreamWriter(`{"formatVersion":${CONNS_FORMAT_VERSION},"connections":[\n`, ',\n');
  const result = await runPipeline({
    files,
    handler: { close: (c) => out.put(connectionJsonLine(c)) },
    recycleConnections: true,
    onChunk: () => out.flush(),
  });
  out.flush();
  const tail = {
    captures: result.captures.map(captureJson),
    errors: result.errors.map((e) => e.message),
    stats: result.stats,
  };
  await writeOut(`\n],${JSON.stringify(tail).slice(1)}\n`);
  return reportInputErrors(result.errors) ?? EXIT.ok;
}

async function connsText(files: string[]): Promise<ExitCode> {
  const rows: string[][] = [];
  const progress = Progress.enabled(false) ? new Progress(process.stderr) : null;
  const result = await runPipeline({
    files,
    handler: { close: (c) => void (rows[Number(c.id) - 1] = connectionRow(c)) },
    recycleConnections: true,
    ...(progress ? { onChunk: (caps) => progress.update(caps) } : {}),
  });
  progress?.done();
  await writeOut(renderConnsText(rows.filter(Boolean), result.captures.map(captureJson)) + statsNotes(result.stats));
  return reportInputErrors(result.errors) ?? EXIT.ok;
}
