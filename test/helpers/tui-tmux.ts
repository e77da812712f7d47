/**
 * A real terminal for end-to-end TUI tests: a detached tmux session on its own socket (-L, a
 * unique name), a shell in it, keys sent with send-keys and the screen read with capture-pane.
 * Every tmux call has a timeout; `kill()` ends this socket's server only.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from './tools.js';

let counter = 0;

export class TmuxPane {
  readonly socket: string;
  private readonly target = 'tui';

  constructor(width: number, height: number, shellPrompt = 'pt-shell$ ') {
    this.socket = `proxytrace-tui-${process.pid}-${Date.now()}-${counter++}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PS1: shellPrompt };
    delete env['TMUX'];
    this.run(['-f', '/dev/null', 'new-session', '-d', '-s', this.target, '-x', String(width), '-y', String(height), '-c', ROOT,
      `env PS1='${shellPrompt}' bash --norc --noprofile`], env);
  }

  private run(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', timeout: 5000, env });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.run(['send-keys', '-t', this.target, '-l', text]);
  }

  /** tmux key names: Enter, Escape, Tab, BSpace, C-c, Down... */
  keys(...names: string[]): void {
    this.run(['send-keys', '-t', this.target, ...names]);
  }

  screen(): string {
    return this.run(['capture-pane', '-p', '-t', this.target]);
  }

  /** A tmux format about the pane, e.g. '#{alternate_on}'. */
  format(f: string): string {
    return this.run(['display-message', '-p', '-t', this.target, f]).trim();
  }

  resize(width: number, height: number): void {
    this.run(['resize-window', '-t', this.target, '-x', String(width), '-y', String(height)]);
  }

  /** Polls the screen until `ok` holds; throws with the last screen after `timeoutMs`. */
  async waitFor(ok: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      last = this.screen();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { timeout: 5000 });
  }
}
