/**
 * Clock offsets on the committed multipoint captures (captures/multipoint): four hosts as network
 * namespaces of one machine, one tcpdump each, so the true offset between the original files is 0;
 * web1-shifted.pcap and client-shifted.pcap are editcap copies shifted by +0.350 s and -0.250 s.
 * Acceptance: every estimate within 1 ms of the truth.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { collectCapturePoints } from '../src/multipoint.js';
import { estimateOffsets, type ClockEstimate } from '../src/clock/estimate.js';
import { parseClockOffset } from '../src/clock/override.js';
import type { CapturePointPackets } from '../src/clock/sightings.js';
import { openCapture } from '../src/capture/open-capture.js';
import { ROOT } from './helpers/tools.js';

const DIR = path.join(ROOT, 'captures', 'multipoint');
const FILES = ['client.pcap', 'proxy.pcap', 'web1.pcap', 'web2.pcap', 'web1-shifted.pcap', 'client-shifted.pcap'] as const;
type File = (typeof FILES)[number];
/** The truth: each file's clock minus proxy.pcap's. */
const TRUTH: Record<File, number> = {
  'client.pcap': 0, 'proxy.pcap': 0, 'web1.pcap': 0, 'web2.pcap': 0, 'web1-shifted.pcap': 0.35, 'client-shifted.pcap': -0.25,
};
const TOLERANCE = 0.001;

const points = new Map<File, CapturePointPackets>();
before(async () => {
  const all = await collectCapturePoints(FILES.map((f) => path.join(DIR, f)));
  all.forEach((p, i) => points.set(FILES[i]!, p));
});
const pts = (...files: File[]): CapturePointPackets[] => files.map((f) => points.get(f)!);
const name = (file: string): File => path.basename(file) as File;

/** Checks every offset against the truth (relative to the reference) and returns the errors. */
function checkAgainstTruth(r: ClockEstimate): Map<File, number> {
  const ref = name(r.offsets[r.reference]!.file);
  const errors = new Map<File, number>();
  for (const o of r.offsets) {
    const f = name(o.file);
    assert.notEqual(o.offsetSeconds, null, f);
    const err = o.offsetSeconds! - (TRUTH[f] - TRUTH[ref]);
    assert.ok(Math.abs(err) < TOLERANCE, `${f}: offset ${o.offsetSeconds} vs truth ${TRUTH[f] - TRUTH[ref]} (error ${err})`);
    errors.set(f, err);
  }
  return errors;
}

test('the captures: every file read whole, only 198.18.0.0/15 addresses, the proxy on both sides', () => {
  for (const f of FILES) {
    const p = points.get(f)!;
    assert.deepEqual(p.errors, [], f);
    assert.equal(p.sampleLevel, 0, `${f}: small enough to keep every packet`);
    assert.equal(p.count, p.tcpPackets, f);
    for (const c of p.connections) assert.match(c, /^198\.1[89]\.\d+\.\d+:\d+\|198\.1[89]\.\d+\.\d+:\d+$/, `${f}: ${c}`);
  }
  const proxy = points.get('proxy.pcap')!.connections;
  assert.ok(proxy.some((c) => c.includes('198.18.1.10:')), 'client side');
  assert.ok(proxy.some((c) => c.includes('198.18.2.11:80')) && proxy.some((c) => c.includes('198.18.2.12:80')), 'server side');
  assert.equal(points.get('client.pcap')!.connections.length, 20);
});

test('the shifted copies are the same packets, every timestamp moved by exactly the shift', async () => {
  for (const [orig, shifted, shift] of [['web1.pcap', 'web1-shifted.pcap', 0.35], ['client.pcap', 'client-shifted.pcap', -0.25]] as const) {
    const times = async (f: string): Promise<bigint[]> => {
      const src = await openCapture(path.join(DIR, f), 0);
      const out: bigint[] = [];
      try {
        for (;;) {
          const rec = src.nextSync();
          if (rec === null) break;
          if (rec === 'more') { await src.fill(); continue; }
          out.push(BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec));
        }
      } finally {
        src.close();
      }
      return out;
    };
    const a = await times(orig);
    const b = await times(shifted);
    assert.equal(a.length, b.length);
    assert.ok(a.length > 50);
    const ns = BigInt(Math.round(shift * 1e9));
    a.forEach((t, i) => assert.equal(b[i]! - t, ns, `${shifted} record ${i}`));
  }
});

test('the four original points: proxy is the reference, every offset 0 within 1 ms, residuals reported', () => {
  const r = estimateOffsets(pts('client.pcap', 'proxy.pcap', 'web1.pcap', 'web2.pcap'));
  assert.equal(name(r.offsets[r.reference]!.file), 'proxy.pcap');
  const errors = checkAgainstTruth(r);
  for (const [f, e] of errors) assert.ok(Math.abs(e) < 20e-6, `${f}: ${e * 1e6} µs (namespaces of one machine: microseconds)`);
  for (const o of r.offsets) {
    assert.equal(o.evidence, 'strong', o.file);
    assert.ok(o.residualsMs !== null && o.residualsMs.max < TOLERANCE * 1e3, `${o.file}: residuals ${JSON.stringify(o.residualsMs)}`);
    if (o.source === 'reference') continue;
    assert.equal(o.source, 'estimate');
    assert.deepEqual(o.via, []);
    assert.ok(o.samples >= 40, `${o.file}: ${o.samples} samples`);
    assert.ok(o.uncertaintySeconds! > 0 && o.uncertaintySeconds! < 100e-6, `${o.file}: ±${o.uncertaintySeconds}`);
  }
  assert.deepEqual(r.warnings, []);
  // The packets' causal bounds hold the truth (0) for every pair with evidence.
  for (const p of r.pairs.filter((x) => x.evidence !== 'none')) {
    assert.ok(p.bounds && p.bounds.lo <= 2e-6 && p.bounds.hi >= -2e-6, `${name(p.fileA)}/${name(p.fileB)}: ${JSON.stringify(p.bounds)}`);
  }
});

