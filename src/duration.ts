/** Parsing and printing of durations, in integer nanoseconds. */

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses `250us`, `5ms`, `1.5s`, `2m` into nanoseconds. A bare number is
 * taken as milliseconds when `bareUnit` says so (default: nanoseconds are
 * never guessed, so a bare number is an error).
 */
export function parseDuration(text: string, bareUnit?: keyof typeof UNIT_NS): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  const unit = match?.[2] ?? bareUnit;
  if (!match || unit === undefined) {
    throw new Error(`invalid duration "${text}" (expected a number with a unit: ns, us, ms, s, m, h — e.g. 5ms)`);
  }
  return Math.round(Number(match[1]) * (UNIT_NS[unit] ?? 1));
}

/** Human form with 3 significant digits: `812ns`, `38.2µs`, `5.01ms`, `1.20s`. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function trim(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
