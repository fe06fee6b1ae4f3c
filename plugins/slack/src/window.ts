/**
 * Per-syscall statistics over a sliding window of event time, bounded in
 * memory: the window is cut into slots (a tenth of it each), a slot keeps
 * counts and a compact latency histogram, and the window's totals are kept
 * running (added on each event, subtracted when a slot leaves the window).
 */

/** Latency histogram bucket (its lower bound), within 0.2%: exact below 1024 ns, above that the top 10 significant bits. */
export function latencyBucket(ns: number): number {
  if (ns < 1024) return Math.max(0, Math.floor(ns));
  const shift = Math.floor(Math.log2(ns)) - 9;
  const step = 2 ** shift;
  return Math.floor(ns / step) * step;
}

interface Tally {
  count: number;
  errors: number;
  totalNs: number;
  maxNs: number;
  errnos: Map<string, number>;
  latencies: Map<number, number>;
  /** Per threshold (see SyscallWindow): how many latencies are >= it. Exact, unlike the histogram. */
  atLeast: number[];
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}

/**
 * One syscall's window. `thresholds` are the latencies rules compare
 * percentiles with: for them `percentileAtLeast` is exact.
 */
export class SyscallWindow {
  private readonly slots = new Map<number, Tally>();
  private readonly total: Tally;
  private readonly thresholdIndex: Map<number, number>;

  constructor(
    readonly name: string,
    private readonly thresholds: readonly number[] = [],
  ) {
    this.thresholdIndex = new Map(thresholds.map((threshold, index) => [threshold, index]));
    this.total = this.newTally();
  }

  private newTally(): Tally {
    return { count: 0, errors: 0, totalNs: 0, maxNs: 0, errnos: new Map(), latencies: new Map(), atLeast: this.thresholds.map(() => 0) };
  }

  add(slot: number, latencyNs: number, errno: string): void {
    let tally = this.slots.get(slot);
    if (tally === undefined) {
      tally = this.newTally();
      this.slots.set(slot, tally);
    }
    for (const target of [tally, this.total]) {
      target.count++;
      target.totalNs += latencyNs;
      bump(target.latencies, latencyBucket(latencyNs), 1);
      for (let i = 0; i < this.thresholds.length; i++) if (latencyNs >= this.thresholds[i]!) target.atLeast[i]!++;
      if (errno !== '') {
        target.errors++;
        bump(target.errnos, errno, 1);
      }
    }
    if (latencyNs > tally.maxNs) tally.maxNs = latencyNs;
  }

  /** Drops the slots before `oldestKept`. */
  expire(oldestKept: number): void {
    for (const [index, tally] of this.slots) {
      if (index >= oldestKept) continue;
      this.total.count -= tally.count;
      this.total.errors -= tally.errors;
      this.total.totalNs -= tally.totalNs;
      for (const [errno, n] of tally.errnos) bump(this.total.errnos, errno, -n);
      for (const [bucket, n] of tally.latencies) bump(this.total.latencies, bucket, -n);
      tally.atLeast.forEach((n, i) => (this.total.atLeast[i]! -= n));
      this.slots.delete(index);
    }
  }

  get count(): number {
    return this.total.count;
  }

  get errors(): number {
    return this.total.errors;
  }

  /** errors / count in percent, two decimals (as in stats records). */
  get errorPct(): number {
    return this.total.count === 0 ? 0 : Math.round((this.total.errors / this.total.count) * 10000) / 100;
  }

  get avgNs(): number {
    return this.total.count === 0 ? 0 : Math.round(this.total.totalNs / this.total.count);
  }

  get maxNs(): number {
    let max = 0;
    for (const tally of this.slots.values()) if (tally.maxNs > max) max = tally.maxNs;
    return max;
  }

  errnoCount(errno: string): number {
    return this.total.errnos.get(errno) ?? 0;
  }

  /** errno → count, most frequent first. */
  errorBreakdown(): Record<string, number> {
    return Object.fromEntries([...this.total.errnos].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  }

  /** 1-based nearest rank of percentile p; `p * n / 100` first, so 99 % of 100 is exactly 99. */
  private rank(p: number): number {
    return Math.max(1, Math.ceil((p * this.total.count) / 100));
  }

  /**
   * Is the p-th percentile >= threshold? Exact for a threshold given to the
   * constructor: the rank-th smallest latency is >= T iff fewer than rank
   * latencies are below T.
   */
  percentileAtLeast(p: number, threshold: number): boolean {
    if (this.total.count === 0) return false;
    const index = this.thresholdIndex.get(threshold);
    if (index === undefined) return this.percentile(p) >= threshold;
    return this.total.count - this.total.atLeast[index]! < this.rank(p);
  }

  /** Nearest-rank percentile (0 < p ≤ 100) at the histogram's resolution (within 0.2%, rounded down). */
  percentile(p: number): number {
    if (this.total.count === 0) return 0;
    const rank = this.rank(p);
    let seen = 0;
    for (const bucket of [...this.total.latencies.keys()].sort((a, b) => a - b)) {
      seen += this.total.latencies.get(bucket) ?? 0;
      if (seen >= rank) return bucket;
    }
    return this.maxNs;
  }
}
