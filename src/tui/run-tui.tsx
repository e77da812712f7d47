/**
 * Runs the TUI on the process's terminal: alternate screen, ink render, wait for quit, restore.
 * `live --tui` can call this with a store it keeps pushing sessions into.
 */
import { render, type Instance } from 'ink';
import { TuiApp } from './app.js';
import type { SessionStore } from './session-store.js';
import { Fullscreen } from './terminal.js';

export interface RunTuiOptions {
  title?: string;
  initialFilter?: string;
  /** The keyboard (default process.stdin; `live -r - --tui` reads /dev/tty, stdin being the capture). */
  input?: NodeJS.ReadStream;
  /** Reports an uncaught exception after the terminal is restored. */
  onCrash?: (error: unknown) => void;
}

export async function runTui(store: SessionStore, opts: RunTuiOptions = {}): Promise<void> {
  let instance: Instance | null = null;
  const input = opts.input ?? process.stdin;
  const screen = new Fullscreen(process.stdout, input, {
    beforeRestore: () => instance?.unmount(),
    ...(opts.onCrash ? { onCrash: opts.onCrash } : {}),
  });
  screen.enter();
  try {
    instance = render(<TuiApp store={store} title={opts.title ?? ''} {...(opts.initialFilter !== undefined ? { initialFilter: opts.initialFilter } : {})} />, {
      stdin: input,
      exitOnCtrlC: false,
      patchConsole: true,
      // ink 6.8's incremental mode loses track of lines here when the frame's parts change height.
      incrementalRendering: false,
      maxFps: 60,
    });
    await instance.waitUntilExit();
  } finally {
    screen.restore();
  }
}
