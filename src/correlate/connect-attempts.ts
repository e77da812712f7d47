/**
 * Bare connection attempts (no byte either way: refused, or opened and dropped) that a proxy made
 * for one request or tcp session, told apart from its L4 health checks — identical on the wire —
 * by timing: the first attempt follows the trigger (request complete, connection accepted) within
 * 50 ms; the chain ends at an anchor, either the successful connection's SYN or the proxy's own
 * answer right after the last failure; attempts in between are evenly spaced (HAProxy retries
 * after a fixed turnaround), which checks on their own schedule rarely are.
 */
import type { Leg } from './model.js';
import { EPS, order, synTime } from './leg-util.js';

const TIGHT = 0.05;
const MAX_INTERVALS = 32;

export type AttemptAnchor =
  /** The connection that finally carried the traffic began (its SYN). */
  | { kind: 'syn'; t: number }
  /** The proxy answered or closed the client side itself (first byte of its answer, its FIN/RST). */
  | { kind: 'answer'; t: number };

export class AttemptPool {
  private readonly legs: Leg[];
  private readonly starts: number[];
  private readonly claimed = new Set<Leg>();

  /** `legs`: the proxy's connect-only server-side legs. */
  constructor(legs: readonly Leg[]) {
    this.legs = [...legs].sort((a, b) => order(synTime(a), synTime(b)));
    this.starts = this.legs.map(synTime);
  }

  isClaimed(l: Leg): boolean {
    return this.claimed.has(l);
  }

  /** The attempts made for a trigger at `trigger` (none when the first is not prompt), marked as used. */
  claim(trigger: number, anchor: AttemptAnchor | null): Leg[] {
    if (anchor !== null && anchor.kind === 'syn' && anchor.t - trigger <= TIGHT) return [];
    const first = this.firstFree(trigger - EPS, trigger + TIGHT);
    if (first === null) return [];
    const chain = [first];
    const t0 = synTime(first);
    if (anchor !== null) {
      let end: number;
      let last: Leg | null = null;
      if (anchor.kind === 'answer') {
        last = this.lastEndingBefore(anchor.t, t0);
        end = last === null || last === first ? t0 : synTime(last);
      } else {
        end = anchor.t;
      }
      if (end > t0) chain.push(...this.evenlySpaced(t0, end, first, last));
      if (last !== null && last !== first) chain.push(last);
    }
    for (const l of chain) this.claimed.add(l);
    return chain;
  }

  private firstFree(from: number, to: number): Leg | null {
    for (let i = this.lowerBound(from); i < this.legs.length && this.starts[i]! <= to; i++) {
      const l = this.legs[i]!;
      if (!this.claimed.has(l)) return l;
    }
    return null;
  }

  /** The latest free attempt that ended within TIGHT before `t` and began after `after`. */
  private lastEndingBefore(t: number, after: number): Leg | null {
    let best: Leg | null = null;
    for (let i = this.lowerBound(after - EPS); i < this.legs.length && this.starts[i]! <= t + EPS; i++) {
      const l = this.legs[i]!;
      if (this.claimed.has(l) || l.end > t + EPS || t - l.end > TIGHT) continue;
      if (best === null || l.end > best.end) best = l;
    }
    return best;
  }

  /** Attempts strictly between t0 and t1 at k-1 evenly spaced points, for the largest k that fits. */
  private evenlySpaced(t0: number, t1: number, first: Leg, last: Leg | null): Leg[] {
    for (let k = MAX_INTERVALS; k >= 2; k--) {
      const period = (t1 - t0) / k;
      const tol = Math.max(0.005, 0.02 * period);
      const found: Leg[] = [];
      for (let j = 1; j < k; j++) {
        const at = t0 + j * period;
        const hit = this.nearestFree(at, tol, [first, ...(last ? [last] : []), ...found]);
        if (hit === null) break;
        found.push(hit);
      }
      if (found.length === k - 1) return found;
    }
    return [];
  }

  private nearestFree(at: number, tol: number, exclude: Leg[]): Leg | null {
    let best: Leg | null = null;
    for (let i = this.lowerBound(at - tol); i < this.legs.length && this.starts[i]! <= at + tol; i++) {
      const l = this.legs[i]!;
      if (this.claimed.has(l) || exclude.includes(l)) continue;
      if (best === null || Math.abs(synTime(l) - at) < Math.abs(synTime(best) - at)) best = l;
    }
    return best;
  }

  private lowerBound(v: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
