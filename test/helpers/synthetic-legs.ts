/** Hand-built conversations through the whole pipeline (a real pcap file) into legs. */
import assert from 'node:assert/strict';
import { LegCollector } from '../../src/correlate/leg-collector.js';
import type { Leg } from '../../src/correlate/model.js';
import { runPipeline } from '../../src/pipeline.js';
import { writePcap, writeTemp } from './pcap-writer.js';
import { Conversation, T0, type TestPacket } from './tcp-harness.js';

export async function legsOf(packets: readonly TestPacket[]): Promise<Leg[]> {
  const records = packets.map((p) => {
    const whole = Math.floor(p.ts);
    return { tsSec: T0 + whole, tsNsec: Math.round((p.ts - whole) * 1e9), data: p.frame, origLen: p.frame.length };
  });
  const file = writeTemp('trace.pcap', writePcap({ linkType: 1, nanosecond: true, records }));
  const legs: Leg[] = [];
  const r = await runPipeline({ files: [file], handler: new LegCollector((l) => legs.push(l)) });
  assert.deepEqual(r.errors, []);
  return legs;
}

let isn = 1000;

/** A connection, handshaken at `t0` (relative seconds), steps of 10 µs. */
export function conn(client: string, server: string, t0: number): Conversation {
  isn += 100_000;
  return new Conversation(client, server, isn, isn + 50_000, { t0, step: 0.00001 }).handshake();
}
