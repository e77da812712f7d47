/**
 * HAProxy time values (configuration manual 2.5, tools.c parse_time_err): digits then an optional
 * unit among us, ms, s, m, h, d; a bare number is milliseconds. Results are rounded up to whole
 * milliseconds (1500us = 2 ms), must stay below 2^31 ms (~24.8 days), and characters after a
 * valid unit only draw a warning ("1s5" is 1000 ms) while an unknown unit is an error.
 */

export type TimeParse = { ms: number; warning: string | null } | { error: string };

const UNITS: Record<string, [mult: number, div: number]> = {
  '': [1, 1],
  us: [1, 1000],
  ms: [1, 1],
  s: [1000, 1],
  m: [60_000, 1],
  h: [3_600_000, 1],
  d: [86_400_000, 1],
};

export const MAX_TIME_MS = 0x7fffffff;

export function parseHaproxyTime(text: string): TimeParse {
  const m = /^([0-9]+)(.*)$/.exec(text);
  if (m === null) return { error: `'${text}' is not a time value (digits and an optional unit: us, ms, s, m, h, d)` };
  const digits = m[1] ?? '';
  const rest = m[2] ?? '';
  // Longest unit first: "ms" before "m", "us" before an unknown "u".
  const unit = rest.startsWith('us') ? 'us' : rest.startsWith('ms') ? 'ms' : /^[smhd]/.test(rest) ? rest.charAt(0) : rest === '' ? '' : null;
  if (unit === null) return { error: `unexpected character '${rest.charAt(0)}' in time value '${text}'` };
  const trailing = rest.slice(unit.length);
  const [mult, div] = UNITS[unit] ?? [1, 1];
  const value = BigInt(digits);
  const ms = (value * BigInt(mult) + BigInt(div - 1)) / BigInt(div);
  if (ms > BigInt(MAX_TIME_MS)) return { error: `timer overflow in '${text}' (maximum value is 2147483647 ms or ~24.8 days)` };
  const warning = trailing === '' ? null : `unexpected character '${trailing.charAt(0)}' after the timer value '${text}' (ignored)`;
  return { ms: Number(ms), warning };
}
