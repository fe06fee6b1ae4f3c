import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { isSyscallEvent, type StatsRecord, type TraceRecord } from '../event.js';
import { StatsAccumulator, type GroupField, type SortKey } from '../stats.js';

export interface AggregateOptions {
  /** Group keys, combinable (default `['name']`). */
  by?: readonly GroupField[];
  /** Emit a cumulative snapshot every this many milliseconds, then a final one. */
  intervalMs?: number;
  sort?: SortKey;
  scheduler?: SchedulerLike;
}

/**
 * Folds events into per-group stats records (count, errors, latency
 * percentiles…) and emits them as one array when the input ends, plus a
 * cumulative snapshot every `intervalMs` when set. Meta records are ignored.
 *
 * @example
 * events$.pipe(aggregate({ by: ['name', 'pid'] })) // → [[{ name: 'read', pid: 42, count: 3, … }, …]]
 */
export function aggregate(options: AggregateOptions = {}): OperatorFunction<TraceRecord, StatsRecord[]> {
  return (records) =>
    new Observable<StatsRecord[]>((subscriber) => {
      const stats = new StatsAccumulator(options.by);
      const sort = options.sort ?? 'count';
      const timer =
        options.intervalMs === undefined
          ? undefined
          : (options.scheduler ?? asyncScheduler).schedule(function tick() {
              subscriber.next(stats.snapshot(sort));
              this.schedule(undefined, options.intervalMs);
            }, options.intervalMs);
      const subscription = records.subscribe({
        next(record) {
          if (isSyscallEvent(record)) stats.add(record);
        },
        error: (error) => subscriber.error(error),
        complete() {
          timer?.unsubscribe();
          subscriber.next(stats.snapshot(sort));
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
