/**
 * Full-screen terminal handling: the alternate screen on start; on every way out (quit, Ctrl-C,
 * a signal, a crash, process exit) the normal screen and the cursor come back, written
 * synchronously so nothing is lost when the process ends right after.
 */
import fs from 'node:fs';

export const ENTER_ALT_SCREEN = '\x1b[?1049h';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
const CLEAR_HOME = '\x1b[2J\x1b[H';

export interface FullscreenOptions {
  /** Runs first on the way out (e.g. unmount ink, so its last frame lands on the alternate screen). */
  beforeRestore?: () => void;
  /** After the terminal is restored on an uncaught exception: report it (the process then exits 1). */
  onCrash?: (error: unknown) => void;
}

const SIGNALS = { SIGTERM: 15, SIGHUP: 1, SIGINT: 2, SIGQUIT: 3 } as const;

export class Fullscreen {
  private active = false;
  private readonly handlers: [string, (...args: never[]) => void][] = [];

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly input: NodeJS.ReadStream | null = null,
    private readonly options: FullscreenOptions = {},
  ) {}

  private write(s: string): void {
    try {
      const fd = (this.out as { fd?: unknown }).fd;
      if (typeof fd === 'number') fs.writeSync(fd, s);
      else this.out.write(s);
    } catch {
      // The terminal is gone (hang-up): nothing left to restore.
    }
  }

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.write(ENTER_ALT_SCREEN + CLEAR_HOME + HIDE_CURSOR);
    const on = (event: string, fn: (...args: never[]) => void): void => {
      process.on(event as 'exit', fn as () => void);
      this.handlers.push([event, fn]);
    };
    on('exit', () => this.restore());
    const crash = (error: unknown): void => {
      this.restore();
      this.options.onCrash?.(error);
      process.exit(1);
    };
    on('uncaughtException', crash);
    on('unhandledRejection', crash);
    for (const [signal, n] of Object.entries(SIGNALS)) {
      on(signal, () => {
        this.restore();
        process.exit(128 + n);
      });
    }
  }

  /** Idempotent: leaves the alternate screen, shows the cursor, resets raw mode, drops the handlers. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    try {
      this.options.beforeRestore?.();
    } catch {
      // Restoring the terminal matters more than a clean unmount.
    }
    this.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
    try {
      if (this.input?.isTTY && this.input.isRaw) this.input.setRawMode(false);
    } catch {
      // stdin already closed
    }
    for (const [event, fn] of this.handlers) process.off(event as 'exit', fn as () => void);
    this.handlers.length = 0;
  }
}
