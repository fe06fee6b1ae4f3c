/**
 * Streaming per-group statistics. Memory grows with the number of groups,
 * never with the number of events: latencies go into an HDR histogram
 * (2 significant digits → every percentile within 0.8% of the exact
 * nearest-rank value), counts into plain numbers.
 */
import * as hdr from 'hdr-histogram-js';
import type { Category, StatsRecord, SyscallEvent } from './event.js';
import { categoryOf } from './kb/aliases.js';

/** Latency distribution of one group, in nanoseconds. */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: 2,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    autoResize: true,
    useWebAssembly: false,
  });
  count = 0;
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(ns: number): void {
    this.histogram.recordValue(ns);
    this.count++;
    this.total += ns;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Nearest-rank percentile (0 < p ≤ 100), clamped to the exact min/max seen. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const value = this.histogram.getValueAtPercentile(p);
    return Math.min(this.max, Math.max(this.min, value));
  }

  /**
   * Recorded values as (value, count) pairs in ascending order, at the
   * histogram's resolution: what charts and bucketed exports are built from.
   */
  distribution(): Array<[valueNs: number, count: number]> {
    const pairs: Array<[number, number]> = [];
    const iterator = (this.histogram as unknown as hdr.JsHistogram).recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      pairs.push([step.valueIteratedTo, step.countAtValueIteratedTo]);
    }
    return pairs;
  }
}

export type GroupField = 'name' | 'pid' | 'errno';
export const GROUP_FIELDS: readonly GroupField[] = ['name', 'pid', 'errno'];

class GroupStats {
  readonly latency = new LatencyHistogram();
  errors = 0;
  readonly errorBreakdown = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly category: Category,
    readonly pid: number | undefined,
    readonly errno: string | undefined,
  ) {}

  add(event: SyscallEvent): void {
    this.latency.record(event.latency_ns);
    if (event.error !== '') {
      this.errors++;
      this.errorBreakdown.set(event.error, (this.errorBreakdown.get(event.error) ?? 0) + 1);
    }
  }

  toRecord(): StatsRecord {
    const { latency } = this;
    const count = latency.count;
    const record: StatsRecord = {
      name: this.name,
      category: this.category,
      count,
      errors: this.errors,
      error_pct: count === 0 ? 0 : Math.round((this.errors / count) * 10000) / 100,
      total_ns: latency.total,
      avg_ns: count === 0 ? 0 : Math.round(latency.total / count),
      min_ns: count === 0 ? 0 : latency.min,
      max_ns: latency.max,
      p50_ns: latency.percentile(50),
      p95_ns: latency.percentile(95),
      p99_ns: latency.percentile(99),
      error_breakdown: Object.fromEntries([...this.errorBreakdown].sort((a, b) => b[1] - a[1])),
    };
    if (this.pid !== undefined) record.pid = this.pid;
    if (this.errno !== undefined) record.errno = this.errno;
    return record;
  }
}

export type SortKey = 'count' | 'errors' | 'err%' | 'avg' | 'p50' | 'p95' | 'p99' | 'max' | 'total' | 'name';
export const SORT_KEYS: readonly SortKey[] = ['count', 'errors', 'err%', 'avg', 'p50', 'p95', 'p99', 'max', 'total', 'name'];

const SORT_FIELD: Record<Exclude<SortKey, 'name'>, keyof StatsRecord> = {
  count: 'count',
  errors: 'errors',
  'err%': 'error_pct',
  avg: 'avg_ns',
  p50: 'p50_ns',
  p95: 'p95_ns',
  p99: 'p99_ns',
  max: 'max_ns',
  total: 'total_ns',
};

/** Sorts stats records descending by the key (name ascending), ties broken by count then name. */
export function sortStats(records: StatsRecord[], key: SortKey = 'count'): StatsRecord[] {
  if (key === 'name') return records.sort((a, b) => a.name.localeCompare(b.name) || (a.pid ?? 0) - (b.pid ?? 0));
  const field = SORT_FIELD[key];
  return records.sort(
    (a, b) => (b[field] as number) - (a[field] as number) || b.count - a.count || a.name.localeCompare(b.name) || (a.pid ?? 0) - (b.pid ?? 0),
  );
}

/**
 * Accumulates events into groups keyed by `by` (default: name).
 * Names are taken as they arrive: pipe `normalize()` first for canonical names.
 */
export class StatsAccumulator {
  private readonly groups = new Map<string, GroupStats>();
  private readonly byName: boolean;
  private readonly byPid: boolean;
  private readonly byErrno: boolean;
  events = 0;
  errors = 0;
  firstTimestamp: string | undefined;
  lastTimestamp: string | undefined;

  constructor(readonly by: readonly GroupField[] = ['name']) {
    this.byName = by.includes('name');
    this.byPid = by.includes('pid');
    this.byErrno = by.includes('errno');
  }

  add(event: SyscallEvent): void {
    const name = this.byName ? event.name : '*';
    const errno = this.byErrno ? event.error : undefined;
    const key = this.byPid || this.byErrno ? `${name}\u0000${this.byPid ? event.pid : ''}\u0000${errno ?? ''}` : name;
    let group = this.groups.get(key);
    if (group === undefined) {
      const category = this.byName ? (event.category ?? categoryOf(event.name)) : 'OTHER';
      group = new GroupStats(name, category, this.byPid ? event.pid : undefined, errno);
      this.groups.set(key, group);
    }
    group.add(event);
    this.events++;
    if (event.error !== '') this.errors++;
    if (this.firstTimestamp === undefined) this.firstTimestamp = event.timestamp;
    this.lastTimestamp = event.timestamp;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Current stats of every group, sorted. */
  snapshot(sort: SortKey = 'count'): StatsRecord[] {
    return sortStats([...this.groups.values()].map((group) => group.toRecord()), sort);
  }

  /** The stats of one group keyed by name (only when grouped by name alone). */
  recordOf(name: string): StatsRecord | undefined {
    return this.groups.get(name)?.toRecord();
  }

  /** Latency histogram of a group keyed by name (only when grouped by name alone). */
  histogramOf(name: string): LatencyHistogram | undefined {
    return this.groups.get(name)?.latency;
  }
}
