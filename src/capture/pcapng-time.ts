/**
 * pcapng timestamps: a 64-bit tick count (two 32-bit halves) in units of if_tsresol, plus
 * if_tsoffset seconds. Converted to (sec, nsec) exactly with doubles where possible; ticks
 * beyond 2^53 (e.g. nanoseconds since 1970) take a 16-bit long division, not BigInt, to keep
 * the per-packet path allocation-free. Only resolutions finer than 2^-32 s use BigInt.
 */

export interface TimeBase {
  /** Ticks per second. */
  readonly units: number;
  readonly unitsBig: bigint;
  /** units < 2^32: the Number paths are exact. */
  readonly fast: boolean;
  /** nsec = floor(rem * nsMul / nsDiv), exact in doubles when fast. */
  readonly nsMul: number;
  readonly nsDiv: number;
  /** if_tsoffset, seconds added to every timestamp. */
  readonly offsetSec: number;
}

/** From the raw if_tsresol byte (default 6): bit 7 clear = 10^-v, set = 2^-v. */
export function timeBase(tsresol: number, offsetSec = 0): TimeBase {
  const v = tsresol & 0x7f;
  const binary = (tsresol & 0x80) !== 0;
  const unitsBig = binary ? 1n << BigInt(v) : 10n ** BigInt(v);
  const units = Number(unitsBig);
  const fast = unitsBig < 1n << 32n;
  let nsMul = 1;
  let nsDiv = 1;
  if (!binary) {
    // 10^-v, v <= 9 when fast: an integer factor.
    nsMul = fast ? 10 ** (9 - v) : 1;
  } else if (v <= 9) {
    nsMul = 1e9 / 2 ** v;
  } else {
    // 1e9 = 1953125 * 2^9; rem < 2^32 so rem * 1953125 < 2^53.
    nsMul = 1953125;
    nsDiv = 2 ** (v - 9);
  }
  return { units, unitsBig, fast, nsMul, nsDiv, offsetSec };
}

/** Output of toTime, reused. */
export interface SecNsec {
  tsSec: number;
  tsNsec: number;
}

export function toTime(tb: TimeBase, high: number, low: number, out: SecNsec): void {
  if (!tb.fast) return toTimeBig(tb, high, low, out);
  const u = tb.units;
  let q: number;
  let r: number;
  if (high < 0x200000) {
    // Below 2^53: one exact division (corrected for rounding of the quotient).
    const t = high * 4294967296 + low;
    q = Math.floor(t / u);
    r = t - q * u;
  } else {
    // Long division by u in base 2^16: every partial value stays below 2^48.
    q = 0;
    r = 0;
    for (let i = 0; i < 4; i++) {
      const d = i === 0 ? high >>> 16 : i === 1 ? high & 0xffff : i === 2 ? low >>> 16 : low & 0xffff;
      const cur = r * 65536 + d;
      let qd = Math.floor(cur / u);
      r = cur - qd * u;
      if (r < 0) { qd--; r += u; } else if (r >= u) { qd++; r -= u; }
      q = q * 65536 + qd;
    }
  }
  if (r < 0) { q--; r += u; } else if (r >= u) { q++; r -= u; }
  out.tsSec = q + tb.offsetSec;
  out.tsNsec = tb.nsDiv === 1 ? r * tb.nsMul : Math.floor((r * tb.nsMul) / tb.nsDiv);
}

function toTimeBig(tb: TimeBase, high: number, low: number, out: SecNsec): void {
  const t = (BigInt(high) << 32n) | BigInt(low);
  const rem = t % tb.unitsBig;
  out.tsSec = Number(t / tb.unitsBig) + tb.offsetSec;
  out.tsNsec = Number((rem * 1_000_000_000n) / tb.unitsBig);
}
