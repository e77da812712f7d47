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
  /** Reports an uncaught exception after the terminal is restored. */
  onCrash?: (error: unknown) => void;
}

export async function runTui(store: SessionStore, opts: RunTuiOptions = {}): Promise<void> {
  let instance: Instance | null = null;
  const screen = new Fullscreen(process.stdout, process.stdin, {
    beforeRestore: () => instance?.unmount(),
    ...(opts.onCrash ? { onCrash: opts.onCrash } : {}),
  });
  screen.enter();
  try {
    instance = render(<TuiApp store={store} title={opts.title ?? ''} {...(opts.initialFilter !== undefined ? { initialFilter: opts.initialFilter } : {})} />, {
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
