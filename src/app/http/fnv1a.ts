/**
 * FNV-1a 32-bit, incremental: fast, no allocation, good enough to tell "same body" from
 * "changed body" across the two legs of a proxy (not a cryptographic digest).
 */

export const FNV1A_INIT = 0x811c9dc5;

/** Folds `data[start, end)` into `h` and returns the new state. */
export function fnv1aUpdate(h: number, data: Uint8Array, start = 0, end = data.length): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

/** 8 lower-case hex digits. */
export function fnv1aHex(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}
