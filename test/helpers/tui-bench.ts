/**
 * The TUI's key-to-frame benchmark: the app on N synthetic sessions (ink-testing-library's
 * streams, ink's debug mode: every commit writes a frame), a key written to its stdin, the time
 * until the next frame is written. For bench/run.ts:
 *
 *   const r = await benchKeyToFrame({ sessions: 100_000 });
 *   console.log(formatKeyToFrame(r));
 */
import { SessionStore } from '../../src/tui/session-store.js';
import { syntheticSessions } from './tui-sessions.js';

export interface KeyToFrameCase {
  name: string;
  /** Milliseconds from writing the key to the frame, per press. */
  samples: number[];
  median: number;
  p95: number;
}

export interface KeyToFrameResult {
  sessions: number;
  columns: number;
  rows: number;
  /** Mount to first frame (facts of every session, sort, summary). */
  firstFrameMs: number;
  cases: KeyToFrameCase[];
}

export interface KeyToFrameOptions {
  sessions?: number;
  /** Presses of `j` (cursor down) measured. */
  moves?: number;
  columns?: number;
  rows?: number;
}

function stats(name: string, samples: number[]): KeyToFrameCase {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { name, samples, median: at(0.5), p95: at(0.95) };
}

export async function benchKeyToFrame(opts: KeyToFrameOptions = {}): Promise<KeyToFrameResult> {
  const n = opts.sessions ?? 100_000;
  const size = { columns: opts.columns ?? 120, rows: opts.rows ?? 40 };
  const store = new SessionStore(syntheticSessions(n));

  // React's production build, as `proxytrace tui` runs it (the development build is several
  // times slower); only effective when React is not loaded yet.
  process.env['NODE_ENV'] ??= 'production';
  const [{ createElement }, { render }, { TuiApp }] = await Promise.all([import('react'), import('ink-testing-library'), import('../../src/tui/app.js')]);
  const t0 = performance.now();
  const app = render(createElement(TuiApp, { store, size, title: 'bench' }));
  const firstFrameMs = performance.now() - t0;

  let waiter: (() => void) | null = null;
  const write = app.stdout.write;
  app.stdout.write = (frame: string): void => {
    write(frame);
    const w = waiter;
    waiter = null;
    w?.();
  };
  const press = async (key: string): Promise<number> => {
    const frame = new Promise<void>((resolve) => {
      waiter = resolve;
    });
    const start = performance.now();
    app.stdin.write(key);
    await frame;
    const ms = performance.now() - start;
    // Let ink settle (input parser flush, effects) before the next key.
    await new Promise((r) => setImmediate(r));
    return ms;
  };
  const run = async (name: string, keys: string[]): Promise<KeyToFrameCase> => {
    const samples: number[] = [];
    for (const k of keys) samples.push(await press(k));
    return stats(name, samples);
  };

  try {
    const cases: KeyToFrameCase[] = [];
    cases.push(await run('j (cursor down)', new Array<string>(opts.moves ?? 200).fill('j')));
    cases.push(await run('G / g (last, first row)', ['G', 'g', 'G', 'g']));
    cases.push(await run('PgDn', ['\x1b[6~', '\x1b[6~', '\x1b[6~', '\x1b[6~']));
    cases.push(await run('s (re-sort every session)', ['s', 's', 's', 's']));
    await press('/');
    // Each key re-parses the filter; the last one makes it valid again: the whole list is re-filtered.
    cases.push(await run('filter key, re-filtering everything', ['s', 'e', 'r', 'v', 'e', 'r', ' ', 'w', 'e', 'b', '1']));
    await press('\r');
    cases.push(await run('Enter (open a session)', ['\r']));
    cases.push(await run('Tab (next detail tab)', ['\t', '\t', '\t', '\t']));
    return { sessions: n, columns: size.columns, rows: size.rows, firstFrameMs, cases };
  } finally {
    app.unmount();
  }
}

export function formatKeyToFrame(r: KeyToFrameResult): string {
  const lines = [`tui key-to-frame, ${r.sessions} sessions, ${r.columns}x${r.rows}: first frame ${r.firstFrameMs.toFixed(0)} ms`];
  for (const c of r.cases) lines.push(`  ${c.name.padEnd(40)} median ${c.median.toFixed(2)} ms, p95 ${c.p95.toFixed(2)} ms (${c.samples.length} presses)`);
  return lines.join('\n');
}
