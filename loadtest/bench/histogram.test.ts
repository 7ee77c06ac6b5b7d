import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { BUCKETS, Histogram, bucketOf, bucketValue } from './histogram.js';

test('every value maps to a bucket whose midpoint is within 0.4% of it', () => {
  for (let v = 0; v < 5_000_000; v = v < 1000 ? v + 1 : Math.ceil(v * 1.003)) {
    const b = bucketOf(v);
    assert.ok(b >= 0 && b < BUCKETS, `bucket of ${v}`);
    if (v > 0) assert.ok(Math.abs(bucketValue(b) - v) / v <= 0.004, `value ${v} → ${bucketValue(b)}`);
  }
  assert.equal(bucketOf(2 ** 40), BUCKETS - 1);
  assert.equal(bucketOf(-5), 0);
});

test('quantiles of merged histograms are those of the combined values', () => {
  const a = new Histogram();
  const b = new Histogram();
  for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 1000);
  const m = Histogram.from(a.snapshot());
  m.merge(b.snapshot());
  const s = m.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50Ms - 500) <= 2, `p50 ${s.p50Ms}`);
  assert.ok(Math.abs(s.p99Ms - 990) <= 4, `p99 ${s.p99Ms}`);
  assert.equal(s.maxMs, 1000);
});

test('percentiles agree with HdrHistogram (hdr-histogram-js) on the same values, within bucket precision', () => {
  const ours = new Histogram();
  const reference = hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 32 - 1 });
  // A long-tailed spread from 50 µs to ~2 s, from a fixed seed.
  let seed = 12345;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 100_000; i++) {
    const us = Math.round(50 + random() ** 3 * 2_000_000);
    ours.record(us);
    reference.recordValue(us);
  }
  for (const p of [50, 90, 95, 99, 99.9]) {
    const a = ours.quantile(p / 100);
    const b = reference.getValueAtPercentile(p);
    // Our buckets are within 0.4% of their values, HdrHistogram's (3 digits) within 0.1%.
    assert.ok(Math.abs(a - b) / b <= 0.005, `p${p}: ours ${a} µs, HdrHistogram ${b} µs`);
  }
  assert.equal(ours.total, reference.totalCount);
  reference.destroy();
});
