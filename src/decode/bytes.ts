/**
 * Big-endian reads by index arithmetic: no DataView and no allocation on the hot path.
 * Callers check bounds first (an out-of-range typed-array read would return undefined and
 * deoptimise). Small enough that TurboFan inlines them.
 */

export function u16(d: Uint8Array, i: number): number {
  return (d[i]! << 8) | d[i + 1]!;
}

/** Unsigned 32-bit: `>>> 0` because `<< 24` can set the sign bit. */
export function u32(d: Uint8Array, i: number): number {
  return ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;
}
