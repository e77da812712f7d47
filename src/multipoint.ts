/**
 * Several capture files as capture points (docs/capture-points.md): a first pass over each file
 * collects its packet sightings (clock/sightings.ts), the estimator gives each file's clock offset
 * from the reference (clock/estimate.ts, `--clock-offset` winning), and the analysis then runs
 * with those offsets applied and each file reassembled on its own (pipeline.ts).
 *
 * Wiring, like pipeline.ts: it calls the pipeline and the clock stage, which never call it.
 */
import { estimateOffsets, type ClockEstimate, type PointOffset } from './clock/estimate.js';
import { resolveCaptureName, type ClockOverride } from './clock/override.js';
import { SightingCollector, type CapturePointPackets } from './clock/sightings.js';
import type { CapturePointSeen } from './correlate/capture-views.js';
import { runPipeline } from './pipeline.js';

export async function collectCapturePoint(file: string, options: { maxSightings?: number } = {}): Promise<CapturePointPackets> {
  const collector = new SightingCollector(options);
  const r = await runPipeline({ files: [file], handler: collector, recycleConnections: true });
  return collector.result(file, r.errors.map((e) => e.message));
}

/** One capture point per file, in the order given (files are read one after the other). */
export async function collectCapturePoints(files: readonly string[], options: { maxSightings?: number } = {}): Promise<CapturePointPackets[]> {
  const out: CapturePointPackets[] = [];
  for (const f of files) out.push(await collectCapturePoint(f, options));
  return out;
}

export interface CapturePointPlan {
  files: string[];
  reference: number;
  /** Per file: the offset applied (its clock − the reference's, seconds), null when none is known. */
  offsets: (number | null)[];
  /** Per file: the rank of its views of a connection (0 preferred): the reference, then by files shared with. */
  rank: number[];
  /** Per file, what the estimate says (null with stdin: no first pass). */
  points: (PointOffset | null)[];
  /** The estimator's result, null with stdin. */
  estimate: ClockEstimate | null;
  /** One line each, for stderr. */
  warnings: string[];
}

/** Offsets and ranks for the files (two or more), from a first pass over them. */
export async function planCapturePoints(files: readonly string[], overrides: readonly ClockOverride[] = []): Promise<CapturePointPlan> {
  const stdin = files.indexOf('-');
  if (stdin >= 0) return stdinPlan(files, stdin, overrides);
  const points = await collectCapturePoints(files);
  const estimate = estimateOffsets(points, { overrides });
  // A file that cannot be read has its one error line from the analysis: no clock warnings too.
  const unusable = points.filter((p) => p.errors.length > 0 && p.tcpPackets === 0).map((p) => p.file);
  const n = files.length;
  const shares = files.map((_, i) => estimate.pairs.filter((p) => (p.a === i || p.b === i) && p.commonConnections > 0).length);
  const order = files.map((_, i) => i).sort((a, b) => (a === estimate.reference ? -1 : b === estimate.reference ? 1 : shares[b]! - shares[a]! || a - b));
  const rank = new Array<number>(n).fill(0);
  order.forEach((f, k) => (rank[f] = k));
  return {
    files: [...files],
    reference: estimate.reference,
    offsets: estimate.offsets.map((o) => o.offsetSeconds),
    rank,
    points: estimate.offsets,
    estimate,
    warnings: estimate.warnings.filter((w) => !unusable.some((f) => w.startsWith(`${f}:`) || w.startsWith(`${f} /`))),
  };
}

/** stdin can be read only once: no first pass; it is the reference, the others need --clock-offset. */
function stdinPlan(files: readonly string[], stdin: number, overrides: readonly ClockOverride[]): CapturePointPlan {
  const offsets: (number | null)[] = files.map((_, i) => (i === stdin ? 0 : null));
  const warnings: string[] = [];
  for (const o of overrides) {
    const i = resolveCaptureName(files, o.file, '--clock-offset');
    if (i === stdin) warnings.push(`--clock-offset ${o.file}: stdin is the reference, whose offset is 0 by definition; ignored`);
    else offsets[i] = o.offsetSeconds;
  }
  files.forEach((f, i) => {
    if (offsets[i] === null) warnings.push(`${f}: offset unknown, not estimated: stdin (-) can be read only once, so it is the clock reference and is not compared with the other captures; give --clock-offset ${f}=+SECONDS or -SECONDS`);
  });
  const rank = files.map((_, i) => (i === stdin ? 0 : i + 1));
  return { files: [...files], reference: stdin, offsets, rank, points: files.map(() => null), estimate: null, warnings };
}

