/** Small pure helpers for latency samples (tested in test/unit/bench-peers.test.ts). */

/**
 * The p-th percentile (0 < p ≤ 100) of ascending samples by the nearest-rank method:
 * the smallest sample with at least p% of the samples at or below it. Nearest rank
 * rather than interpolation, so every figure reported is a latency that was observed.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  samples: number;
}

/** p50 and p99 of unsorted samples (the input is left as it was). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
}

/** The middle value (lower middle for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}
