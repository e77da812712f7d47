/**
 * The streaming correlator (src/correlate/stream.ts) against the batch one, on every committed
 * capture: run with the smallest windows there are (a round after every leg), it must give the
 * sessions, server-only connections and proxies correlate() gives, and give sessions before the
 * input ends. Also the two ledger levels of detail, and analyze() streaming through onSession.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlate, type LedgerDetail } from '../src/correlate/correlate.js';
import { LegCollector } from '../src/correlate/leg-collector.js';
import type { Leg, LedgerEntry, Session } from '../src/correlate/model.js';
import { StreamCorrelator } from '../src/correlate/stream.js';
import { analyze, runPipeline } from '../src/pipeline.js';
import type { StreamLimits } from '../src/tcp/types.js';
import { committedCaptures } from './helpers/tools.js';

const byStart = (a: Session, b: Session): number => a.start - b.start || Number(a.id) - Number(b.id);
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

async function legsOf(file: string, limits: Partial<StreamLimits> = {}): Promise<Leg[]> {
  const legs: Leg[] = [];
  await runPipeline({ files: [file], handler: new LegCollector((l) => legs.push(l)), limits });
  return legs;
}

const captures = committedCaptures();

test('there are committed captures to stream', () => {
  assert.ok(captures.length >= 9, captures.join(', '));
});

let streamedBeforeEnd = 0;
for (const file of captures) {
  const name = file.split('/').slice(-2, -1)[0]!;
  test(`${name}: streamed, a round after every leg, as correlate() in one batch`, async () => {
    const ledger: LedgerDetail = 'exchange';
    const batch = correlate(await legsOf(file), { ledger });
    const got: Session[] = [];
    let inputDone = false;
    let early = 0;
    const sc = new StreamCorrelator({
      knownProxies: batch.proxies, pumpOnLeg: true, ledger,
      onSession: (s, legs) => {
        // The legs handed over are the ones the session refers to.
        assert.ok(legs.has(s.id));
        for (const r of s.serverLegs) assert.ok(legs.has(r.leg), `session ${s.id}: leg ${r.leg}`);
        got.push(s);
        if (!inputDone) early++;
      },
    });
    await runPipeline({ files: [file], handler: new LegCollector((l) => sc.add(l), {}, { onOpen: (c) => sc.opened(c) }) });
    inputDone = true;
    const r = sc.finish();
    streamedBeforeEnd += early;
    assert.deepEqual(plain(got.sort(byStart)), plain(batch.sessions.sort(byStart)));
    assert.deepEqual(r.serverOnlyConnections, batch.serverOnlyConnections);
    assert.deepEqual(r.proxies, batch.proxies);
  });
}

// analyze's settings (pipeline.ts): connections complete 0.1 s after closing, rounds every 0.25 s.
for (const file of captures) {
  const name = file.split('/').slice(-2, -1)[0]!;
  test(`${name}: streamed with a 0.1 s close linger and 0.25 s rounds, as correlate() in one batch`, async () => {
    const limits: Partial<StreamLimits> = { closeLinger: 0.1, expiryInterval: 0.1 };
    const batch = correlate(await legsOf(file, limits), { ledger: 'chunks' });
    const got: Session[] = [];
    const sc = new StreamCorrelator({ knownProxies: batch.proxies, roundStep: 0.25, ledger: 'chunks', onSession: (s) => got.push(s) });
    await runPipeline({
      files: [file], limits, handler: new LegCollector((l) => { sc.add(l); sc.pump(); }, {}, { onOpen: (c) => sc.opened(c) }),
    });
    const r = sc.finish();
    assert.equal(got.length, batch.sessions.length);
    assert.deepEqual(plain(got.sort(byStart)), plain(batch.sessions.sort(byStart)));
    assert.deepEqual(r.serverOnlyConnections, batch.serverOnlyConnections);
  });
}

test('sessions come out while the input is still being read', () => {
  // Most committed captures end with every connection closed: nearly all their sessions are
  // complete before the end of input.
  assert.ok(streamedBeforeEnd >= 40, String(streamedBeforeEnd));
});

test('the per-exchange ledger sums the per-chunk one: same ranges, timed by their last stretch', async () => {
  for (const file of captures) {
    const legs = await legsOf(file);
    const chunks = correlate(legs, { ledger: 'chunks' }).sessions;
    const parts = correlate(legs, { ledger: 'exchange' }).sessions;
    const key = (l: LedgerEntry): string => `${l.direction} ${l.serverLeg} ${l.exchange} ${l.part}`;
    chunks.forEach((s, i) => {
      const groups = new Map<string, LedgerEntry[]>();
      for (const l of s.ledger) groups.set(key(l), [...(groups.get(key(l)) ?? []), l]);
      const p = parts[i]!;
      assert.equal(p.ledger.length, groups.size, `${file} session ${s.id}`);
      for (const l of p.ledger) {
        const g = groups.get(key(l))!;
        assert.ok(g, `${file} session ${s.id}: ${key(l)}`);
        assert.equal(l.fromOffset, g[0]!.fromOffset);
        assert.equal(l.toOffset, g[0]!.toOffset);
        assert.equal(l.length, g.reduce((n, x) => n + x.length, 0));
        assert.equal(l.arrived, g[g.length - 1]!.arrived);
        assert.equal(l.departed, g[g.length - 1]!.departed);
      }
    });
  }
});

test('analyze() with onSession streams the same sessions it returns without', async () => {
  const file = captures.find((f) => f.includes('http-roundrobin'))!;
  const whole = await analyze({ files: [file] });
  const streamed: Session[] = [];
  const r = await analyze({ files: [file], onSession: (s) => streamed.push(s) });
  assert.deepEqual(r.sessions, []);
  assert.deepEqual(plain(streamed.sort(byStart)), plain(whole.sessions));
  assert.deepEqual(r.serverOnlyConnections, whole.serverOnlyConnections);
  // keepLegs still returns every leg.
  const kept = await analyze({ files: [file], keepLegs: true });
  assert.equal(kept.legs?.size, 13 + 12 + 8);
});
