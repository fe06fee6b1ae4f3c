/**
 * `stracectl diff`: what changed between two runs. A run is an event file
 * (folded into per-syscall stats here) or stats output (`aggregate` NDJSON,
 * `top --json` array). Names are normalised on both sides, so a run traced
 * as `newfstatat` compares with one that says `fstat`.
 */
import { createReadStream } from 'node:fs';
import Table from 'cli-table3';
import { Observable, defer } from 'rxjs';
import { formatDuration, parseDuration } from './duration.js';
import { StracectlError, printable } from './errors.js';
import { isMetaRecord, isStatsRecord, validateRecord, type Category, type MetaRecord, type StatsRecord, type SyscallEvent } from './event.js';
import { linesFromStream } from './io.js';
import { canonicalName, categoryOf } from './kb/aliases.js';
import { normalizeEvent } from './operators/normalize.js';
import { StatsAccumulator } from './stats.js';

/** The per-syscall numbers that are compared. */
export const DIFF_METRICS = ['count', 'errors', 'error_pct', 'avg', 'p50', 'p95', 'p99', 'max', 'total'] as const;
export type DiffMetric = (typeof DIFF_METRICS)[number];

const FIELD = {
  count: 'count',
  errors: 'errors',
  error_pct: 'error_pct',
  avg: 'avg_ns',
  p50: 'p50_ns',
  p95: 'p95_ns',
  p99: 'p99_ns',
  max: 'max_ns',
  total: 'total_ns',
} as const satisfies Record<DiffMetric, keyof StatsRecord>;

const LATENCY_METRICS: ReadonlySet<DiffMetric> = new Set(['avg', 'p50', 'p95', 'p99', 'max', 'total']);
/** Metrics that add up over syscalls, so a whole run has them too (`total:` scope). */
const RUN_METRICS: ReadonlySet<DiffMetric> = new Set(['count', 'errors', 'error_pct', 'total']);

export const DIFF_SORT_KEYS = ['impact', 'name', ...DIFF_METRICS] as const;
export type DiffSortKey = (typeof DIFF_SORT_KEYS)[number];

/** One side of the comparison, folded per canonical syscall name. */
export interface RunSummary {
  source: string;
  kind: 'events' | 'stats';
  stats: Map<string, StatsRecord>;
  calls: number;
  errors: number;
  total_ns: number;
}

export type MetricValues = Pick<StatsRecord, 'count' | 'errors' | 'error_pct' | 'avg_ns' | 'p50_ns' | 'p95_ns' | 'p99_ns' | 'max_ns' | 'total_ns'>;

/** B − A; `pct` is relative to A (null when A is 0 and B is not: an increase from nothing). error_pct's `abs` is in percentage points. */
export interface Change {
  abs: number;
  pct: number | null;
}

export interface SyscallDiff {
  name: string;
  category: Category;
  status: 'new' | 'vanished' | 'changed' | 'unchanged';
  /** Share of the runs' time, errors and calls that moved with this syscall (what the default sort uses). */
  impact: number;
  a: MetricValues | null;
  b: MetricValues | null;
  delta: Record<DiffMetric, Change>;
}

export interface RunDiff {
  a: RunInfo;
  b: RunInfo;
  totals: Record<'count' | 'errors' | 'error_pct' | 'total', Change & { a: number; b: number }>;
  new: string[];
  vanished: string[];
  syscalls: SyscallDiff[];
}

export interface RunInfo {
  source: string;
  kind: 'events' | 'stats';
  calls: number;
  errors: number;
  syscalls: number;
}

// ---------------------------------------------------------------------------
// Reading a run

export interface RunBuilderOptions {
  /** Throw INVALID_INPUT at the first bad line instead of skipping it. */
  strict?: boolean;
  onInvalidLine?: (location: string, reason: string) => void;
  /** Told about lossy steps (stats merged under one canonical name). */
  onNotice?: (message: string) => void;
}

/**
 * Folds the lines of one run file into a RunSummary. The first record
 * decides the kind: events (aggregated here) or stats records; a JSON array
 * (`top --json`) is read as a whole; with `{type: "stats"}` snapshots
 * (`capture --summary`) the last snapshot is the run. Bad lines are
 * reported and skipped.
 */
