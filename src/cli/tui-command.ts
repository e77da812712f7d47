import { loadHaproxyConfig, loadHaproxyLog } from './haproxy-inputs.js';
/**
 * `proxytrace tui`: analyze the captures (keeping the legs, for the bytes and the ladder), then
 * browse the sessions full-screen (src/tui). Needs a terminal on stdin and stdout.
 */
import { compareWithLog, verdictsOf } from '../correlate/haproxy/compare-log.js';
import type { HaproxyConfig } from '../correlate/haproxy/config.js';
import { EXIT, ProxytraceError, type ExitCode } from '../errors.js';
import { analyze } from '../pipeline.js';
import { Progress } from '../report/progress.js';
import { reportInputErrors } from './input-notes.js';
import { reportError } from './run-action.js';
import { prepareCapturePoints } from './capture-points.js';
import { capturePointsTitle } from '../multipoint.js';

export interface TuiCommandOptions {
  proxy?: string[];
  haproxyCfg?: string;
  haproxyLog?: string;
  filter?: string;
  clockOffset?: string[];
}

export async function tuiCommand(files: string[], opts: TuiCommandOptions): Promise<ExitCode> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ProxytraceError('tui needs a terminal on stdin and stdout (use `analyze` for text or JSON)', EXIT.usage);
  }
  if (files.includes('-')) throw new ProxytraceError('tui reads the keyboard on stdin: it cannot read a capture from "-"', EXIT.usage);

  let cfg: HaproxyConfig | undefined;
  if (opts.haproxyCfg !== undefined) {
    cfg = loadHaproxyConfig(opts.haproxyCfg);
  }
  const logLines = opts.haproxyLog !== undefined
    ? loadHaproxyLog(opts.haproxyLog)
    : undefined;

  const plan = await prepareCapturePoints(files, opts.clockOffset);
  const progress = Progress.enabled(false) ? new Progress(process.stderr) : null;
  const r = await analyze({
    files,
    keepLegs: true,
    ...(plan ? { capturePoints: { clockOffsets: plan.offsets, rank: plan.rank } } : {}),
    ...(opts.proxy && opts.proxy.length > 0 ? { proxies: opts.proxy } : {}),
    ...(cfg ? { haproxyConfig: cfg } : {}),
    ...(progress ? { onChunk: (caps) => progress.update(caps) } : {}),
  });
  progress?.done();

  // ink decides when it is imported whether it runs in CI (then it only prints the last frame);
  // a full-screen UI on a terminal is interactive wherever it runs.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  // React's production build (checked when React loads): the development one is several times slower.
  process.env['NODE_ENV'] ??= 'production';
  const [{ runTui }, { SessionStore }, { indexComparisons }] = await Promise.all([
    import('../tui/run-tui.js'),
    import('../tui/session-store.js'),
    import('../tui/verdict-view.js'),
  ]);
  const store = new SessionStore(r.sessions, r.legs);
  if (logLines) store.setLogComparison(indexComparisons(compareWithLog(verdictsOf(r.sessions), logLines).lines));
  const faults = r.pipeline.errors.length;
  if (faults > 0) store.setNotice(`${faults} input fault(s): printed on exit`);

  await runTui(store, {
    title: plan ? capturePointsTitle(plan) : files.join(' '),
    ...(opts.filter !== undefined ? { initialFilter: opts.filter } : {}),
    onCrash: (e) => {
      reportError(e);
    },
  });
  return reportInputErrors(r.pipeline.errors) ?? EXIT.ok;
}
