/**
 * Log-linear latency histogram in microseconds, in the style of HdrHistogram:
 * values below 256 µs have a bucket each; above, every power of two is split
 * into 128 equal buckets, so a bucket's midpoint is within 0.4% of any value
 * in it. Values are clamped to [0, 2^32) µs (about 71 minutes).
 *
 * Recording is one array increment. Histograms from several threads merge by
 * summing their counts, so percentiles of the merge are exact up to bucket
 * width, unlike averaging per-thread percentiles.
 *
 * Why not hdr-histogram-js: its JavaScript build records in ~65-140 ns, its
 * WebAssembly build in ~20 ns (and needs an async init per thread and an
 * explicit destroy() per histogram), against ~5-12 ns here; the generator
 * records once per delivered message, on the cores the servers under test
 * use. Sending one between threads also means its compressed encoding
 * (~13 ms per histogram) instead of a structured clone of the counts.
 * histogram.test.ts checks our percentiles against it.
 */

const SUB_BITS = 8;
const LINEAR = 1 << SUB_BITS;
const HALF = LINEAR >> 1;
const MAX_US = 0xffff_ffff;
export const BUCKETS = LINEAR + (32 - SUB_BITS) * HALF;

/** What travels between threads and processes (structured-clone friendly). */
export interface HistogramData {
  counts: Float64Array;
  total: number;
  /** Exact largest value recorded, µs. */
  max: number;
  /** Sum of recorded values, µs (for the mean). */
  sum: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function bucketOf(us: number): number {
  if (!(us > 0)) return 0;
  if (us < LINEAR) return us | 0;
  const v = us >= MAX_US ? MAX_US : us >>> 0;
  const exp = 31 - Math.clz32(v);
  const top = v >>> (exp - (SUB_BITS - 1));
  return LINEAR + (exp - SUB_BITS) * HALF + (top - HALF);
}

/** The value a bucket stands for: its midpoint (its value, below 256 µs). */
export function bucketValue(index: number): number {
  if (index < LINEAR) return index;
  const k = index - LINEAR;
  const exp = SUB_BITS + Math.floor(k / HALF);
  const width = 2 ** (exp - (SUB_BITS - 1));
  return (HALF + (k % HALF)) * width + width / 2;
}

export class Histogram implements HistogramData {
  counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;
  sum = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]!++;
    this.total++;
    if (us > this.max) this.max = us;
    this.sum += us;
  }

  /** Adds another histogram's counts into this one. */
  merge(other: HistogramData): void {
    const counts = this.counts;
    const theirs = other.counts;
    for (let i = 0; i < BUCKETS; i++) counts[i]! += theirs[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** A copy to send elsewhere; this histogram keeps counting. */
  snapshot(): HistogramData {
    return { counts: this.counts.slice(), total: this.total, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }

  /** Value at quantile q (0..1), µs; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.total,
      p50Ms: ms(this.quantile(0.5)),
      p95Ms: ms(this.quantile(0.95)),
      p99Ms: ms(this.quantile(0.99)),
      maxMs: ms(this.max),
      meanMs: this.total === 0 ? 0 : ms(this.sum / this.total),
    };
  }
}
