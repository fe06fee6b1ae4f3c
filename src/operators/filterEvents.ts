import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import { isMetaRecord, type Category, type SyscallEvent, type TraceRecord } from '../event.js';
import { canonicalName, categoryOf } from '../kb/aliases.js';
import { globToRegExp, pathsInArgs } from '../glob.js';

export interface FilterEventsOptions {
  /** Only failed calls (`error` not empty). */
  errors?: boolean;
  /** Only successful calls. */
  ok?: boolean;
  /** Syscall names; an alias matches its canonical name and vice versa. */
  names?: readonly string[];
  categories?: readonly Category[];
  pids?: readonly number[];
  errnos?: readonly string[];
  /** Minimum latency in nanoseconds. */
  minLatencyNs?: number;
  /** Glob matched against every quoted string and `-y` path in `args`. */
  pathGlob?: string;
  /** Keep the events that do NOT match all the conditions. */
  invert?: boolean;
}

/**
 * Keeps the events that match every given condition (AND), or with `invert`
 * the ones that don't. Meta records always pass through untouched.
 *
 * @example
 * events$.pipe(filterEvents({ errors: true, categories: ['NET'] }))
 */
export function filterEvents(options: FilterEventsOptions): MonoTypeOperatorFunction<TraceRecord> {
  const matches = eventPredicate(options);
  const invert = options.invert === true;
  return filter((record) => isMetaRecord(record) || matches(record) !== invert);
}

/** The AND of the conditions in `options`, as one predicate. */
export function eventPredicate(options: FilterEventsOptions): (event: SyscallEvent) => boolean {
  const checks: Array<(event: SyscallEvent) => boolean> = [];
  if (options.errors) checks.push((event) => event.error !== '');
  if (options.ok) checks.push((event) => event.error === '');
  if (options.names?.length) {
    const names = new Set(options.names.map(canonicalName));
    checks.push((event) => names.has(canonicalName(event.name)));
  }
  if (options.categories?.length) {
    const categories = new Set<string>(options.categories);
    checks.push((event) => categories.has(event.category ?? categoryOf(event.name)));
  }
  if (options.pids?.length) {
    const pids = new Set(options.pids);
    checks.push((event) => pids.has(event.pid));
  }
  if (options.errnos?.length) {
    const errnos = new Set(options.errnos.map((errno) => errno.toUpperCase()));
    checks.push((event) => errnos.has(event.error));
  }
  if (options.minLatencyNs !== undefined) {
    const min = options.minLatencyNs;
    checks.push((event) => event.latency_ns >= min);
  }
  if (options.pathGlob !== undefined) {
    const pattern = globToRegExp(options.pathGlob);
    checks.push((event) => pathsInArgs(event.args).some((path) => pattern.test(path)));
  }
  return (event) => {
    for (const check of checks) if (!check(event)) return false;
    return true;
  };
}
