/**
 * The state every live view shares (TUI, dashboard, report): per-syscall
 * stats, the recent event log, recent failing calls per syscall, lost-event
 * counts and rates. Fed one record at a time; bounded in memory whatever the
 * number of events. Time comes from the caller (`nowMs`), never the clock.
 */
import { isMetaRecord, isStatsRecord, type Category, type StatsRecord, type SyscallEvent, type TraceRecord } from './event.js';
import { canonicalName } from './kb/aliases.js';
import { normalizeEvent } from './operators/normalize.js';
import { StatsAccumulator, sortStats, type SortKey } from './stats.js';

/** Fixed-capacity FIFO: keeps the newest `capacity` items. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;
  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  get size(): number {
    return this.items.length;
  }
}

export interface SessionOptions {
  /** Events kept in the recent log (SPEC: /api/log returns the last 500). */
  logSize?: number;
  /** Failing calls kept per syscall for detail views. */
  errorSamples?: number;
}

export interface SyscallDetail {
  stats: StatsRecord;
  recent_errors: SyscallEvent[];
}

export class TraceSession {
  readonly stats = new StatsAccumulator(['name']);
  readonly log: RingBuffer<SyscallEvent>;
  private readonly errorSamples = new Map<string, RingBuffer<SyscallEvent>>();
  private readonly errorSampleSize: number;
  /** Stats snapshots computed elsewhere (eBPF summary mode): name → record, cumulative. */
  private readonly externalStats = new Map<string, StatsRecord>();
  readonly pids = new Set<number>();
  lost = 0;
  ended = false;
  private readonly rateWindow: Array<[atMs: number, events: number]> = [];

  constructor(options: SessionOptions = {}) {
    this.log = new RingBuffer(options.logSize ?? 500);
    this.errorSampleSize = options.errorSamples ?? 20;
  }

  /** Adds one record (events are normalised here so every view agrees on names). */
  add(record: TraceRecord): void {
    if (isMetaRecord(record)) {
      if (record.type === 'lost' && typeof record.count === 'number') this.lost += record.count;
      if (record.type === 'stats' && Array.isArray(record.stats)) {
        for (const stats of record.stats) if (isStatsRecord(stats)) this.externalStats.set(canonicalName(stats.name), stats);
      }
      return;
    }
    const event = normalizeEvent(record);
    this.stats.add(event);
    this.log.push(event);
    this.pids.add(event.pid);
    if (event.error !== '') {
      let samples = this.errorSamples.get(event.name);
      if (samples === undefined) {
        samples = new RingBuffer(this.errorSampleSize);
        this.errorSamples.set(event.name, samples);
      }
      samples.push(event);
    }
  }

  /** Total events seen (including those counted only in external stats). */
  get events(): number {
    let external = 0;
    for (const stats of this.externalStats.values()) external += stats.count;
    return this.externalStats.size > 0 ? external : this.stats.events;
  }

  get errors(): number {
    let external = 0;
    for (const stats of this.externalStats.values()) external += stats.errors;
    return this.externalStats.size > 0 ? external : this.stats.errors;
  }

  /** Per-syscall stats, sorted; external (in-kernel) stats win over event-derived ones. */
  snapshot(sort: SortKey = 'count'): StatsRecord[] {
    if (this.externalStats.size === 0) return this.stats.snapshot(sort);
    return sortStats([...this.externalStats.values()].map((stats) => ({ ...stats, name: canonicalName(stats.name) })), sort);
  }

  /** One syscall's stats and recent failing calls; aliases resolve; undefined if never seen. */
  detail(name: string): SyscallDetail | undefined {
    const canonical = canonicalName(name);
    const stats = this.externalStats.get(canonical) ?? this.stats.recordOf(canonical);
    if (stats === undefined) return undefined;
    return { stats: { ...stats, name: canonical }, recent_errors: this.recentErrors(canonical) };
  }

  /** The last failing calls of one syscall (canonical or alias name), oldest first. */
  recentErrors(name: string): SyscallEvent[] {
    return this.errorSamples.get(canonicalName(name))?.toArray() ?? [];
  }

  /** Share of calls per category, in percent (categories with calls only). */
  categoryShares(): Partial<Record<Category, number>> {
    const totals = new Map<Category, number>();
    let all = 0;
    for (const record of this.snapshot()) {
      totals.set(record.category, (totals.get(record.category) ?? 0) + record.count);
      all += record.count;
    }
    const shares: Partial<Record<Category, number>> = {};
    for (const [category, count] of totals) shares[category] = all === 0 ? 0 : (count / all) * 100;
    return shares;
  }

  /**
   * Events per second over the last `windowMs`, from samples the caller takes
   * with `sampleRate(nowMs)` (e.g. once per refresh).
   */
  sampleRate(nowMs: number, windowMs = 5000): number {
    this.rateWindow.push([nowMs, this.events]);
    while (this.rateWindow.length > 2 && nowMs - this.rateWindow[0]![0] > windowMs) this.rateWindow.shift();
    const [firstAt, firstEvents] = this.rateWindow[0]!;
    const elapsed = nowMs - firstAt;
    return elapsed <= 0 ? 0 : ((this.events - firstEvents) * 1000) / elapsed;
  }
}
