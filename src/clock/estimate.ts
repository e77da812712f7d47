/**
 * Clock offsets of several capture points (one file each) from one reference point.
 *
 * For every pair of files, the packets both saw give delay-symmetric samples (see match.ts); as in
 * NTP, the samples with the smallest delay carry the least queueing, so the pair's offset is the
 * median offset of the lowest-delay quarter of its samples, its uncertainty the half-spread of
 * those. Each file is then tied to the reference through the pairs with evidence, along the path
 * of least total uncertainty (directly when it shares connections with the reference, else
 * through a file that does: the client and the servers through the proxy). User overrides
 * (`--clock-offset`) win over the estimate and also anchor the files tied only to them. A file
 * that no pair ties to the reference or to an override gets no offset: evidence 'none' and a
 * warning, never a guess.
 *
 * Sign: offsetSeconds = this file's clock − the reference's clock. Subtract it from the file's
 * timestamps to put them on the reference's clock.
 */
import { UsageError } from '../errors.js';
import { matchPoints, type PairSample, type PointMatch } from './match.js';
import { resolveCaptureName, type ClockOverride } from './override.js';
import type { CapturePointPackets } from './sightings.js';

export type Evidence = 'strong' | 'thin' | 'none';

export interface Residuals {
  /** Median and largest |sample offset − offset from the final estimates|, milliseconds. */
  median: number;
  max: number;
}

/** What the packets common to two files say about their clocks. */
export interface PairEstimate {
  /** Indices of the two files; a < b. */
  a: number;
  b: number;
  fileA: string;
  fileB: string;
  /** clock(b) − clock(a), seconds; null without evidence. */
  offsetSeconds: number | null;
  uncertaintySeconds: number | null;
  /**
   * The smallest mean one-way delay between the two points among the samples: the offset assumes
   * equal delays both ways, and is off by at most this much if they are not.
   */
  delaySeconds: number | null;
  /** The offset interval the packets allow assuming only causality (see PointMatch.bounds). */
  bounds: { lo: number; hi: number } | null;
  /** Pair samples (both directions), and how many of the lowest-delay ones made the estimate. */
  samples: number;
  used: number;
  /** Connections seen at both points, and those that gave samples. */
  commonConnections: number;
  connectionsWithSamples: number;
  matchedPackets: number;
  /** Residuals of this pair's samples against the final offsets of both files (null when either has none). */
  residualsMs: Residuals | null;
  evidence: Evidence;
  /** Why the evidence is thin or none ('' when strong). */
  note: string;
}

export interface PointOffset {
  file: string;
  /** clock(file) − clock(reference), seconds; null when unknown (evidence 'none'). */
  offsetSeconds: number | null;
  /** Half-spread of the samples behind it (summed along a chain); 0 for the reference and overrides. */
  uncertaintySeconds: number | null;
  /** Samples behind it: the pair's, or the fewest of any pair along a chain. */
  samples: number;
  /** Residuals of every sample of every pair involving this file, after correction. */
  residualsMs: Residuals | null;
  /** What the captures say (for an override too: how well they support an estimate). */
  evidence: Evidence;
  source: 'reference' | 'estimate' | 'override' | 'none';
  /** Files the offset was chained through, starting with the overridden file it hangs from, if any (empty when direct). */
  via: string[];
  /** The estimate from the captures alone, also when an override wins; null when there is none. */
  estimatedOffsetSeconds: number | null;
}

export interface ClockEstimate {
  /** Index of the reference file. */
  reference: number;
  offsets: PointOffset[];
  /** Every pair of files, a < b. */
  pairs: PairEstimate[];
  warnings: string[];
}

export interface EstimateOptions {
  /** The reference: index or file name. Default: the file that shares connections with strictly more files than any other (the proxy's), else the first. */
  reference?: number | string;
  /** User-given offsets (parseClockOffset); they win over the estimate. */
  overrides?: readonly ClockOverride[];
  /** Fewer samples than this make the evidence thin (default 8). */
  minSamples?: number;
  /** A larger uncertainty makes the evidence thin (default 0.001 s). */
  maxUncertaintySeconds?: number;
}

/** Floor of any uncertainty: capture timestamps have microsecond resolution (at best). */
const RESOLUTION = 1e-6;

export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * The NTP-style estimate from a pair's samples: the lowest-delay quarter (at least 3, or all when
 * fewer), their median offset, and half their spread as the uncertainty.
 */
export function estimateFromSamples(samples: readonly Pick<PairSample, 'offset' | 'delay'>[]): { offset: number; uncertainty: number; delay: number; used: number } | null {
  if (samples.length === 0) return null;
  const byDelay = [...samples].sort((p, q) => p.delay - q.delay);
  const k = Math.max(Math.min(byDelay.length, 3), Math.ceil(byDelay.length / 4));
  const best = byDelay.slice(0, k);
  const offs = best.map((s) => s.offset);
  const offset = median(offs);
  const uncertainty = Math.max(RESOLUTION, (Math.max(...offs) - Math.min(...offs)) / 2);
  return { offset, uncertainty, delay: byDelay[0]!.delay, used: k };
}

