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
  t.skip('needs root (live capture, HAProxy on loopback addresses, running without capabilities)');
  return false;
}

/**
 * A command run as root without any capability (setpriv empties the bounding set, so the new
 * program gets none): files it does not own the permission bits of, raw sockets and the like are
 * refused as for an ordinary user, while the checkout, owned by root, stays readable wherever it
 * is (a `mktemp -d` clone is 0700: another uid could not load proxytrace from it).
 */
export function withoutCapabilities(command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--bounding-set=-all', '--inh-caps=-all', command, ...args]];
}
