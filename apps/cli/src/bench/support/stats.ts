/** Bucket growth factor: each bucket is 2% wider than the one before (percentiles within 2%). */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Values are kept in microseconds; the first bucket holds everything up to 1 µs. */
const UNIT = 1000;

/** Sparse histogram counts by bucket index, as sent between processes. */
export type HistogramData = Record<string, number>;

/**
 * A log-bucketed latency histogram (milliseconds in, milliseconds out). Cheap to record into
 * at tens of thousands of samples a second, small to send over IPC, and mergeable across
 * processes, which percentiles are not.
 */
export class Histogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  private sum = 0;
  max = 0;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    const micros = value * UNIT;
    const index = micros <= 1 ? 0 : Math.ceil(Math.log(micros) / LOG_GROWTH);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  merge(data: HistogramSnapshot): void {
    for (const [key, count] of Object.entries(data.buckets)) {
      const index = Number(key);
      this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    }
    this.count += data.count;
    this.sum += data.sum;
    if (data.max > this.max) this.max = data.max;
  }

  /** The value below which `q` (0–1) of the samples fall, to bucket precision; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const index of indexes) {
      seen += this.buckets.get(index) ?? 0;
      if (seen >= rank) return Math.min(this.max, GROWTH ** index / UNIT);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  snapshot(): HistogramSnapshot {
    return {
      buckets: Object.fromEntries(this.buckets),
      count: this.count,
      sum: this.sum,
      max: this.max,
    };
  }
}

export interface HistogramSnapshot {
  buckets: HistogramData;
  count: number;
  sum: number;
  max: number;
}

/** Merges snapshots from several load generators. */
export function mergeHistograms(snapshots: HistogramSnapshot[]): Histogram {
  const merged = new Histogram();
  for (const snapshot of snapshots) merged.merge(snapshot);
  return merged;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
