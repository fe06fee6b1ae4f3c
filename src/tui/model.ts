/**
 * What the live view shows, taken from the TraceSession at one instant. The
 * view renders only snapshots, so ingest (which mutates the session at
 * whatever rate records arrive) never waits for rendering and rendering
 * never walks more than the groups and the bounded log.
 */
import { CATEGORIES, type Category, type StatsRecord, type SyscallEvent } from '../event.js';
import { aliasesOf } from '../kb/aliases.js';
import { triage, type Hint } from '../kb/triage.js';
import type { TraceSession } from '../session.js';
import { sortStats, type SortKey } from '../stats.js';

/** The sort orders `s` cycles through (SPEC `top --sort`). */
export const TOP_SORT_KEYS = ['count', 'errors', 'err%', 'avg', 'p95', 'p99', 'total'] as const satisfies readonly SortKey[];
export type TopSortKey = (typeof TOP_SORT_KEYS)[number];

export interface TopSnapshot {
  /** Caller time when taken (ms). */
  takenAtMs: number;
  /** Wall time since the view started (ms). */
  elapsedMs: number;
  /** Per-syscall stats, sorted by count. */
  stats: StatsRecord[];
  events: number;
  errors: number;
  lost: number;
  pids: number;
  /** Events per second over the last few seconds. */
  rate: number;
  /** First and last event timestamps (the traced time span). */
  firstTimestamp?: string;
  lastTimestamp?: string;
  /** The recent-event log, oldest first (bounded by the session). */
  log: SyscallEvent[];
  ended: boolean;
  /** Recent failing calls of one syscall (read from the session on demand, then kept). */
  recentErrors(name: string): SyscallEvent[];
}

/**
 * Reads the session once. `nowMs` is the caller's clock, `startedAtMs` when
 * the view started; both only feed the header.
 */
export function takeSnapshot(session: TraceSession, nowMs: number, startedAtMs: number): TopSnapshot {
  const samples = new Map<string, SyscallEvent[]>();
  return {
    takenAtMs: nowMs,
    elapsedMs: nowMs - startedAtMs,
    stats: session.snapshot('count'),
    events: session.events,
    errors: session.errors,
    lost: session.lost,
    pids: session.pids.size,
    rate: session.sampleRate(nowMs),
    firstTimestamp: session.stats.firstTimestamp,
    lastTimestamp: session.stats.lastTimestamp,
    log: session.log.toArray(),
    ended: session.ended,
    recentErrors(name) {
      let events = samples.get(name);
      if (events === undefined) {
        events = session.detail(name)?.recent_errors ?? [];
        samples.set(name, events);
      }
      return events;
    },
  };
}

/** Does a row match the `/` filter? Case-insensitive substring of the name or one of its aliases. */
export function matchesFilter(name: string, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return true;
  return name.toLowerCase().includes(needle) || aliasesOf(name).some((alias) => alias.includes(needle));
}

/** The table's rows: filtered by name and category, sorted. */
export function visibleRows(stats: readonly StatsRecord[], options: { sort: TopSortKey; filter: string; category?: Category }): StatsRecord[] {
  const rows = stats.filter(
    (record) => (options.category === undefined || record.category === options.category) && matchesFilter(record.name, options.filter),
  );
  return sortStats(rows, options.sort);
}

export interface CategoryRow {
  category: Category;
  syscalls: number;
  count: number;
  errors: number;
  error_pct: number;
  total_ns: number;
  /** Share of all calls, percent. */
  share: number;
}

/** Per-category totals in the fixed category order (categories with calls only). */
export function categoryRows(stats: readonly StatsRecord[]): CategoryRow[] {
  const all = stats.reduce((sum, record) => sum + record.count, 0);
  const rows: CategoryRow[] = [];
  for (const category of CATEGORIES) {
    const members = stats.filter((record) => record.category === category);
    if (members.length === 0) continue;
    const count = members.reduce((sum, record) => sum + record.count, 0);
    const errors = members.reduce((sum, record) => sum + record.errors, 0);
    rows.push({
      category,
      syscalls: members.length,
      count,
      errors,
      error_pct: count === 0 ? 0 : Math.round((errors / count) * 10000) / 100,
      total_ns: members.reduce((sum, record) => sum + record.total_ns, 0),
      share: all === 0 ? 0 : (count / all) * 100,
    });
  }
  return rows;
}

/** Triage hints of one row, with the args of its recent failing calls as evidence. */
export function hintsFor(record: StatsRecord, snapshot: Pick<TopSnapshot, 'recentErrors'>): Hint[] {
  return triage({ ...record, sample_args: snapshot.recentErrors(record.name).map((event) => event.args) });
}
