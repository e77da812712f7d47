/**
 * Child processes for the live-capture tests (HAProxy, backends, tcpdump, proxytrace, clients),
 * the way captures/lib.sh runs them: every process started is recorded by PID and stopped by
 * PID (TERM, then KILL) in `stopAll()`, which the tests call in `finally`; every wait is bounded.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { CLI } from './cli.js';
import { ROOT } from './tools.js';

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything written so far (latin1), kept whole. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit status (code, or 128 + signal number style name) once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class Procs {
  private readonly procs: Proc[] = [];

  /** Starts a process; stdout/stderr are collected unless `pipeStdout` leaves stdout for the caller. */
  start(name: string, cmd: string, args: readonly string[], opts: SpawnOptions & { pipeStdout?: boolean } = {}): Proc {
    const { pipeStdout, ...spawnOpts } = opts;
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], ...spawnOpts });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (!pipeStdout) child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: null, signal: null }));
    });
    const p: Proc = {
      name,
      child,
      pid: child.pid,
      stdout: () => Buffer.concat(out).toString('latin1'),
      stderr: () => Buffer.concat(err).toString('latin1'),
      exited,
    };
    this.procs.push(p);
    return p;
  }

  /** `node dist/src/cli/main.js ...args`. */
  proxytrace(name: string, args: readonly string[], opts: SpawnOptions & { pipeStdout?: boolean } = {}): Proc {
    return this.start(name, process.execPath, [CLI, ...args], { env: { ...process.env, PROXYTRACE_DEBUG: '' }, ...opts });
  }

  /** Waits until `re` matches the process's stderr (or stdout); throws with what it printed on timeout or exit. */
  async waitFor(p: Proc, re: RegExp, timeoutMs: number, stream: 'stderr' | 'stdout' = 'stderr'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void p.exited.then(() => (gone = true));
    for (;;) {
      if (re.test(stream === 'stderr' ? p.stderr() : p.stdout())) return;
      if (gone) throw new Error(`${p.name} exited before printing ${re}: ${p.stderr()}`);
      if (Date.now() > deadline) throw new Error(`${p.name}: no ${re} within ${timeoutMs} ms: ${p.stderr()}`);
      await sleep(20);
    }
  }

  /** Waits for the exit; throws (after killing it) when it takes longer than timeoutMs. */
  async waitExit(p: Proc, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const r = await Promise.race([p.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      kill(p.pid, 'SIGKILL');
      throw new Error(`${p.name} (pid ${p.pid}) did not exit within ${timeoutMs} ms; stderr: ${p.stderr()}`);
    }
    return r;
  }

  signal(p: Proc, sig: NodeJS.Signals): void {
    kill(p.pid, sig);
  }

  /** Stops every process still running, newest first, by PID: TERM, then KILL after 2 s. */
  async stopAll(): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      kill(p.pid, 'SIGTERM');
      try {
        await this.waitExit(p, 2000);
      } catch {
        // waitExit already sent KILL.
      }
    }
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when the optional `cap` module loads (built against libpcap). */
export function capLoads(): boolean {
  try {
    createRequire(import.meta.url)('cap');
    return true;
  } catch {
    return false;
  }
}

/** True when `cap` loads; otherwise skips the test (or throws in CI, where .ci/run installs libpcap-dev and npm ci builds cap). */
export function needCap(t: import('node:test').TestContext): boolean {
  if (capLoads()) return true;
  if (process.env['CI']) throw new Error('the optional module cap must be built in CI (libpcap-dev, npm rebuild cap)');
  t.skip('the optional module cap is not built (install libpcap-dev, npm rebuild cap)');
  return false;
}
