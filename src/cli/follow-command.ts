import { EXIT, UsageError, type ExitCode } from '../errors.js';
import { runPipeline } from '../pipeline.js';
import { escapeInline } from '../report/escape.js';
import { FollowPrinter, type FollowFormat } from '../report/follow.js';
import type { TcpConnection } from '../tcp/connection.js';
import { reportInputErrors } from './input-notes.js';

export interface FollowOptions {
  conn: string;
  hex?: boolean;
}

/** `--conn` takes a connection id from `conns`, or the client's "ip:port". */
function matcher(spec: string): (c: TcpConnection) => boolean {
  if (/^\d+$/.test(spec)) return (c) => c.id === spec;
  return (c) => c.client === spec || c.server === spec;
}

export async function followCommand(files: string[], opts: FollowOptions): Promise<ExitCode> {
  const format: FollowFormat = opts.hex ? 'hex' : 'ascii';
  const printer = new FollowPrinter(matcher(opts.conn), format, (s) => process.stdout.write(s));
  const result = await runPipeline({ files, handler: printer });
  const inputCode = reportInputErrors(result.errors);
  // After an input fault (cannot open, truncated...), that one line says why; no second one.
  if (printer.conn === null && inputCode === null) {
    const e = new UsageError(`no connection ${escapeInline(opts.conn)} in the capture (it has ${printer.ids}; \`proxytrace conns\` lists them)`);
    process.stderr.write(`proxytrace: ${e.message}\n`);
    return e.exitCode;
  }
  return inputCode ?? EXIT.ok;
}
