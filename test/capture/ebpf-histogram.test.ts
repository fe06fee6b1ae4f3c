/**
 * Summary mode's in-kernel latency histogram: 64 log-linear buckets per power
 * of two. Stated resolution: a percentile is within 1/128 (0.78%) of the exact
 * nearest-rank value (exact below 128 ns). The BPF code that buckets a value
 * is checked against the TypeScript mirror by evaluating it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PERCENTILE_RESOLUTION, bucketBounds, bucketBpf, bucketOf, bucketValue, percentileOf } from '../../src/capture/ebpf/histogram.js';

/** Runs the generated bpftrace statements as JavaScript over BigInt (uint64 semantics for these values). */
function runBucketBpf(value: bigint): bigint {
  const js = bucketBpf('$lat')
    .replace(/\(uint64\)/g, '')
    .replace(/\b(\d+)\b/g, '$1n');
  return Function('$lat', `let $v, $e, $b; ${js} return $b;`)(value) as bigint;
}

const exactPercentile = (sorted: number[], p: number): number => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;

describe('summary-mode latency histogram', () => {
  it('states its resolution: 1/128', () => {
    assert.equal(PERCENTILE_RESOLUTION, 1 / 128);
  });

  it('puts every value inside its bucket; buckets are at most 1/64 of their lower bound wide', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (value) => {
        const bucket = bucketOf(value);
        const [low, high] = bucketBounds(bucket);
        assert.ok(low <= value && value < high, `${value} in [${low}, ${high})`);
        if (value >= 128) assert.ok((high - low) / low <= 1 / 64);
        else assert.equal(bucketValue(bucket), value);
      }),
    );
  });

  it('is monotonic and contiguous across powers of two', () => {
    let previous = -1;
    for (let value = 0; value < 70_000; value++) {
      const bucket = bucketOf(value);
      assert.ok(bucket === previous || bucket === previous + 1, `no gap at ${value}`);
      previous = bucket;
    }
  });

  it('the BPF code computes the same bucket as bucketOf', () => {
    const values = [0, 1, 2, 3, 63, 64, 127, 128, 129, 255, 256, 1000, 4095, 4096, 65535, 65536, 1_000_000, 7_098_042, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345];
    for (const value of values) assert.equal(Number(runBucketBpf(BigInt(value))), bucketOf(value), `value ${value}`);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (value) => Number(runBucketBpf(BigInt(value))) === bucketOf(value)));
  });

  it('percentiles are within the stated resolution of the exact nearest-rank value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 400 }), fc.constantFrom(50, 95, 99), (values, p) => {
        const buckets = new Map<number, number>();
        for (const value of values) buckets.set(bucketOf(value), (buckets.get(bucketOf(value)) ?? 0) + 1);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = exactPercentile(sorted, p);
        const estimate = percentileOf(buckets, p, sorted[0]!, sorted.at(-1)!);
        assert.ok(Math.abs(estimate - exact) <= exact * PERCENTILE_RESOLUTION + 0.5, `p${p}: ${estimate} vs exact ${exact}`);
      }),
    );
  });

  it('an empty histogram has 0 percentiles; the result is clamped to the exact min and max', () => {
    assert.equal(percentileOf(new Map(), 99, 0, 0), 0);
    assert.equal(percentileOf(new Map([[bucketOf(1000), 1]]), 50, 1000, 1000), 1000);
  });
});
