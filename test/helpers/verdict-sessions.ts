/**
 * The verdict tests' fixture: a committed HAProxy capture read into legs (runPipeline +
 * LegCollector), paired into Sessions by correlate(), with its haproxy.cfg and the traffic lines
 * of its haproxy.log (the oracle).
 */
import fs from 'node:fs';
import path from 'node:path';
import { correlate } from '../../src/correlate/correlate.js';
import { LegCollector } from '../../src/correlate/leg-collector.js';
import type { Leg, Session } from '../../src/correlate/model.js';
import { parseHaproxyConfig, type HaproxyConfig } from '../../src/correlate/haproxy/config.js';
import { parseHaproxyLogLine, type HttpLogLine, type TcpLogLine } from '../../src/correlate/haproxy/log-line.js';
import { runPipeline } from '../../src/pipeline.js';
import { ROOT } from './tools.js';

export interface Scenario {
  name: string;
  dir: string;
  cfg: HaproxyConfig;
  legs: Map<string, Leg>;
  sessions: Session[];
  log: (HttpLogLine | TcpLogLine)[];
}

export async function loadScenario(name: string): Promise<Scenario> {
  const dir = path.join(ROOT, 'captures', name);
  const cfgFile = path.join(dir, 'haproxy.cfg');
  const cfg = parseHaproxyConfig(fs.readFileSync(cfgFile, 'utf8'), cfgFile);
  const list: Leg[] = [];
  await runPipeline({ files: [path.join(dir, 'capture.pcap')], handler: new LegCollector((l) => list.push(l)), recycleConnections: true });
  const log = fs.readFileSync(path.join(dir, 'haproxy.log'), 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => parseHaproxyLogLine(l))
    .filter((l): l is HttpLogLine | TcpLogLine => l.kind === 'http' || l.kind === 'tcp');
  return { name, dir, cfg, legs: new Map(list.map((l) => [l.id, l])), sessions: correlate(list).sessions, log };
}

/** Scenarios with a haproxy.log and a committed capture (bench's capture is not committed). */
export function haproxyScenarios(): string[] {
  const dir = path.join(ROOT, 'captures');
  return fs.readdirSync(dir).sort()
    .filter((d) => fs.existsSync(path.join(dir, d, 'haproxy.log')) && fs.existsSync(path.join(dir, d, 'capture.pcap')));
}

/** The JSON lines a capture's tools recorded (clients.jsonl, servers.jsonl). */
export function jsonl(scenario: Scenario, file: string): Record<string, unknown>[] {
  return fs.readFileSync(path.join(scenario.dir, file), 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
