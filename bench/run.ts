/**
 * `npm run bench`: proxytrace against tshark on the same large capture of real HAProxy traffic,
 * in one run, on this machine. Prints a Markdown table to paste into BENCHMARKS.md.
 *
 *   npm run bench [-- --file PATH] [--runs N] [WORD...]
 *
 * WORDs keep only the rows whose label contains one of them (`npm run bench -- analyze`: the
 * analyze rows, with tshark's as the reference; `tui` for the terminal UI's); none: everything.
 *
 * The capture defaults to captures/bench/bench.pcap (1 M packets, gitignored); when it is
 * missing it is made with captures/bench/make.sh (needs root, haproxy, tcpdump).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const file = path.resolve(arg('--file', path.join(ROOT, 'captures', 'bench', 'bench.pcap')));
const runs = Number(arg('--runs', '5'));
/** Positional words (not an option, not an option's value). */
const words = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--file', '--runs'].includes(all[i - 1] ?? ''));
const wanted = (label: string): boolean => words.length === 0 || words.some((w) => label.includes(w));

if (!fs.existsSync(file)) {
  console.error(`bench: ${path.relative(ROOT, file)} is missing; making it with captures/bench/make.sh (root, haproxy, tcpdump)`);
  const r = spawnSync('bash', [path.join(ROOT, 'captures', 'bench', 'make.sh')], { stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(file)) {
    console.error('bench: could not make the capture; run `sudo bash captures/bench/make.sh` or pass --file');
    process.exit(1);
  }
}

const hasTime = fs.existsSync('/usr/bin/time');

interface Run {
  seconds: number;
  rssMB: number | null;
  /** The command's own `--stats` rate (packets / processing time, start-up excluded), when it has one. */
  innerRate: number | null;
}

/** Runs a command with stdout to /dev/null; wall time and peak RSS (from GNU time when present). */
function measure(cmd: string, args: string[]): Run {
  const full = hasTime ? ['/usr/bin/time', '-f', '%M', cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0]!, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const kb = hasTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  const inner = /in ([\d.]+) s: ([\d.]+) M packets\/s/.exec(r.stderr);
  return { seconds, rssMB: Number.isFinite(kb) ? kb / 1024 : null, innerRate: inner ? Number(inner[2]) : null };
}

function packetsIn(f: string): number {
  const r = spawnSync(process.execPath, [CLI, 'conns', f, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const doc = JSON.parse(r.stdout) as { captures: { packets: number }[] };
  return doc.captures.reduce((n, c) => n + c.packets, 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const packets = packetsIn(file);
const size = fs.statSync(file).size;
const rows: string[] = [];
const row = (what: string, command: string, rs: Run[]): void => {
  const t = median(rs.map((r) => r.seconds));
  const rss = rs.map((r) => r.rssMB).filter((x): x is number => x !== null);
  const inner = rs.map((r) => r.innerRate).filter((x): x is number => x !== null);
  rows.push(
    `| ${what} | \`${command}\` | ${t.toFixed(3)} | ${(packets / t / 1e6).toFixed(2)} | ${inner.length ? median(inner).toFixed(2) : '-'} | ${rss.length ? Math.max(...rss).toFixed(0) : 'n/a'} |`,
  );
  console.error(`bench: ${what}: ${t.toFixed(3)} s`);
};

const rel = path.relative(ROOT, file);
const cases: [string, string[]][] = [
  ['proxytrace conns (table)', ['conns', file, '--stats']],
  ['proxytrace conns --json', ['conns', file, '--json', '--stats']],
];
for (const [what, args] of cases) {
  if (!wanted(what)) continue;
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) rs.push(measure(process.execPath, [CLI, ...args]));
  row(what, `node dist/src/cli/main.js ${args.join(' ').replace(file, rel)}`, rs);
}
// analyze is slower than conns (see BENCHMARKS.md): at most 3 runs each, so the bench stays short.
const analyzeRuns = Math.min(runs, 3);
const analyzeCases: [string, string[]][] = [
  [`proxytrace analyze --json (${analyzeRuns} runs)`, ['analyze', file, '--json', '--stats']],
  [`proxytrace analyze --ndjson (${analyzeRuns} runs)`, ['analyze', file, '--ndjson', '--stats']],
  [`proxytrace analyze --json --low-memory (${analyzeRuns} runs)`, ['analyze', file, '--json', '--low-memory', '--stats']],
];
for (const [what, args] of analyzeCases) {
  if (!wanted(what)) continue;
  const rs: Run[] = [];
  for (let i = 0; i < analyzeRuns; i++) rs.push(measure(process.execPath, [CLI, ...args]));
  row(what, `node dist/src/cli/main.js ${args.join(' ').replace(file, rel)}`, rs);
}
const tshark = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).status === 0;
// tshark is the reference for whatever proxytrace rows ran.
if (!(rows.length > 0 || wanted('tshark'))) {
  // Nothing to compare with.
} else if (tshark) {
  const rs: Run[] = [];
  for (let i = 0; i < Math.min(runs, 2); i++) rs.push(measure('tshark', ['-r', file, '-q', '-z', 'conv,tcp']));
  row('tshark conv,tcp', `tshark -r ${rel} -q -z conv,tcp`, rs);
} else if (wanted('tshark conv,tcp')) {
  rows.push('| tshark conv,tcp | (tshark not installed) | | | | |');
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const out = [
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}.`,
  `Capture: ${rel}, ${packets} packets, ${(size / 1e6).toFixed(1)} MB. Median of ${runs} runs (tshark: ${Math.min(runs, 2)}), output to /dev/null. "Whole process" includes Node's start-up (about 0.09 s) and writing the output; "processing" is the command's own \`--stats\` figure, from opening the files to the last connection. Peak RSS from GNU time.`,
  '',
  '| what | command | seconds (whole process) | M packets/s (whole process) | M packets/s (processing, `--stats`) | peak RSS MB |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
console.log(out);

// The terminal UI: time from a key press to the next frame, on 100 000 synthetic sessions.
// React's production build, as `proxytrace tui` runs it.
if (wanted('tui')) {
  process.env['NODE_ENV'] ??= 'production';
  const { benchKeyToFrame, formatKeyToFrame } = await import('../test/helpers/tui-bench.js');
  console.log(`\n${formatKeyToFrame(await benchKeyToFrame({ sessions: 100_000 }))}`);
}
