/**
 * Rule evaluation over sliding windows of event time, with a cooldown per
 * condition (rule × syscall): the first time a condition holds it becomes an
 * Alert; it cannot alert again until the cooldown has passed. Time is the
 * events' own timestamps, never the clock, so a replayed trace alerts the
 * way the live run would have.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { normalizeEvent, triage, type Category, type Hint, type SyscallEvent } from 'stracectl';
import { PERCENTILES, compare, type Rule } from './rules.js';
import { SyscallWindow } from './window.js';

/** The window's numbers for one syscall when an alert fired. */
export interface WindowStats {
  name: string;
  category: Category;
  count: number;
  errors: number;
  error_pct: number;
  avg_ns: number;
  max_ns: number;
  p50_ns: number;
  p95_ns: number;
  p99_ns: number;
  error_breakdown: Record<string, number>;
}

export interface Alert {
  rule: Rule;
  syscall: string;
  /** What the rule measured: a number in the rule's unit (count, percent, ns), for errno rules the matching calls. */
  value: number;
  stats: WindowStats;
  windowMs: number;
  /** Event time (ISO 8601) of the call that made the condition true. */
  timestamp: string;
  /** Triage hints for the window's stats, most severe first. */
  hints: Hint[];
}

export interface AlertRulesOptions {
  rules: readonly Rule[];
  windowMs: number;
  /** After an alert, the same condition is silent this long (event time). */
  cooldownMs: number;
  /** Rate and latency rules (error_pct, avg, max, pNN) need at least this many calls in the window (default 1). */
  minCalls?: number;
  /** Window resolution: the window moves in steps of windowMs / slots (default 10). */
  slots?: number;
}

const SAMPLE_ARGS = 5;

/** Milliseconds since the epoch of an ISO 8601 timestamp, or NaN. */
export function eventTimeMs(timestamp: string): number {
  return Date.parse(timestamp);
}

/** The latency rules compare percentiles with: `>=`/`<` use T itself, `>`/`<=` the next nanosecond. */
function percentileThreshold(rule: Rule): number | undefined {
  if (PERCENTILES[rule.metric] === undefined || typeof rule.threshold !== 'number') return undefined;
  if (rule.op === '>=' || rule.op === '<') return rule.threshold;
  if (rule.op === '>' || rule.op === '<=') return rule.threshold + 1;
  return undefined;
}

export class AlertEngine {
  private readonly windows = new Map<string, SyscallWindow>();
  private readonly categories = new Map<string, Category>();
  private readonly failingArgs = new Map<string, string[]>();
  private readonly lastFired = new Map<string, number>();
  private readonly slotMs: number;
  private readonly slots: number;
  private readonly minCalls: number;
  private readonly thresholds: number[];
  private clockMs = Number.NEGATIVE_INFINITY;
  private currentSlot = Number.NEGATIVE_INFINITY;
  private lastTimestamp = '';

  constructor(private readonly options: AlertRulesOptions) {
    this.slots = Math.max(1, Math.floor(options.slots ?? 10));
    this.slotMs = options.windowMs / this.slots;
    this.minCalls = Math.max(1, options.minCalls ?? 1);
    this.thresholds = [...new Set(options.rules.map(percentileThreshold).filter((t): t is number => t !== undefined))];
  }

  /** Adds one event; returns the alerts it caused. */
  add(raw: SyscallEvent): Alert[] {
    const event = normalizeEvent(raw);
    const parsed = eventTimeMs(event.timestamp);
    // Unparsable or out-of-order times count as "now" for the window (the latest time seen).
    const timeMs = Number.isNaN(parsed) ? (Number.isFinite(this.clockMs) ? this.clockMs : 0) : parsed;
    let moved = false;
    if (timeMs > this.clockMs) {
      this.clockMs = timeMs;
      this.lastTimestamp = event.timestamp;
      const slot = Math.floor(timeMs / this.slotMs);
      if (slot > this.currentSlot) {
        moved = Number.isFinite(this.currentSlot);
        this.currentSlot = slot;
        for (const [name, window] of this.windows) {
          window.expire(slot - this.slots + 1);
          if (window.count === 0) this.windows.delete(name);
        }
      }
    }
    const slot = Math.floor(timeMs / this.slotMs);
    if (slot <= this.currentSlot - this.slots) return []; // older than the window

    let window = this.windows.get(event.name);
    if (window === undefined) {
      window = new SyscallWindow(event.name, this.thresholds);
      this.windows.set(event.name, window);
    }
    window.add(slot, event.latency_ns, event.error);
    if (event.category !== undefined) this.categories.set(event.name, event.category);
    if (event.error !== '') {
      const samples = this.failingArgs.get(event.name) ?? [];
      samples.push(event.args);
      if (samples.length > SAMPLE_ARGS) samples.shift();
      this.failingArgs.set(event.name, samples);
    }
    // Slots leaving the window can make any condition true (e.g. the calls that kept a rate down left): check all.
    if (moved) return this.evaluateAll(event.timestamp);
    return this.evaluate(window, event.timestamp, event.latency_ns);
  }

  /** Checks every condition once more (at the end of the input). */
  finish(): Alert[] {
    return this.evaluateAll(this.lastTimestamp);
  }

