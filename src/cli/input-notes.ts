import type { CaptureError, ExitCode } from '../errors.js';
import type { DecodeStats } from '../pipeline.js';
import { escapeInline } from '../report/escape.js';

/** Prints each input fault as one line on stderr; returns the exit code to use, or null when none. */
export function reportInputErrors(errors: readonly CaptureError[]): ExitCode | null {
  let code: ExitCode | null = null;
  for (const e of errors) {
    process.stderr.write(`proxytrace: ${escapeInline(e.message)}\n`);
    if (code === null || e.exitCode > code) code = e.exitCode;
  }
  return code;
}

/** Lines about packets that were not part of any TCP stream, for the text output. */
export function statsNotes(s: DecodeStats): string {
  const notes: string[] = [];
  if (s.fragments > 0) notes.push(`${s.fragments} IP fragment${s.fragments === 1 ? '' : 's'} (not reassembled)`);
  const bad = Object.entries(s.errors);
  if (bad.length > 0) notes.push(`malformed packets: ${bad.map(([k, n]) => `${k} x${n}`).join(', ')}`);
  if (s.duplicateFrames > 0) notes.push(`${s.duplicateFrames} frame${s.duplicateFrames === 1 ? '' : 's'} captured twice (counted once)`);
  if (s.other > 0) notes.push(`${s.other} non-TCP packet${s.other === 1 ? '' : 's'} ignored`);
  return notes.length > 0 ? `note: ${notes.join('; ')}\n` : '';
}
