/**
 * Every command runs through here: a ProxytraceError becomes one line on stderr and its exit
 * code; anything else is a bug, reported in one line too (the stack only with PROXYTRACE_DEBUG=1).
 */
import { EXIT, ProxytraceError, type ExitCode } from '../errors.js';
import { escapeInline } from '../report/escape.js';

export function reportError(e: unknown): ExitCode {
  if (e instanceof ProxytraceError) {
    process.stderr.write(`proxytrace: ${escapeInline(e.message)}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`proxytrace: internal error: ${escapeInline(msg)} (this is a bug; PROXYTRACE_DEBUG=1 shows the stack)\n`);
  if (process.env['PROXYTRACE_DEBUG'] === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return EXIT.internal;
}

/** Wraps a command's action: sets the exit code from what it returns or throws. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}
