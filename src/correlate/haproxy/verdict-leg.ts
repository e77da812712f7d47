/**
 * Small questions asked of one Leg by the verdict and drop code: who closed which direction first
 * and when, how far the receiver acknowledged, when a given byte was seen, and the proxy's first
 * visible packet after an event (HAProxy's clock for that event: see verdict-clock.ts).
 */
import type { Leg, LegDirection } from '../model.js';

export type CloseKind = 'fin' | 'rst';

export interface CloseEvent {
  ts: number;
  kind: CloseKind;
}

/** The first FIN or RST the sender of this direction sent, or null. */
export function firstClose(d: LegDirection): CloseEvent | null {
  if (d.finTs === null && d.rstTs === null) return null;
  if (d.rstTs === null || (d.finTs !== null && d.finTs <= d.rstTs)) return { ts: d.finTs!, kind: 'fin' };
  return { ts: d.rstTs, kind: 'rst' };
}

/** firstClose(d)?.ts ?? null, without the event. */
export function firstCloseTs(d: LegDirection): number | null {
  const fin = d.finTs;
  const rst = d.rstTs;
  if (rst === null) return fin;
  return fin !== null && fin <= rst ? fin : rst;
}

/** How far the receiver acknowledged this direction (stream offset, the FIN's sequence excluded). */
export function ackedOffset(d: LegDirection): number {
  const last = d.acks.length >= 2 ? d.acks[d.acks.length - 2]! : 0;
  return Math.min(last, d.bytes);
}

/** When the receiver acknowledged `offset` (its first ACK at or past it), or null. */
export function ackTime(d: LegDirection, offset: number): number | null {
  for (let i = 0; i + 1 < d.acks.length; i += 2) if (d.acks[i]! >= offset) return d.acks[i + 1]!;
  return null;
}

/** Capture time of the segment that carried the byte at `offset`, or null when it was not seen. */
export function timeAtOffset(d: LegDirection, offset: number): number | null {
  for (let i = 0; i + 2 < d.chunks.length; i += 3) {
    const start = d.chunks[i]!;
    if (offset >= start && offset < start + d.chunks[i + 1]!) return d.chunks[i + 2]!;
  }
  return null;
}

/** Capture times of the segments carrying bytes of [from, to), in order. */
export function timesInRange(d: LegDirection, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 < d.chunks.length; i += 3) {
    const start = d.chunks[i]!;
    const end = start + d.chunks[i + 1]!;
    if (end > from && start < to) out.push(d.chunks[i + 2]!);
  }
  return out;
}

/** Last time this direction carried data at or before `ts` (null: none). */
export function lastDataBefore(d: LegDirection, ts: number): number | null {
  let last: number | null = null;
  for (let i = 0; i + 2 < d.chunks.length; i += 3) {
    const t = d.chunks[i + 2]!;
    if (t <= ts && (last === null || t > last)) last = t;
  }
  return last;
}

/** The server never answered the SYN with a SYN-ACK (refused with RST, or unanswered). */
export function neverEstablished(leg: Leg): boolean {
  return leg.synAckTs === null;
}

/** Refused: the SYN was answered with a RST. */
export function refused(leg: Leg): boolean {
  return leg.synAckTs === null && leg.dirs[1].rstTs !== null;
}

/** The earliest of these times (nulls ignored), or null. */
export function earliest(...ts: (number | null | undefined)[]): number | null {
  let best: number | null = null;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t !== null && t !== undefined && (best === null || t < best)) best = t;
  }
  return best;
}

export function latest(...ts: (number | null | undefined)[]): number | null {
  let best: number | null = null;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t !== null && t !== undefined && (best === null || t > best)) best = t;
  }
  return best;
}

/**
 * HAProxy stamps an event with the `now` of the poll loop that handled it, and reacts in that same
 * loop; so when the proxy's reaction (a SYN, a forwarded byte, an answer) follows within a few ms,
 * its capture time is closer to HAProxy's clock than the arrival of the packet that caused it.
 */
export const REACTION_WINDOW = 0.005;

export function reactionTo(arrival: number, reactions: (number | null | undefined)[], window = REACTION_WINDOW): number {
  let best = Infinity;
  for (let i = 0; i < reactions.length; i++) best = earlierReaction(arrival, window, best, reactions[i]);
  return best === Infinity ? arrival : best;
}

/** reactionTo(arrival, [a, b, c], window) without the list (asked a few times per exchange). */
export function reactionOf(arrival: number, window: number, a: number | null | undefined, b: number | null = null, c: number | null = null): number {
  const best = earlierReaction(arrival, window, earlierReaction(arrival, window, earlierReaction(arrival, window, Infinity, a), b), c);
  return best === Infinity ? arrival : best;
}

/** The earlier of `best` (Infinity: none yet) and r, when r is a reaction within the window. */
function earlierReaction(arrival: number, window: number, best: number, r: number | null | undefined): number {
  if (r === null || r === undefined || r < arrival || r - arrival > window) return best;
  return r < best ? r : best;
}
