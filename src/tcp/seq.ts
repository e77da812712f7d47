/**
 * TCP sequence-number arithmetic, all in one place. Sequence numbers are unsigned 32-bit and
 * wrap; every comparison goes through the signed 32-bit difference (RFC 1982 serial arithmetic),
 * which is right as long as the two numbers are less than 2^31 apart.
 */

/** Signed distance from `b` to `a` (a - b), in (-2^31, 2^31]. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n, wrapped to unsigned 32 bits. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function seqLT(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLE(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGT(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
