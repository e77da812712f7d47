/**
 * `--clock-offset FILE=OFFSET`: a capture's clock offset given by the user, which wins over the
 * estimate. OFFSET is FILE's clock minus the reference's, in seconds unless a unit follows
 * ("+0.350", "-0.25", "350ms", "-1200us"): the offset an `editcap -t OFFSET` applied to a copy of
 * the reference would have.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface ClockOverride {
  file: string;
  offsetSeconds: number;
}

const OFFSET_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(s|ms|us|µs|ns)?$/;
/** Units per second (dividing keeps "350ms" exactly 0.35). */
const PER_SECOND: Record<string, number> = { s: 1, ms: 1e3, us: 1e6, 'µs': 1e6, ns: 1e9 };

/** Parses "FILE=+0.350" (the last '=' separates: file names may contain one). Throws UsageError. */
export function parseClockOffset(text: string): ClockOverride {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) throw new UsageError(`--clock-offset ${JSON.stringify(text)}: expected FILE=OFFSET, e.g. web1.pcap=+0.350`);
  const file = text.slice(0, eq);
  const value = text.slice(eq + 1).trim();
  const m = OFFSET_RE.exec(value);
  if (!m) throw new UsageError(`--clock-offset ${JSON.stringify(text)}: offset ${JSON.stringify(value)} is not a number of seconds (e.g. +0.350, -0.25, 350ms)`);
  const seconds = Number(m[1]) / PER_SECOND[m[2] ?? 's']!;
  if (!Number.isFinite(seconds)) throw new UsageError(`--clock-offset ${JSON.stringify(text)}: offset out of range`);
  return { file, offsetSeconds: seconds };
}

/**
 * The index among `files` that `name` designates: the same path, else the only file with that
 * path after normalisation, else the only one with that base name. Throws UsageError otherwise.
 */
export function resolveCaptureName(files: readonly string[], name: string, what: string): number {
  const exact = files.indexOf(name);
  if (exact >= 0) return exact;
  const norm = path.normalize(name);
  const byPath = files.flatMap((f, i) => (path.normalize(f) === norm ? [i] : []));
  if (byPath.length === 1) return byPath[0]!;
  const base = path.basename(name);
  const byBase = files.flatMap((f, i) => (path.basename(f) === base ? [i] : []));
  if (byBase.length === 1) return byBase[0]!;
  if (byBase.length > 1) throw new UsageError(`${what} ${JSON.stringify(name)}: several captures are named ${base}; give the path as on the command line`);
  throw new UsageError(`${what} ${JSON.stringify(name)}: no such capture in this run (${files.join(', ')})`);
}