test('shifted clocks: web1 +0.350 s and client -0.250 s recovered within 1 ms', () => {
  const r = estimateOffsets(pts('client-shifted.pcap', 'proxy.pcap', 'web1-shifted.pcap', 'web2.pcap'));
  assert.equal(name(r.offsets[r.reference]!.file), 'proxy.pcap');
  const errors = checkAgainstTruth(r);
  for (const [f, e] of errors) assert.ok(Math.abs(e) < 20e-6, `${f}: ${e * 1e6} µs`);
  for (const o of r.offsets) assert.ok(o.residualsMs !== null && o.residualsMs.max < 1, `${o.file} residuals ${JSON.stringify(o.residualsMs)}`);
  const web1 = r.offsets.find((o) => name(o.file) === 'web1-shifted.pcap')!;
  assert.equal(web1.evidence, 'strong');
  const pair = r.pairs.find((p) => name(p.fileA) === 'proxy.pcap' && name(p.fileB) === 'web1-shifted.pcap')!;
  assert.ok(pair.bounds!.lo <= 0.35 + 2e-6 && pair.bounds!.hi >= 0.35 - 2e-6, JSON.stringify(pair.bounds));
  assert.ok(pair.commonConnections >= 11, 'the 10 GETs and the health checks');
  // Shifted and unshifted copies of one point, side by side: the shift exactly.
  const both = estimateOffsets(pts('proxy.pcap', 'web1.pcap', 'web1-shifted.pcap'));
  checkAgainstTruth(both);
  const copies = both.pairs.find((p) => name(p.fileA) === 'web1.pcap')!;
  assert.ok(Math.abs(copies.offsetSeconds! - 0.35) < 1e-6, `${copies.offsetSeconds}`);
});

test('a file tied to the reference only through another: chained via the proxy', () => {
  const r = estimateOffsets(pts('client-shifted.pcap', 'proxy.pcap', 'web1-shifted.pcap', 'web2.pcap'), { reference: 'client-shifted.pcap' });
  assert.equal(r.reference, 0);
  checkAgainstTruth(r);
  const web1 = r.offsets[2]!;
  assert.deepEqual(web1.via.map(name), ['proxy.pcap']);
  assert.ok(Math.abs(web1.offsetSeconds! - 0.6) < TOLERANCE);
  assert.equal(web1.evidence, 'strong');
});

test('no common connection between two files: evidence none, no guess', () => {
  const all = estimateOffsets(pts('client.pcap', 'proxy.pcap', 'web1.pcap', 'web2.pcap'));
  for (const [a, b] of [['client.pcap', 'web1.pcap'], ['client.pcap', 'web2.pcap'], ['web1.pcap', 'web2.pcap']]) {
    const p = all.pairs.find((x) => name(x.fileA) === a && name(x.fileB) === b)!;
    assert.equal(p.evidence, 'none', `${a}/${b}`);
    assert.equal(p.offsetSeconds, null);
    assert.equal(p.commonConnections, 0);
    assert.match(p.note, /no TCP connection in common/);
  }
  // Without the proxy's capture nothing ties web1 to the client.
  const r = estimateOffsets(pts('client-shifted.pcap', 'web1-shifted.pcap'));
  assert.equal(r.reference, 0, 'no proxy capture: the first file');
  const web1 = r.offsets[1]!;
  assert.equal(web1.evidence, 'none');
  assert.equal(web1.offsetSeconds, null);
  assert.equal(web1.residualsMs, null);
  assert.deepEqual(r.warnings.map((w) => w.replace(DIR + path.sep, '')), [
    'web1-shifted.pcap: offset unknown, not guessed: no TCP connection in common with ' + path.join(DIR, 'client-shifted.pcap') + ' (the reference), and no other capture ties it to the reference',
  ]);
});

test('--clock-offset wins over the estimate', () => {
  const files = pts('client-shifted.pcap', 'proxy.pcap', 'web1-shifted.pcap');
  // Exact: no complaint.
  const ok = estimateOffsets(files, { overrides: [parseClockOffset('web1-shifted.pcap=+0.350')] });
  assert.equal(ok.offsets[2]!.source, 'override');
  assert.equal(ok.offsets[2]!.offsetSeconds, 0.35);
  assert.deepEqual(ok.warnings, []);
  // 10 ms off: it still wins; the residuals and a warning show the disagreement.
  const off = estimateOffsets(files, { overrides: [parseClockOffset('web1-shifted.pcap=+0.340')] });
  const w = off.offsets[2]!;
  assert.equal(w.offsetSeconds, 0.34);
  assert.ok(Math.abs(w.estimatedOffsetSeconds! - 0.35) < TOLERANCE);
  assert.ok(Math.abs(w.residualsMs!.median - 10) < 0.1, JSON.stringify(w.residualsMs));
  assert.equal(off.warnings.length, 1);
  assert.match(off.warnings[0]!, /web1-shifted\.pcap: --clock-offset \+0\.340000 s wins over the estimate \+0\.350000 s \+\/- 0\.00\d ms/);
});
