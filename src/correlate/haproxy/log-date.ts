/**
 * The date in HAProxy's traffic logs, "[21/Nov/2026:07:56:32.325]" (%t / %tr: local time of the
 * HAProxy host, millisecond resolution, no zone written). Read as UTC unless an offset is given.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DATE = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/;

/** Epoch ms of "dd/Mon/yyyy:HH:MM:SS.mmm" written at utcOffsetMinutes east of UTC; null if malformed. */
export function parseLogDate(text: string, utcOffsetMinutes = 0): number | null {
  const m = DATE.exec(text);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[2] ?? '');
  if (month < 0) return null;
  const [d, y, hh, mm, ss, ms] = [m[1], m[3], m[4], m[5], m[6], m[7]].map(Number) as [number, number, number, number, number, number];
  if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return null;
  return Date.UTC(y, month, d, hh, mm, ss, ms) - utcOffsetMinutes * 60_000;
}

/** The last second formatted (log lines come in time order: most share it). */
let cachedSecond = NaN;
let cachedText = '';

/** "dd/Mon/yyyy:HH:MM:SS." of a whole epoch second (UTC): the part of a log date before its milliseconds. */
export function logDateSecondText(second: number): string {
  if (second !== cachedSecond) {
    const t = new Date(second * 1000);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    cachedText = `${p2(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}.`;
    cachedSecond = second;
  }
  return cachedText;
}

export function formatLogDate(epochMs: number, utcOffsetMinutes = 0): string {
  const local = epochMs + utcOffsetMinutes * 60_000;
  const ms = new Date(local).getUTCMilliseconds();
  return logDateSecondText(Math.floor(local / 1000)) + (ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : String(ms));
}