export class RunBuilder {
  private kind: 'events' | 'stats' | undefined;
  private accumulator = new StatsAccumulator(['name']);
  /** Saw an in-kernel snapshot (`capture --summary`): the events next to them are samples, not the run. */
  private snapshots = false;
  private totalNs = 0;
  /** Stats by their own group key: with `aggregate --interval` the last snapshot of each group wins. */
  private readonly statsByKey = new Map<string, StatsRecord>();
  private document: string[] | undefined;
  private lineNumber = 0;

  constructor(
    readonly source: string,
    private readonly options: RunBuilderOptions = {},
  ) {}

  addLine(line: string): void {
    this.lineNumber++;
    if (this.document !== undefined) {
      this.document.push(line);
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (this.kind === undefined && trimmed.startsWith('[')) {
      this.document = [line];
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.invalid(`${this.source}:${this.lineNumber}`, `invalid JSON (${(error as Error).message.replace(/, ".*$|\s+in JSON at position.*$/s, '')})`);
      return;
    }
    this.addValue(value, `${this.source}:${this.lineNumber}`);
  }

  finish(): RunSummary {
    if (this.document !== undefined) {
      let values: unknown;
      try {
        values = JSON.parse(this.document.join('\n'));
      } catch (error) {
        throw new StracectlError('INVALID_INPUT', `${this.source}: invalid JSON document (${(error as Error).message})`, {
          exit: 1,
          hint: 'diff reads event NDJSON, stats NDJSON (aggregate) or a JSON array of stats records (top --json)',
        });
      }
      if (!Array.isArray(values)) throw new StracectlError('INVALID_INPUT', `${this.source}: expected a JSON array of stats records`, { exit: 1 });
      this.document = undefined;
      values.forEach((value, index) => this.addValue(value, `${this.source}: element ${index + 1}`));
    }
    if (this.kind === 'stats') return this.statsSummary();
    const stats = new Map(this.accumulator.snapshot('count').map((record) => [record.name, record]));
    return { source: this.source, kind: 'events', stats, calls: this.accumulator.events, errors: this.accumulator.errors, total_ns: this.totalNs };
  }

  private addValue(value: unknown, location: string): void {
    const stats = isStatsRecord(value) && typeof (value as { args?: unknown }).args !== 'string';
    if (stats) {
      const reason = this.kind === 'events' && !this.snapshots ? 'a stats record in a file of events' : statsProblem(value);
      if (reason !== null) return this.invalid(location, reason);
      this.kind = 'stats';
      const record = value as StatsRecord;
      this.statsByKey.set(`${record.name}\u0000${record.pid ?? ''}\u0000${record.errno ?? ''}`, record);
      return;
    }
    const reason = validateRecord(value);
    if (reason !== null) return this.invalid(location, reason);
    const record = value as SyscallEvent | MetaRecord;
    if (isMetaRecord(record)) {
      // `capture --summary` (eBPF) writes cumulative `{type: "stats", stats: [...]}` snapshots.
      if (record.type === 'stats' && Array.isArray(record.stats)) {
        if (!this.snapshots) {
          this.snapshots = true;
          this.accumulator = new StatsAccumulator(['name']);
          this.totalNs = 0;
          this.kind = undefined;
        }
        record.stats.forEach((element, index) => this.addValue(element, `${location} (stats ${index + 1})`));
      }
      return;
    }
    if (this.snapshots) return;
    if (this.kind === 'stats') return this.invalid(location, 'an event in a file of stats records');
    this.kind = 'events';
    this.accumulator.add(normalizeEvent(record));
    this.totalNs += record.latency_ns;
  }

  private invalid(location: string, reason: string): void {
    if (this.options.strict) throw new StracectlError('INVALID_INPUT', `${location}: ${reason}`);
    this.options.onInvalidLine?.(location, reason);
  }

  private statsSummary(): RunSummary {
    const byName = new Map<string, StatsRecord[]>();
    for (const record of this.statsByKey.values()) {
      const name = canonicalName(record.name);
      const group = byName.get(name);
      if (group === undefined) byName.set(name, [record]);
      else group.push(record);
    }
    const stats = new Map<string, StatsRecord>();
    const merged: string[] = [];
    let calls = 0;
    let errors = 0;
    let totalNs = 0;
    for (const [name, group] of byName) {
      const record = group.length === 1 ? completeStats(group[0]!, name) : mergeStats(group, name);
      if (group.length > 1) merged.push(`${name} (${group.length} records)`);
      stats.set(name, record);
      calls += record.count;
      errors += record.errors;
      totalNs += record.total_ns;
    }
    if (merged.length > 0) {
      this.options.onNotice?.(`${this.source}: stats merged per syscall name: ${merged.join(', ')}; their percentiles are upper bounds`);
    }
    return { source: this.source, kind: 'stats', stats, calls, errors, total_ns: totalNs };
  }
}

/** Null when the object has what diff needs of a stats record. */
function statsProblem(value: unknown): string | null {
  const record = value as Record<string, unknown>;
  if (record.name === '') return 'field "name" must not be empty';
  for (const key of ['count', 'errors', 'p50_ns', 'p95_ns', 'p99_ns']) {
    const number = record[key];
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) return `stats field "${key}" must be a number >= 0`;
  }
  return null;
}

