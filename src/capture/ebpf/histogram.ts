/**
 * The latency histogram kept in the kernel by summary mode: log-linear
 * buckets, 64 per power of two, so every bucket is at most 1/64 of its lower
 * bound wide. A percentile reported as its bucket's midpoint is therefore
 * within 1/128 (0.78%) of the exact nearest-rank value; values below 128 ns
 * have their own bucket and are exact. (bpftrace's `hist()` has one bucket
 * per power of two: percentiles off by up to 50%.)
 *
 * The bucket of a value, as computed by the BPF program (see `bucketBpf`):
 * below 128 the value itself; otherwise, with e = floor(log2(v)),
 * 64·(e − 5) + the 6 bits after the leading one.
 */

/** Sub-buckets per power of two (2^SUB_BITS). */
export const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;

/** Worst-case relative error of a percentile from this histogram. */
export const PERCENTILE_RESOLUTION = 1 / (2 * SUB);

export function bucketOf(value: number): number {
  if (value < 2 * SUB) return Math.max(0, Math.floor(value));
  const e = Math.floor(Math.log2(value));
  // Math.log2 can round up just below a power of two.
  const exp = 2 ** e > value ? e - 1 : e;
  const mantissa = Math.floor(value / 2 ** (exp - SUB_BITS)) - SUB;
  return SUB * (exp - SUB_BITS + 1) + mantissa;
}

/** [low, high) of a bucket in ns. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket < 2 * SUB) return [bucket, bucket + 1];
  const exp = Math.floor(bucket / SUB) + SUB_BITS - 1;
  const mantissa = bucket % SUB;
  const width = 2 ** (exp - SUB_BITS);
  const low = (SUB + mantissa) * width;
  return [low, low + width];
}

/** The value a bucket stands for: exact below 128, else the middle of the bucket. */
export function bucketValue(bucket: number): number {
  const [low, high] = bucketBounds(bucket);
  return high - low === 1 ? low : Math.floor((low + high) / 2);
}

/**
 * Nearest-rank percentile (0 < p ≤ 100) from bucket counts, clamped to the
 * exact min and max the kernel also kept.
 */
export function percentileOf(buckets: ReadonlyMap<number, number>, p: number, min: number, max: number): number {
  let total = 0;
  for (const count of buckets.values()) total += count;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket)!;
    if (seen >= rank) return Math.min(max, Math.max(min, bucketValue(bucket)));
  }
  return max;
}

/**
 * bpftrace statements that set `$b` to the bucket of `$value` (an unsigned
 * nanosecond count), mirroring `bucketOf`: a branch-free-ish floor(log2) by
 * halving, then the SUB_BITS bits after the leading one.
 */
export function bucketBpf(value: string): string {
  return [
    `$v = ${value}; $e = (uint64)0;`,
    'if ($v >= 4294967296) { $v = $v >> 32; $e = $e + 32; }',
    'if ($v >= 65536) { $v = $v >> 16; $e = $e + 16; }',
    'if ($v >= 256) { $v = $v >> 8; $e = $e + 8; }',
    'if ($v >= 16) { $v = $v >> 4; $e = $e + 4; }',
    'if ($v >= 4) { $v = $v >> 2; $e = $e + 2; }',
    'if ($v >= 2) { $e = $e + 1; }',
    `$b = ${value};`,
    `if (${value} >= ${2 * SUB}) { $b = ${SUB} * ($e - ${SUB_BITS - 1}) + ((${value} >> ($e - ${SUB_BITS})) & ${SUB - 1}); }`,
  ].join(' ');
}
