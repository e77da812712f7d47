/**
 * External tools (tshark, haproxy, tcpdump, root): a test that needs one skips with a stated
 * reason on a laptop without it, and fails in CI (CI=true), where .ci/run installs them all.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** True when the tool is there; otherwise skips the test (or throws in CI). */
export function needTool(t: TestContext, name: string): boolean {
  if (hasTool(name)) return true;
  if (process.env['CI']) throw new Error(`${name} is required in CI (.ci/run installs it)`);
  t.skip(`${name} is not installed`);
  return false;
}

/** The repository root (tests run from dist/test/). */
export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** Every committed capture: captures/<scenario>/capture.pcap (the large bench file excluded). */
export function committedCaptures(): string[] {
  const dir = path.join(ROOT, 'captures');
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, name, 'capture.pcap');
    if (fs.existsSync(f)) out.push(f);
  }
  return out;
}

/** True when running as root; otherwise skips the test (or throws in CI, where .ci/run runs as root). */
export function needRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env['CI']) throw new Error('root is required in CI (.ci/run runs as root)');
  t.skip('needs root (live capture, HAProxy on loopback addresses, switching uid)');
  return false;
}
