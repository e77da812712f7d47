/**
 * `analyze` stage by stage on one capture: each stage adds one layer of the pipeline to the one
 * before, runs in its own process (so each has its own peak RSS) and is timed from the first
 * read to the last session, in wall-clock and CPU time (user + system, every thread: GC helpers
 * included; steadier than wall-clock on a shared machine). Prints a Markdown table for
 * BENCHMARKS.md.
 *
 *   node dist/bench/analyze-stages.js [--file PATH] [--runs N]   (min times, max RSS of N runs)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runPipeline, analyze, ANALYZE_ROUND_STEP, ANALYZE_STREAM_LIMITS } from '../src/pipeline.js';
import { LegCollector } from '../src/correlate/leg-collector.js';
import { StreamCorrelator } from '../src/correlate/stream.js';
import type { Session } from '../src/correlate/model.js';
import { writeSessionJson } from '../src/report/analyze-json.js';
import { AsciiBuffer } from '../src/report/ascii-buffer.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const STAGES = [
  'reader + decoder + TCP reassembly, connections counted only',
  '+ legs (timelines, ACKs, 512-byte heads) with HTTP parsed into compact messages',
  '+ streaming correlation: proxy detection, pairing rounds, sessions with rewrites and ledger',
  '+ HAProxy verdicts and drops',
  '+ the JSON text of every session (the command without its write)',
];

async function stage(n: number, file: string): Promise<{ packets: number; seconds: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let packets = 0;
  if (n === 0) {
    let conns = 0;
    const r = await runPipeline({ files: [file], handler: { open: () => void conns++ }, recycleConnections: true });
    packets = r.stats.packets;
  } else if (n === 1) {
    const collector = new LegCollector(() => {}, { headBytes: 512 });
    const r = await runPipeline({ files: [file], handler: collector, recycleConnections: true, limits: ANALYZE_STREAM_LIMITS });
    packets = r.stats.packets;
  } else if (n === 2) {
    // What analyze() does, minus the verdicts and drops of each session.
    const correlator = new StreamCorrelator({ ledger: 'exchange', roundStep: ANALYZE_ROUND_STEP, onSession: () => {} });
    const collector = new LegCollector((leg) => correlator.add(leg), { headBytes: 512 }, { onOpen: (c) => correlator.opened(c) });
    const r = await runPipeline({ files: [file], handler: collector, recycleConnections: true, limits: ANALYZE_STREAM_LIMITS, onChunk: () => correlator.pump() });
    correlator.finish();
    packets = r.stats.packets;
  } else {
    let bytes = 0;
    const out = new AsciiBuffer(new Uint8Array(1 << 20));
    const json = (s: Session): void => {
      out.pos = 0;
      writeSessionJson(s, out);
      bytes += out.pos;
    };
    const r = await analyze({ files: [file], ledger: 'exchange', onSession: n === 3 ? () => {} : json });
    packets = r.pipeline.stats.packets;
  }
  const c = process.cpuUsage(c0);
  return { packets, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const child = arg('--stage', '');
if (child !== '') {
  const r = await stage(Number(child), arg('--file', ''));
  process.stdout.write(JSON.stringify({ ...r, rssMB: process.resourceUsage().maxRSS / 1024 }));
} else {
  const file = path.resolve(arg('--file', path.join(ROOT, 'captures', 'bench', 'bench.pcap')));
  const runs = Number(arg('--runs', '3'));
  const rows: string[] = [];
  for (const [i, what] of STAGES.entries()) {
    let best = Infinity;
    let cpu = Infinity;
    let rss = 0;
    let packets = 0;
    for (let k = 0; k < runs; k++) {
      const p = spawnSync(process.execPath, [import.meta.filename, '--stage', String(i), '--file', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (p.status !== 0) throw new Error(`stage ${i} failed: ${p.stderr.slice(-500)}`);
      const r = JSON.parse(p.stdout) as { packets: number; seconds: number; cpu: number; rssMB: number };
      best = Math.min(best, r.seconds);
      cpu = Math.min(cpu, r.cpu);
      rss = Math.max(rss, r.rssMB);
      packets = r.packets;
    }
    rows.push(`| ${what} | ${best.toFixed(2)} | ${cpu.toFixed(2)} | ${(packets / best / 1e6).toFixed(2)} | ${rss.toFixed(0)} |`);
    console.error(`stages: ${i}: ${best.toFixed(2)} s`);
  }
  console.log(['| stage | seconds | CPU seconds | M packets/s | peak RSS MB |', '| --- | ---: | ---: | ---: | ---: |', ...rows].join('\n'));
}
