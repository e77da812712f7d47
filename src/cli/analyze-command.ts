import { loadHaproxyConfig, loadHaproxyLog } from './haproxy-inputs.js';
import { EXIT, type ExitCode } from '../errors.js';
import { compareWithLog, formatDifferences, type LogComparison, type Verdict } from '../correlate/haproxy/compare-log.js';
import { analyze } from '../pipeline.js';
import type { Session } from '../correlate/model.js';
import { ANALYZE_FORMAT_VERSION, asciiJson, proxyJson, serverOnlyJson, writeSessionJson } from '../report/analyze-json.js';
import { serverOnlyText, sessionText, SummaryCounts } from '../report/analyze-text.js';
import { captureJson } from '../report/connection-json.js';
import { escapeInline } from '../report/escape.js';
import { Progress } from '../report/progress.js';
import { reportInputErrors, statsNotes } from './input-notes.js';
import { StreamWriter, writeOut } from './output.js';
import { prepareCapturePoints } from './capture-points.js';
import { capturePointsJson, capturePointsText } from '../multipoint.js';

export interface AnalyzeCommandOptions {
  json?: boolean;
  ndjson?: boolean;
  proxy?: string[];
  haproxyCfg?: string;
  haproxyLog?: string;
  stats?: boolean;
  /** The ledger per delivery chunk (every forwarded stretch) instead of per message part. */
  ledger?: boolean;
  /** "FILE=±SECONDS", repeatable: a capture point's clock offset, winning over the estimate. */
  clockOffset?: string[];
}

/** Text that may hold a non-ASCII character from a configuration name: the writer takes ASCII only. */
const ascii = (t: string): string => (/[^\x00-\x7f]/.test(t) ? t.replace(/[^\x00-\x7f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`) : t);

/**
 * Sessions are written as they complete (in order of completion, --ndjson one per line), through
 * one output buffer flushed after every chunk of input; the summary parts follow at the end
 * (with --json: "proxies", "serverOnlyConnections", "captures", "errors", "stats", "haproxyLog"
 * after "sessions").
 */
export async function analyzeCommand(files: string[], opts: AnalyzeCommandOptions): Promise<ExitCode> {
  const machine = opts.json === true || opts.ndjson === true;
  const cfg = opts.haproxyCfg !== undefined ? loadHaproxyConfig(opts.haproxyCfg) : undefined;
  const logLines = opts.haproxyLog !== undefined ? loadHaproxyLog(opts.haproxyLog) : undefined;
  const t0 = performance.now();
  const plan = await prepareCapturePoints(files, opts.clockOffset);
  const progress = Progress.enabled(machine) ? new Progress(process.stderr) : null;
  const out = opts.ndjson
    ? new StreamWriter('', '\n')
    : opts.json ? new StreamWriter(`{"formatVersion":${ANALYZE_FORMAT_VERSION},"sessions":[\n`, ',\n') : new StreamWriter('', '');
  const verdicts: Verdict[] | null = logLines ? [] : null;
  const summary = new SummaryCounts();
  let sessions = 0;
  const onSession = (s: Session): void => {
    sessions++;
    if (verdicts !== null) {
      if (s.haproxy !== null) verdicts.push(s.haproxy);
      for (const e of s.exchanges) if (e.haproxy !== null) verdicts.push(e.haproxy);
    }
    if (machine) {
      out.next();
      writeSessionJson(s, out);
    }
    else {
      summary.add(s);
      out.put(ascii(sessionText(s)) + '\n');
    }
  };
  const r = await analyze({
    files,
    ...(opts.proxy && opts.proxy.length > 0 ? { proxies: opts.proxy } : {}),
    ...(cfg ? { haproxyConfig: cfg } : {}),
    onChunk: (caps) => {
      progress?.update(caps);
      return out.flushed();
    },
    onSession,
    ledger: opts.ledger ? 'chunks' : 'exchange',
    ...(plan ? { capturePoints: { clockOffsets: plan.offsets, rank: plan.rank } } : {}),
  });
  progress?.done();
  if (opts.ndjson && sessions > 0) out.put('');
  out.flush();
  const comparison = logLines && verdicts ? compareWithLog(verdicts, logLines) : null;
  if (opts.stats) {
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(
      `proxytrace: ${r.pipeline.stats.packets} packets in ${seconds.toFixed(3)} s: ${(r.pipeline.stats.packets / seconds / 1e6).toFixed(2)} M packets/s; ` +
        `${sessions} sessions; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
    );
  }

  if (opts.ndjson) {
    // Nothing but sessions.
  } else if (opts.json) {
    const tail = {
      proxies: r.proxies.map(proxyJson),
      serverOnlyConnections: r.serverOnlyConnections.map(serverOnlyJson),
      captures: r.pipeline.captures.map(captureJson),
      ...(plan ? { capturePoints: capturePointsJson(plan, r.pointsSeen) } : {}),
      errors: r.pipeline.errors.map((e) => e.message),
      stats: r.pipeline.stats,
      ...(comparison ? { haproxyLog: comparisonJson(comparison) } : {}),
    };
    await writeOut(`${sessions > 0 ? '\n' : ''}],${asciiJson(JSON.stringify(tail)).slice(1)}\n`);
  } else {
    let text = '';
    text += serverOnlyText(r.serverOnlyConnections);
    text += summary.text(r.proxies, r.serverOnlyConnections);
    if (plan) text += capturePointsText(plan, r.pointsSeen, escapeInline);
    if (comparison) text += comparisonText(comparison);
    text += statsNotes(r.pipeline.stats);
    await writeOut(text);
  }
  return reportInputErrors(r.pipeline.errors) ?? EXIT.ok;
}

function comparisonJson(c: LogComparison): unknown {
  return {
    lines: c.lines.map((l) => ({
      logged: l.logged.raw,
      inferred: l.inferred?.logLine ?? null,
      agree: l.agree,
      differ: l.differ,
    })),
    unmatched: c.unmatched.map((v) => v.logLine),
  };
}

function comparisonText(c: LogComparison): string {
  const agreeing = c.lines.filter((l) => l.inferred !== null && l.differ.length === 0).length;
  let out = `\nHAProxy log: ${c.lines.length} traffic lines, ${agreeing} agree with the capture`;
  out += c.unmatched.length > 0 ? `, ${c.unmatched.length} inferred line(s) not in the log\n` : '\n';
  for (const l of c.lines) {
    if (l.inferred !== null && l.differ.length === 0) continue;
    out += `  logged:   ${escapeInline(l.logged.raw)}\n`;
    out += l.inferred ? `  inferred: ${escapeInline(l.inferred.logLine)}\n  differs:  ${formatDifferences(l)}\n` : '  no session in the capture matches it\n';
  }
  for (const v of c.unmatched) out += `  not in the log: ${escapeInline(v.logLine)}\n`;
  return out;
}
