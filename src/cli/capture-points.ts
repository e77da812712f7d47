/**
 * The commands' side of several capture points: `--clock-offset FILE=±S` parsed, the first pass
 * and the estimate run (two files or more only: one file pays nothing), and the warnings printed
 * on stderr, one line each.
 */
import { parseClockOffset } from '../clock/override.js';
import { UsageError } from '../errors.js';
import { planCapturePoints, type CapturePointPlan } from '../multipoint.js';
import { escapeInline } from '../report/escape.js';

export async function prepareCapturePoints(files: readonly string[], clockOffsets: readonly string[] | undefined): Promise<CapturePointPlan | null> {
  const overrides = (clockOffsets ?? []).map(parseClockOffset);
  if (files.length < 2) {
    if (overrides.length > 0) throw new UsageError('--clock-offset needs two capture files or more (one per capture point)');
    return null;
  }
  const plan = await planCapturePoints(files, overrides);
  for (const w of plan.warnings) process.stderr.write(`proxytrace: warning: ${escapeInline(w)}\n`);
  return plan;
}
