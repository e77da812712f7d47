/**
 * The terminal is restored on every way out: the alternate screen left and the cursor shown
 * again after a normal restore, an uncaught exception, an unhandled rejection, process.exit and
 * a signal. Runs small programs using src/tui/terminal.ts with stdout on a pipe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, oneErrorLine } from './helpers/cli.js';
import { ROOT } from './helpers/tools.js';

const TERMINAL = path.join(ROOT, 'dist', 'src', 'tui', 'terminal.js');
const ENTER = '\x1b[?1049h';
const RESTORE = '\x1b[?25h\x1b[?1049l';

function runWith(body: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const script = `
    import { Fullscreen } from ${JSON.stringify(TERMINAL)};
    const screen = new Fullscreen(process.stdout, null, {
      beforeRestore: () => process.stdout.write('[before]'),
      onCrash: (e) => process.stderr.write('crashed: ' + (e instanceof Error ? e.message : String(e)) + '\\n'),
    });
    screen.enter();
    ${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'latin1', timeout: 8000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function assertRestoredOnce(stdout: string): void {
  assert.ok(stdout.startsWith(ENTER), JSON.stringify(stdout));
  assert.ok(stdout.endsWith(`[before]${RESTORE}`), JSON.stringify(stdout));
  assert.equal(stdout.split(RESTORE).length, 2, 'restored exactly once');
}

test('restore: explicit, idempotent', () => {
  const r = runWith("screen.restore(); screen.restore(); process.stdout.write('');");
  assert.equal(r.status, 0);
  assertRestoredOnce(r.stdout);
});

test('restore on an uncaught exception: the terminal first, then the report, exit 1', () => {
  const r = runWith("setTimeout(() => { throw new Error('boom'); }, 10);");
  assert.equal(r.status, 1);
  assertRestoredOnce(r.stdout);
  assert.equal(r.stderr, 'crashed: boom\n');
});

test('restore on an unhandled rejection', () => {
  const r = runWith("Promise.reject(new Error('nope'));");
  assert.equal(r.status, 1);
  assertRestoredOnce(r.stdout);
  assert.equal(r.stderr, 'crashed: nope\n');
});

test('restore on process.exit', () => {
  const r = runWith('setTimeout(() => process.exit(3), 10);');
  assert.equal(r.status, 3);
  assertRestoredOnce(r.stdout);
});

test('restore on SIGTERM and SIGINT, with the conventional exit codes', () => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    const r = runWith(`setTimeout(() => process.kill(process.pid, '${sig}'), 10); setTimeout(() => {}, 5000);`);
    assert.equal(r.status, code, sig);
    assertRestoredOnce(r.stdout);
  }
});

test('tui needs a terminal: a usage error, one line, when stdin or stdout is not one', () => {
  const r = runCli(['tui', 'captures/http-roundrobin/capture.pcap']);
  assert.equal(r.status, 2);
  assert.match(oneErrorLine(r.stderr), /tui needs a terminal on stdin and stdout/);
  assert.equal(r.out, '');
});
