/** Order statistics over raw samples: no histograms, no interpolation. */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The nearest-rank percentile of ascending `sorted` samples: the smallest sample with at least
 * `p` per cent of all samples at or below it. NaN when there are none.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Sorts a copy of `samples` and reads the usual percentiles from it. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  let sum = 0;
  for (const v of values) sum += v;
  return {
    n: values.length,
    min: values[0] ?? Number.NaN,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values[values.length - 1] ?? Number.NaN,
    mean: values.length > 0 ? sum / values.length : Number.NaN,
  };
}

/** Events (or requests) per second over `count` items in `ms` milliseconds. */
export function ratePerSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1_000) / ms : Number.NaN;
}

/** The middle value (upper middle for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
