import v8 from 'node:v8';

/**
 * `--low-memory`: a lower peak RSS for a longer run. By default V8 lets the old generation grow
 * to about 4x the live set between full collections and the young generation to 16 MB
 * semi-spaces; analyze's live set is small (~45 MB on the 1 M-packet bench capture) but what
 * connections leave behind is promoted, so the heap balloons (~300 MB RSS). With a 1.5x growing
 * factor and the young generation kept at its initial size, RSS stays under 150 MB there for
 * ~30% more time (BENCHMARKS.md). V8 reads both flags at every collection, so setting them at
 * run time takes effect, if before the heap has grown (main.ts); an engine that drops them ignores them.
 */
export function lowerMemoryCeiling(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=50');
}