  private evaluateAll(timestamp: string): Alert[] {
    return [...this.windows.values()].flatMap((window) => this.evaluate(window, timestamp, undefined));
  }

  /**
   * Checks the rules for one syscall. With `latencyNs` (one event was just
   * added) percentile and max rules are skipped when that latency cannot
   * have moved them across the threshold, which keeps the per-event cost
   * constant.
   */
  private evaluate(window: SyscallWindow, timestamp: string, latencyNs: number | undefined): Alert[] {
    const alerts: Alert[] = [];
    for (const rule of this.options.rules) {
      if (rule.scope !== undefined && rule.scope !== window.name) continue;
      const key = `${rule.text}\u0000${window.name}`;
      const last = this.lastFired.get(key);
      if (last !== undefined && this.clockMs - last < this.options.cooldownMs) continue;
      if (latencyNs !== undefined && (rule.metric === 'max' || PERCENTILES[rule.metric] !== undefined) && typeof rule.threshold === 'number') {
        if ((rule.op === '>=' || rule.op === '>' || rule.op === '<=' || rule.op === '<') && !compare(latencyNs, rule.op, rule.threshold)) continue;
      }
      const value = this.measure(rule, window);
      if (value === undefined) continue;
      this.lastFired.set(key, this.clockMs);
      alerts.push({
        rule,
        syscall: window.name,
        value,
        stats: this.stats(window),
        windowMs: this.options.windowMs,
        timestamp,
        hints: triage({
          name: window.name,
          count: window.count,
          errors: window.errors,
          error_pct: window.errorPct,
          error_breakdown: window.errorBreakdown(),
          avg_ns: window.avgNs,
          p95_ns: window.percentile(95),
          sample_args: this.failingArgs.get(window.name) ?? [],
        }),
      });
    }
    return alerts;
  }

  /** The rule's value when its condition holds, else undefined. */
  private measure(rule: Rule, window: SyscallWindow): number | undefined {
    const { op, threshold } = rule;
    if (rule.metric === 'errno') {
      const matching = op === '==' ? window.errnoCount(threshold as string) : window.errors - window.errnoCount(threshold as string);
      return matching > 0 ? matching : undefined;
    }
    const limit = threshold as number;
    if (rule.metric === 'count') return compare(window.count, op, limit) ? window.count : undefined;
    if (rule.metric === 'errors') return compare(window.errors, op, limit) ? window.errors : undefined;
    if (window.count < this.minCalls) return undefined;
    if (rule.metric === 'error_pct') return compare(window.errorPct, op, limit) ? window.errorPct : undefined;
    if (rule.metric === 'avg') return compare(window.avgNs, op, limit) ? window.avgNs : undefined;
    if (rule.metric === 'max') return compare(window.maxNs, op, limit) ? window.maxNs : undefined;
    const p = PERCENTILES[rule.metric]!;
    const estimate = window.percentile(p);
    let holds: boolean;
    if (op === '>=') holds = window.percentileAtLeast(p, limit);
    else if (op === '>') holds = window.percentileAtLeast(p, limit + 1);
    else if (op === '<') holds = !window.percentileAtLeast(p, limit);
    else if (op === '<=') holds = !window.percentileAtLeast(p, limit + 1);
    else holds = compare(estimate, op, limit);
    if (!holds) return undefined;
    // The histogram rounds down by up to 0.2%; never report a value that contradicts the exact check.
    if (op === '>=' || op === '>') return Math.max(estimate, op === '>' ? limit + 1 : limit);
    if (op === '<' || op === '<=') return Math.min(estimate, op === '<' ? limit - 1 : limit);
    return estimate;
  }

  private stats(window: SyscallWindow): WindowStats {
    return {
      name: window.name,
      category: this.categories.get(window.name) ?? 'OTHER',
      count: window.count,
      errors: window.errors,
      error_pct: window.errorPct,
      avg_ns: window.avgNs,
      max_ns: window.maxNs,
      p50_ns: window.percentile(50),
      p95_ns: window.percentile(95),
      p99_ns: window.percentile(99),
      error_breakdown: window.errorBreakdown(),
    };
  }
}

/**
 * Turns SyscallEvents into Alerts by the rules: each condition alerts once,
 * then stays silent for the cooldown; conditions are checked again when the
 * input ends.
 *
 * @example
 * events$.pipe(alertRules({ rules: [parseRule('openat:error_pct>=50')], windowMs: 10_000, cooldownMs: 300_000 }))
 * // → { rule: { text: 'openat:error_pct>=50', … }, syscall: 'openat', value: 62.5, stats: { count: 8, errors: 5, … }, hints: [...] }
 */
export function alertRules(options: AlertRulesOptions): OperatorFunction<SyscallEvent, Alert> {
  return (events) =>
    new Observable<Alert>((subscriber) => {
      const engine = new AlertEngine(options);
      return events.subscribe({
        next(event) {
          for (const alert of engine.add(event)) subscriber.next(alert);
        },
        error: (error) => subscriber.error(error),
        complete() {
          for (const alert of engine.finish()) subscriber.next(alert);
          subscriber.complete();
        },
      });
    });
}