/** A stats record with every compared field set (older or hand-made records may lack some). */
function completeStats(record: StatsRecord, name: string): StatsRecord {
  const count = record.count;
  const total = finiteOr(record.total_ns, finiteOr(record.avg_ns, 0) * count);
  return {
    ...record,
    name,
    category: categoryOf(name),
    error_pct: finiteOr(record.error_pct, percent(record.errors, count)),
    total_ns: total,
    avg_ns: finiteOr(record.avg_ns, count === 0 ? 0 : Math.round(total / count)),
    max_ns: finiteOr(record.max_ns, record.p99_ns),
    min_ns: finiteOr(record.min_ns, 0),
    error_breakdown: record.error_breakdown ?? {},
  };
}

/**
 * Several records under one canonical name (aliases, or groups by pid/errno):
 * counts and sums add up exactly; a percentile of the union lies between the
 * parts' percentiles, so the largest is kept as an upper bound.
 */
function mergeStats(records: StatsRecord[], name: string): StatsRecord {
  const parts = records.map((record) => completeStats(record, name));
  const count = sum(parts, 'count');
  const errors = sum(parts, 'errors');
  const total = sum(parts, 'total_ns');
  const breakdown: Record<string, number> = {};
  for (const part of parts) for (const [errno, n] of Object.entries(part.error_breakdown)) breakdown[errno] = (breakdown[errno] ?? 0) + n;
  return {
    name,
    category: categoryOf(name),
    count,
    errors,
    error_pct: percent(errors, count),
    total_ns: total,
    avg_ns: count === 0 ? 0 : Math.round(total / count),
    min_ns: Math.min(...parts.map((part) => part.min_ns)),
    max_ns: Math.max(...parts.map((part) => part.max_ns)),
    p50_ns: Math.max(...parts.map((part) => part.p50_ns)),
    p95_ns: Math.max(...parts.map((part) => part.p95_ns)),
    p99_ns: Math.max(...parts.map((part) => part.p99_ns)),
    error_breakdown: breakdown,
  };
}

const sum = (records: StatsRecord[], key: 'count' | 'errors' | 'total_ns'): number => records.reduce((total, record) => total + record[key], 0);
const finiteOr = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const percent = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10000) / 100);

/**
 * Reads one run from a file (`-`: stdin) into a RunSummary, emitted once
 * the input ends. Unsubscribing stops reading.
 */
