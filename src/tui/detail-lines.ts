/** The lines of a detail tab for a session (pure; memoized by the app). */
import type { LineComparison, Verdict } from '../correlate/haproxy/compare-log.js';
import type { Leg, Session } from '../correlate/model.js';
import { bytesLines, type BytesDirection } from './bytes-view.js';
import { headersLines } from './headers-view.js';
import { ladderLines } from './ladder.js';
import type { Tab } from './state.js';
import type { Line } from './text-line.js';
import { verdictLines } from './verdict-view.js';

export interface DetailParams {
  tab: Tab;
  exchange: number;
  serverLeg: number;
  hex: boolean;
  direction: BytesDirection;
  width: number;
}

export function detailLines(s: Session, legs: ReadonlyMap<string, Leg> | undefined, logIndex: ReadonlyMap<Verdict, LineComparison> | null, p: DetailParams): Line[] {
  switch (p.tab) {
    case 'ladder': return ladderLines(s, legs, p.width);
    case 'headers': return headersLines(s, legs, p.exchange, p.width);
    case 'bytes': return bytesLines(s, legs, { serverLeg: p.serverLeg, direction: p.direction, hex: p.hex, width: p.width });
    case 'verdict': return verdictLines(s, logIndex, p.width);
  }
}
