/**
 * Builds a capture point's sightings by running the pipeline (capture → decode → tcp) on one
 * file with a SightingCollector. Each file is read on its own: its packets are timed by its own
 * clock, which is what the estimator compares.
 *
 * (This is wiring: it belongs next to runPipeline. It lives here until pipeline.ts takes it, and
 * pipeline.ts must then import sightings/estimate, not this module, to avoid an import cycle.)
 */
import { runPipeline } from '../pipeline.js';
import { SightingCollector, type CapturePointPackets } from './sightings.js';

export async function collectCapturePoint(file: string, options: { maxSightings?: number } = {}): Promise<CapturePointPackets> {
  const collector = new SightingCollector(options);
  const r = await runPipeline({ files: [file], handler: collector, recycleConnections: true });
  return collector.result(file, r.errors.map((e) => e.message));
}

/** One capture point per file, in the order given (files are read one after the other). */
export async function collectCapturePoints(files: readonly string[], options: { maxSightings?: number } = {}): Promise<CapturePointPackets[]> {
  const out: CapturePointPackets[] = [];
  for (const f of files) out.push(await collectCapturePoint(f, options));
  return out;
}