export function loadRun(file: string, options: RunBuilderOptions = {}): Observable<RunSummary> {
  return defer(() => {
    const name = file === '-' ? 'stdin' : file;
    const builder = new RunBuilder(name, options);
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
    return new Observable<RunSummary>((subscriber) =>
      linesFromStream(stream, {
        name,
        onOversizedLine: (location, length) => options.onInvalidLine?.(location, `line too long (${length} characters)`),
      }).subscribe({
        next(line) {
          try {
            builder.addLine(line);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error) => subscriber.error(error),
        complete() {
          try {
            subscriber.next(builder.finish());
            subscriber.complete();
          } catch (error) {
            subscriber.error(error);
          }
        },
      }),
    );
  });
}

// ---------------------------------------------------------------------------
// Comparing two runs

function values(record: StatsRecord | undefined): MetricValues | null {
  if (record === undefined) return null;
  const { count, errors, error_pct, avg_ns, p50_ns, p95_ns, p99_ns, max_ns, total_ns } = record;
  return { count, errors, error_pct, avg_ns, p50_ns, p95_ns, p99_ns, max_ns, total_ns };
}

export function change(a: number, b: number): Change {
  const abs = round(b - a);
  if (a === 0) return { abs, pct: b === 0 ? 0 : null };
  return { abs, pct: round(((b - a) / Math.abs(a)) * 100) };
}

const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Compares two runs syscall by syscall, sorted by `sort` (default: impact,
 * the share of the runs' time + errors + calls that moved; other keys sort
 * by the size of that metric's absolute change; `name` alphabetically).
 */
export function diffRuns(a: RunSummary, b: RunSummary, sort: DiffSortKey = 'impact'): RunDiff {
  const names = [...new Set([...a.stats.keys(), ...b.stats.keys()])];
  const scale = {
    total: Math.max(a.total_ns, b.total_ns),
    errors: Math.max(a.errors, b.errors),
    count: Math.max(a.calls, b.calls),
  };
  const share = (delta: number, whole: number): number => (whole === 0 ? 0 : Math.abs(delta) / whole);
  const syscalls = names.map((name): SyscallDiff => {
    const before = values(a.stats.get(name));
    const after = values(b.stats.get(name));
    const delta = {} as Record<DiffMetric, Change>;
    for (const metric of DIFF_METRICS) delta[metric] = change(before?.[FIELD[metric]] ?? 0, after?.[FIELD[metric]] ?? 0);
    const status = before === null ? 'new' : after === null ? 'vanished' : DIFF_METRICS.every((metric) => delta[metric].abs === 0) ? 'unchanged' : 'changed';
    const impact = share(delta.total.abs, scale.total) + share(delta.errors.abs, scale.errors) + share(delta.count.abs, scale.count);
    return { name, category: (b.stats.get(name) ?? a.stats.get(name))!.category ?? categoryOf(name), status, impact: Math.round(impact * 1e6) / 1e6, a: before, b: after, delta };
  });
  sortDiffs(syscalls, sort);
  const errorPct = (run: RunSummary): number => percent(run.errors, run.calls);
  const total = (x: number, y: number) => ({ a: x, b: y, ...change(x, y) });
  return {
    a: info(a),
    b: info(b),
    totals: {
      count: total(a.calls, b.calls),
      errors: total(a.errors, b.errors),
      error_pct: total(errorPct(a), errorPct(b)),
      total: total(a.total_ns, b.total_ns),
    },
    new: syscalls.filter((s) => s.status === 'new').map((s) => s.name),
    vanished: syscalls.filter((s) => s.status === 'vanished').map((s) => s.name),
    syscalls,
  };
}

function info(run: RunSummary): RunInfo {
  return { source: run.source, kind: run.kind, calls: run.calls, errors: run.errors, syscalls: run.stats.size };
}

function sortDiffs(diffs: SyscallDiff[], key: DiffSortKey): void {
  const byName = (x: SyscallDiff, y: SyscallDiff): number => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  if (key === 'name') diffs.sort(byName);
  else if (key === 'impact') diffs.sort((x, y) => y.impact - x.impact || byName(x, y));
  else diffs.sort((x, y) => Math.abs(y.delta[key].abs) - Math.abs(x.delta[key].abs) || y.impact - x.impact || byName(x, y));
}

// ---------------------------------------------------------------------------
// --fail-on conditions

export type Comparison = '>' | '>=' | '<' | '<=';

export interface FailCondition {
  /** The expression as given, for messages. */
  text: string;
  /** Canonical syscall name, `total` (the whole run) or undefined (any syscall in both runs). */
  scope?: string;
  kind: 'metric' | 'new' | 'vanished';
  metric?: DiffMetric;
  op?: Comparison;
  /** Threshold: percent when `relative`, else in the metric's unit (ns, calls, percentage points). */
  value?: number;
  relative?: boolean;
}

/** A malformed `--fail-on` expression (a usage error). */
export class FailOnSyntaxError extends Error {}

const METRIC_ALIASES: Record<string, DiffMetric> = { calls: 'count', 'err%': 'error_pct', errpct: 'error_pct', error_rate: 'error_pct' };
const CONDITION = /^(?:([A-Za-z_][A-Za-z0-9_]*)\s*:\s*)?(?:(new|vanished)|([A-Za-z0-9_%]+)\s*(>=|<=|>|<)\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*(%|pp|ns|us|µs|ms|s)?)$/;

export const FAIL_ON_SYNTAX =
  "[SYSCALL:|total:]METRIC(>|>=|<|<=)[+|-]NUMBER[%|pp|ns|us|ms|s], or [SYSCALL:]new / vanished; METRIC: count, errors, error_pct, avg, p50, p95, p99, max, total — e.g. 'error_pct>+5', 'p95>+20%', 'openat:count>+10%', 'p99>+2ms', new";

/**
 * Parses one `--fail-on` expression:
 * `error_pct>+5` (absolute: percentage points), `p95>+20%` (relative to A),
 * `count>+100` (absolute), `p99>+2ms` (absolute, latencies need a unit),
 * scoped `openat:p95>+20%`, whole-run `total:error_pct>+2`, and `new` /
 * `vanished` (any syscall, or `ptrace:new` for one).
 */
export function parseFailOn(text: string): FailCondition {
  const match = CONDITION.exec(text.trim());
  if (!match) throw new FailOnSyntaxError(`cannot read ${JSON.stringify(text)}`);
  const [, rawScope, presence, rawMetric, op, sign, number, unit] = match;
  const scope = rawScope === undefined ? undefined : rawScope === 'total' ? 'total' : canonicalName(rawScope.toLowerCase());
  if (presence !== undefined) {
    if (scope === 'total') throw new FailOnSyntaxError(`"total:${presence}" means nothing: the run itself is never ${presence}`);
    return { text, scope, kind: presence as 'new' | 'vanished' };
  }
  const lower = rawMetric!.toLowerCase();
  const metric = (METRIC_ALIASES[lower] ?? lower) as DiffMetric;
  if (!DIFF_METRICS.includes(metric)) throw new FailOnSyntaxError(`unknown metric "${rawMetric}" (one of ${DIFF_METRICS.join(', ')})`);
  if (scope === 'total' && !RUN_METRICS.has(metric)) {
    throw new FailOnSyntaxError(`"total:${metric}": a whole run has only ${[...RUN_METRICS].join(', ')} (percentiles do not add up); scope it to a syscall instead`);
  }
  const magnitude = Number(number) * (sign === '-' ? -1 : 1);
  let value = magnitude;
  let relative = false;
  if (unit === '%') relative = true;
  else if (LATENCY_METRICS.has(metric)) {
    if (unit === undefined || unit === 'pp') throw new FailOnSyntaxError(`${metric} needs a duration unit (2ms, 500us) or a percentage (20%)`);
    value = Math.sign(magnitude) * parseDuration(`${number}${unit}`);
  } else if (metric === 'error_pct') {
    if (unit !== undefined && unit !== 'pp') throw new FailOnSyntaxError(`error_pct is in percentage points (5 or 5pp) or relative (20%), not "${unit}"`);
  } else if (unit !== undefined) {
    throw new FailOnSyntaxError(`${metric} is a number of calls (100) or relative (10%), not "${unit}"`);
  }
  return { text, scope, kind: 'metric', metric, op: op as Comparison, value, relative };
}

export interface FailMatch {
  condition: FailCondition;
  /** The syscall (or `total`) that met the condition. */
  name: string;
  /** Human form: `openat p95 1.20ms → 2.00ms (+66.7%)`. */
  message: string;
}

export interface FailOnResult {
  matches: FailMatch[];
  /** Conditions that could not be checked (scoped syscall missing from a run). */
  notes: string[];
}

/**
 * Checks conditions against a diff. An unscoped metric condition holds when
 * any syscall present in both runs (with at least `minCount` calls in one of
 * them) meets it; new and vanished syscalls only meet `new` / `vanished`.
 */
export function evaluateFailOn(conditions: readonly FailCondition[], diff: RunDiff, options: { minCount?: number } = {}): FailOnResult {
  const minCount = options.minCount ?? 0;
  const matches: FailMatch[] = [];
  const notes: string[] = [];
  for (const condition of conditions) {
    if (condition.kind !== 'metric') {
      const names = condition.kind === 'new' ? diff.new : diff.vanished;
      for (const name of names) {
        if (condition.scope === undefined || condition.scope === name) matches.push({ condition, name, message: `${name} is ${condition.kind}` });
      }
      continue;
    }
    const metric = condition.metric!;
    if (condition.scope === 'total') {
      const totals = diff.totals[metric as keyof RunDiff['totals']];
      if (holds(condition, totals)) matches.push({ condition, name: 'total', message: describe('run', metric, totals.a, totals.b, totals) });
      continue;
    }
    let candidates = diff.syscalls.filter((s) => s.a !== null && s.b !== null);
    if (condition.scope !== undefined) {
      const scoped = diff.syscalls.find((s) => s.name === condition.scope);
      if (scoped === undefined || scoped.a === null || scoped.b === null) {
        notes.push(`${condition.text}: ${condition.scope} is ${scoped === undefined ? 'in neither run' : `${scoped.status} (not in both runs)`}, not checked`);
        continue;
      }
      candidates = [scoped];
    } else {
      candidates = candidates.filter((s) => Math.max(s.a!.count, s.b!.count) >= minCount);
    }
    for (const syscall of candidates) {
      const delta = syscall.delta[metric];
      if (holds(condition, delta)) {
        matches.push({ condition, name: syscall.name, message: describe(syscall.name, metric, syscall.a![FIELD[metric]], syscall.b![FIELD[metric]], delta) });
      }
    }
  }
  return { matches, notes };
}

function holds(condition: FailCondition, delta: Change): boolean {
  const actual = condition.relative ? (delta.pct ?? (delta.abs > 0 ? Infinity : delta.abs < 0 ? -Infinity : 0)) : delta.abs;
  const value = condition.value!;
  switch (condition.op) {
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '<':
      return actual < value;
    default:
      return actual <= value;
  }
}

function describe(name: string, metric: DiffMetric, a: number, b: number, delta: Change): string {
  return `${printable(name)} ${metric} ${formatMetric(metric, a)} → ${formatMetric(metric, b)} (${formatChange(metric, delta)})`;
}

// ---------------------------------------------------------------------------
// Rendering

function formatMetric(metric: DiffMetric, value: number): string {
  if (LATENCY_METRICS.has(metric)) return formatDuration(value);
  if (metric === 'error_pct') return `${value.toFixed(1)}%`;
  return String(value);
}

/** `+` in front of positive numbers (negative ones carry their `-`). */
const plus = (value: number, text: string): string => (value > 0 ? `+${text}` : text);

function formatChange(metric: DiffMetric, delta: Change): string {
  if (metric === 'error_pct') return `${plus(delta.abs, delta.abs.toFixed(1))}pp`;
  const pct = delta.pct === null ? 'from 0' : `${plus(delta.pct, delta.pct.toFixed(1))}%`;
  const abs = LATENCY_METRICS.has(metric) ? (delta.abs < 0 ? '-' : '+') + formatDuration(Math.abs(delta.abs)) : plus(delta.abs, String(delta.abs));
  return `${abs}, ${pct}`;
}

/** `A → B (Δ)`, or one value when unchanged, with `–` for the side a syscall is missing from. */
function cell(diff: SyscallDiff, metric: DiffMetric): string {
  const field = FIELD[metric];
  if (diff.a === null) return `– → ${formatMetric(metric, diff.b![field])}`;
  if (diff.b === null) return `${formatMetric(metric, diff.a[field])} → –`;
  const delta = diff.delta[metric];
  if (delta.abs === 0) return formatMetric(metric, diff.a[field]);
  return `${formatMetric(metric, diff.a[field])} → ${formatMetric(metric, diff.b[field])} (${formatChange(metric, delta)})`;
}

const TABLE_METRICS: readonly DiffMetric[] = ['count', 'error_pct', 'p50', 'p95', 'p99'];

/** The human form: a one-line summary of the runs, then one table row per syscall. */
export function renderDiff(diff: RunDiff, options: { limit?: number } = {}): string {
  const { totals } = diff;
  const summary = [
    `A: ${printable(diff.a.source)} (${diff.a.kind}), B: ${printable(diff.b.source)} (${diff.b.kind})`,
    `calls ${totals.count.a} → ${totals.count.b} (${formatChange('count', totals.count)})`,
    `errors ${totals.errors.a} → ${totals.errors.b} (${formatChange('errors', totals.errors)})`,
    `syscalls ${diff.a.syscalls} → ${diff.b.syscalls} (${diff.new.length} new, ${diff.vanished.length} vanished)`,
  ].join('; ');
  const table = new Table({
    head: ['SYSCALL', 'CHANGE', 'CALLS', 'ERR%', 'P50', 'P95', 'P99'],
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  const rows = options.limit === undefined ? diff.syscalls : diff.syscalls.slice(0, options.limit);
  for (const syscall of rows) {
    table.push([printable(syscall.name), syscall.status === 'unchanged' ? '' : syscall.status, ...TABLE_METRICS.map((metric) => cell(syscall, metric))]);
  }
  return `${summary}\n${table.toString()}`;
}