/** The `capturePoints` list of the JSON reports (docs/capture-points.md). */
export function capturePointsJson(plan: CapturePointPlan, seen?: readonly CapturePointSeen[]): unknown[] {
  const r6 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e6) / 1e6);
  const r3 = (v: number): number => Math.round(v * 1e3) / 1e3;
  return plan.files.map((file, i) => {
    const p = plan.points[i] ?? null;
    const direct = plan.estimate?.pairs.find((q) => (q.a === i && q.b === plan.reference) || (q.b === i && q.a === plan.reference)) ?? null;
    const s = seen?.[i];
    return {
      file,
      reference: i === plan.reference,
      offsetSeconds: r6(plan.offsets[i] ?? null),
      uncertaintySeconds: r6(p ? p.uncertaintySeconds : i === plan.reference ? 0 : null),
      source: p ? p.source : i === plan.reference ? 'reference' : plan.offsets[i] !== null ? 'override' : 'none',
      evidence: p ? p.evidence : i === plan.reference ? 'strong' : 'none',
      estimatedOffsetSeconds: r6(p ? p.estimatedOffsetSeconds : null),
      samples: p ? p.samples : 0,
      residualsMs: p?.residualsMs ? { median: r3(p.residualsMs.median), max: r3(p.residualsMs.max) } : null,
      via: p ? p.via : [],
      oneWayDelayMs: direct?.delaySeconds != null ? r3(direct.delaySeconds * 1e3) : null,
      ...(s ? { sees: s } : {}),
    };
  });
}

/** The text summary's "Capture points" block; file names escaped by the caller's `esc`. */
export function capturePointsText(plan: CapturePointPlan, seen: readonly CapturePointSeen[] | undefined, esc: (s: string) => string): string {
  const width = Math.max(...plan.files.map((f) => esc(f).length));
  let out = `\nCapture points (clock reference: ${esc(plan.files[plan.reference] ?? '?')}):\n`;
  plan.files.forEach((f, i) => {
    const p = plan.points[i] ?? null;
    const off = plan.offsets[i] ?? null;
    let clock: string;
    if (i === plan.reference) clock = 'reference clock';
    else if (off === null) clock = 'offset unknown, not corrected';
    else {
      const src = p ? p.source : 'override';
      clock = `offset ${off < -5e-7 ? '-' : '+'}${Math.abs(off).toFixed(6)} s`;
      if (p && p.uncertaintySeconds !== null && src === 'estimate') clock += ` +/- ${(p.uncertaintySeconds * 1e3).toFixed(3)} ms`;
      clock += ` (${src}${p ? `, evidence ${p.evidence}` : ''}${p?.residualsMs ? `, residuals median ${p.residualsMs.median.toFixed(3)} ms, max ${p.residualsMs.max.toFixed(3)} ms` : ''})`;
    }
    out += `  ${esc(f).padEnd(width)}  ${clock}\n`;
    const s = seen?.[i];
    if (s) {
      const parts = [`${s.connections} connection(s)`, `${s.clientLegs} client leg(s)`, `${s.serverLegs} server leg(s)`];
      if (s.otherConnections > 0) parts.push(`${s.otherConnections} other`);
      const hosts: string[] = [];
      if (s.hosts.clients.length) hosts.push(`clients ${s.hosts.clients.join(', ')}`);
      if (s.hosts.proxy.length) hosts.push(`proxy ${s.hosts.proxy.join(', ')}`);
      if (s.hosts.servers.length) hosts.push(`servers ${s.hosts.servers.join(', ')}`);
      if (s.hosts.more > 0) hosts.push(`${s.hosts.more} more`);
      out += `  ${' '.repeat(width)}  ${parts.join(', ')}${hosts.length ? `; ${hosts.join('; ')}` : ''}\n`;
    }
  });
  return out;
}

/** The TUI's title bar: each file with the offset applied ("ref" for the reference, "uncorrected" when unknown). */
export function capturePointsTitle(plan: CapturePointPlan): string {
  return plan.files
    .map((f, i) => {
      const off = plan.offsets[i] ?? null;
      const p = plan.points[i] ?? null;
      if (i === plan.reference) return `${f} [clock ref]`;
      if (off === null) return `${f} [clock uncorrected]`;
      const u = p?.source === 'estimate' && p.uncertaintySeconds !== null ? ` +/-${(p.uncertaintySeconds * 1e3).toFixed(3)}ms` : '';
      const how = p?.source === 'override' || p === null ? ' set' : p.evidence === 'thin' ? ' thin' : '';
      return `${f} [${off < -5e-7 ? '-' : '+'}${Math.abs(off).toFixed(6)}s${u}${how}]`;
    })
    .join('  ');
}
