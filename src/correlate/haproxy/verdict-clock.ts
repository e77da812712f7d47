/**
 * HAProxy's millisecond timers, reproduced from capture times. HAProxy stamps each event with the
 * `now` of its poll loop and logs differences from the stream's accept time with tv_ms_elapsed(),
 * which truncates the seconds and microseconds parts separately; every timer is then a difference
 * of two such truncated values (manual 8.4). Doing the same arithmetic here (rather than rounding
 * the real interval) is what keeps the inferred timers within 1 ms of the logged ones.
 */

/** tv_ms_elapsed(from, to) for epoch-second times (microsecond resolution, as captured). */
export function msElapsed(from: number, to: number): number {
  const [s1, u1] = split(from);
  const [s2, u2] = split(to);
  return (s2 - s1) * 1000 + Math.trunc((u2 - u1) / 1000);
}

function split(t: number): [number, number] {
  let s = Math.floor(t);
  let u = Math.round((t - s) * 1e6);
  if (u >= 1_000_000) {
    s += 1;
    u -= 1_000_000;
  }
  return [s, u];
}

/** Milliseconds since `origin`, or -1 when the event never happened (HAProxy's "not reached"). */
export function msOrUnset(origin: number, t: number | null): number {
  return t === null ? -1 : msElapsed(origin, t);
}

/** The date HAProxy prints: a date plus whole milliseconds, itself truncated to the millisecond. */
export function logDateMs(date: number, plusMs = 0): number {
  const [s, u] = split(date);
  return s * 1000 + Math.floor(u / 1000) + plusMs;
}