function residuals(values: number[]): Residuals | null {
  if (values.length === 0) return null;
  const abs = values.map((v) => Math.abs(v) * 1e3);
  return { median: median(abs), max: Math.max(...abs) };
}

const ms = (s: number): string => `${(s * 1e3).toFixed(3)} ms`;
const signedS = (s: number): string => `${s >= 0 ? '+' : ''}${s.toFixed(6)} s`;

export function estimateOffsets(points: readonly CapturePointPackets[], opts: EstimateOptions = {}): ClockEstimate {
  const n = points.length;
  const files = points.map((p) => p.file);
  const minSamples = opts.minSamples ?? 8;
  const maxU = opts.maxUncertaintySeconds ?? 0.001;
  const warnings: string[] = [];
  if (n === 0) return { reference: -1, offsets: [], pairs: [], warnings };
  for (const p of points) for (const e of p.errors) warnings.push(`${p.file}: ${e}`);

  // ---- every pair
  const matches: PointMatch[][] = [];
  const pairs: PairEstimate[] = [];
  const pairAt: (PairEstimate | undefined)[][] = files.map(() => []);
  for (let a = 0; a < n; a++) {
    matches[a] = [];
    for (let b = a + 1; b < n; b++) {
      const m = matchPoints(points[a]!, points[b]!);
      matches[a]![b] = m;
      const est = estimateFromSamples(m.samples);
      let evidence: Evidence = 'none';
      let note = '';
      if (m.connections.length === 0) note = 'no TCP connection in common';
      else if (m.matchedPackets === 0) note = `${m.connections.length} connection(s) in common but no packet seen at both points`;
      else if (!est) note = `${m.matchedPackets} packet(s) seen at both points, in one direction only: no delay-symmetric sample`;
      else {
        const thin: string[] = [];
        if (m.samples.length < minSamples) thin.push(`${m.samples.length} sample(s) (< ${minSamples})`);
        if (m.connectionsWithSamples < 2) thin.push('one connection only');
        if (est.uncertainty > maxU) thin.push(`uncertainty ${ms(est.uncertainty)} (> ${ms(maxU)})`);
        if (m.bounds && m.bounds.lo > m.bounds.hi + 2 * RESOLUTION) thin.push(`contradictory timestamps (no single offset is causal for every packet: drift or a clock step?)`);
        evidence = thin.length ? 'thin' : 'strong';
        note = thin.join('; ');
      }
      const pe: PairEstimate = {
        a, b, fileA: files[a]!, fileB: files[b]!,
        offsetSeconds: est ? est.offset : null,
        uncertaintySeconds: est ? est.uncertainty : null,
        delaySeconds: est ? est.delay : null,
        bounds: m.bounds,
        samples: m.samples.length,
        used: est ? est.used : 0,
        commonConnections: m.connections.length,
        connectionsWithSamples: m.connectionsWithSamples,
        matchedPackets: m.matchedPackets,
        residualsMs: null,
        evidence,
        note,
      };
      if (m.acausal > 0) warnings.push(`${files[a]} / ${files[b]}: ${m.acausal} sample(s) with a negative delay left out (timestamps not monotonic, or packets mismatched)`);
      pairs.push(pe);
      pairAt[a]![b] = pe;
      pairAt[b]![a] = pe;
    }
  }

  // ---- reference
  let reference: number;
  if (opts.reference !== undefined) {
    reference = typeof opts.reference === 'number' ? opts.reference : resolveCaptureName(files, opts.reference, 'reference');
    if (!Number.isInteger(reference) || reference < 0 || reference >= n) throw new UsageError(`reference ${opts.reference}: no such capture (0..${n - 1})`);
  } else {
    const degree = files.map((_, i) => files.filter((__, j) => j !== i && (pairAt[i]![j]?.evidence ?? 'none') !== 'none').length);
    const max = Math.max(...degree);
    reference = degree.filter((d) => d === max).length === 1 ? degree.indexOf(max) : 0;
  }

  // ---- overrides
  const override: (number | undefined)[] = [];
  for (const o of opts.overrides ?? []) {
    const i = resolveCaptureName(files, o.file, '--clock-offset');
    if (i === reference) {
      if (o.offsetSeconds !== 0) warnings.push(`--clock-offset ${o.file}: ${files[i]} is the reference, whose offset is 0 by definition; ignored`);
      continue;
    }
    override[i] = o.offsetSeconds;
  }

  // ---- tie each file to an anchor along the path of least summed uncertainty
  interface Tie { offset: number; uncertainty: number; samples: number; evidence: Evidence; path: number[] }
  const tie = (anchors: Map<number, number>): (Tie | null)[] => {
    const best: (Tie | null)[] = files.map(() => null);
    const done = new Uint8Array(n);
    for (const [i, v] of anchors) best[i] = { offset: v, uncertainty: 0, samples: Infinity, evidence: 'strong', path: [i] };
    for (;;) {
      let u = -1;
      for (let i = 0; i < n; i++) if (!done[i] && best[i] && (u < 0 || best[i]!.uncertainty < best[u]!.uncertainty)) u = i;
      if (u < 0) break;
      done[u] = 1;
      const bu = best[u]!;
      for (let v = 0; v < n; v++) {
        const pe = pairAt[u]![v];
        if (done[v] || !pe || pe.evidence === 'none' || pe.offsetSeconds === null || pe.uncertaintySeconds === null) continue;
        const step = pe.a === u ? pe.offsetSeconds : -pe.offsetSeconds;
        const unc = bu.uncertainty + pe.uncertaintySeconds;
        if (best[v] && best[v]!.uncertainty <= unc) continue;
        best[v] = {
          offset: bu.offset + step,
          uncertainty: unc,
          samples: Math.min(bu.samples, pe.samples),
          evidence: bu.evidence === 'thin' || pe.evidence === 'thin' ? 'thin' : 'strong',
          path: [...bu.path, v],
        };
      }
    }
    return best;
  };
  const estimated = tie(new Map([[reference, 0]]));
  const anchors = new Map<number, number>([[reference, 0]]);
  override.forEach((v, i) => v !== undefined && anchors.set(i, v));
  const final = tie(anchors);

  // ---- residuals against the final offsets
  const finalOffset = (i: number): number | null => (i === reference ? 0 : override[i] ?? final[i]?.offset ?? null);
  const perFile: number[][] = files.map(() => []);
  for (const pe of pairs) {
    const oa = finalOffset(pe.a);
    const ob = finalOffset(pe.b);
    if (oa === null || ob === null || pe.samples === 0) continue;
    const r = matches[pe.a]![pe.b]!.samples.map((s) => s.offset - (ob - oa));
    pe.residualsMs = residuals(r);
    perFile[pe.a]!.push(...r);
    perFile[pe.b]!.push(...r);
  }

  // ---- per file
  const refName = files[reference]!;
  const offsets: PointOffset[] = files.map((file, i): PointOffset => {
    const est = estimated[i] ?? null;
    const fin = final[i] ?? null;
    const estimatedOffsetSeconds = i === reference ? 0 : est ? est.offset : null;
    const base = { file, residualsMs: residuals(perFile[i]!), estimatedOffsetSeconds };
    if (i === reference) return { ...base, offsetSeconds: 0, uncertaintySeconds: 0, samples: 0, evidence: 'strong', source: 'reference', via: [] };
    const ov = override[i];
    if (ov !== undefined) {
      return {
        ...base, offsetSeconds: ov, uncertaintySeconds: 0, samples: est ? est.samples : 0,
        evidence: est ? est.evidence : 'none', source: 'override', via: [],
      };
    }
    if (!fin) return { ...base, offsetSeconds: null, uncertaintySeconds: null, samples: 0, evidence: 'none', source: 'none', via: [] };
    return {
      ...base, offsetSeconds: fin.offset, uncertaintySeconds: fin.uncertainty, samples: fin.samples,
      evidence: fin.evidence, source: 'estimate', via: fin.path.slice(fin.path[0] === reference ? 1 : 0, -1).map((k) => files[k]!),
    };
  });

  // ---- warnings
  const pathPairs = (path: number[]): PairEstimate[] => path.slice(1).flatMap((v, k) => pairAt[path[k]!]![v] ?? []);
  offsets.forEach((o, i) => {
    if (i === reference) return;
    const direct = pairAt[i]![reference];
    if (o.source === 'none') {
      const why = direct?.note ?? 'no TCP connection in common';
      warnings.push(`${o.file}: offset unknown, not guessed: ${why} with ${refName} (the reference), and no other capture ties it to the reference`);
    } else if (o.source === 'override') {
      const e = o.estimatedOffsetSeconds;
      const u = estimated[i]?.uncertainty ?? 0;
      if (e !== null && Math.abs(e - o.offsetSeconds!) > Math.max(3 * u, maxU)) {
        warnings.push(`${o.file}: --clock-offset ${signedS(o.offsetSeconds!)} wins over the estimate ${signedS(e)} +/- ${ms(u)} from the captures`);
      }
    } else if (o.evidence === 'thin') {
      const notes = pathPairs(final[i]!.path).filter((pe) => pe.evidence === 'thin').map((pe) => `${pe.fileA} / ${pe.fileB}: ${pe.note}`);
      warnings.push(`${o.file}: thin evidence for the offset ${signedS(o.offsetSeconds!)} +/- ${ms(o.uncertaintySeconds!)} (${notes.join('; ')})`);
    }
  });
  for (const pe of pairs) {
    if (pe.evidence !== 'none' && pe.delaySeconds !== null && pe.delaySeconds > maxU) {
      warnings.push(`${pe.fileA} / ${pe.fileB}: the offset assumes equal delays both ways; with a one-way delay of ${ms(pe.delaySeconds)} between the points, an asymmetric path can put it off by up to that much`);
    }
  }
  return { reference, offsets, pairs, warnings };
}
