/**
 * Alert rules as users write them on the command line:
 *
 *     [SYSCALL:]METRIC OP VALUE
 *
 * `error_pct>=50`, `p99>=100ms`, `count>=1000`, `errno==EACCES`, and scoped
 * to one syscall: `openat:error_pct>=50` (aliases resolve: `stat:` is fstat).
 * An unscoped rule is checked for every syscall on its own.
 */
import { canonicalName, parseDuration } from 'stracectl';

export const METRICS = ['count', 'errors', 'error_pct', 'avg', 'max', 'p50', 'p90', 'p95', 'p99', 'errno'] as const;
export type Metric = (typeof METRICS)[number];
export type Operator = '>=' | '>' | '<=' | '<' | '==' | '!=';

/** Metrics measured in time; their values take a unit (`100ms`). */
export const LATENCY_METRICS: ReadonlySet<Metric> = new Set(['avg', 'max', 'p50', 'p90', 'p95', 'p99']);
/** Metrics that are a property of the latency distribution's tail (computed from the window's histogram). */
export const PERCENTILES: Readonly<Partial<Record<Metric, number>>> = { p50: 50, p90: 90, p95: 95, p99: 99 };

export interface Rule {
  /** The rule as given, without spaces: the key for de-duplication. */
  text: string;
  /** Canonical syscall name, or undefined for "every syscall". */
  scope: string | undefined;
  metric: Metric;
  op: Operator;
  /** Number (count, percent, nanoseconds for latency metrics) or errno name. */
  threshold: number | string;
}

const RULE = /^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*:)?\s*([a-z_0-9]+)\s*(>=|<=|==|!=|>|<)\s*(\S.*?)\s*$/;

/**
 * Parses one rule; throws an Error whose message says what is wrong.
 *
 * @example parseRule('openat:error_pct >= 50') // { scope: 'openat', metric: 'error_pct', op: '>=', threshold: 50, … }
 * @example parseRule('p99>=100ms').threshold // 100000000
 */
export function parseRule(text: string): Rule {
  const match = RULE.exec(text);
  if (!match) throw new Error(`invalid rule "${text}" (expected [SYSCALL:]METRIC OP VALUE, e.g. error_pct>=50 or openat:p99>=100ms)`);
  const [, rawScope, rawMetric, op, rawValue] = match as unknown as [string, string | undefined, string, Operator, string];
  if (!(METRICS as readonly string[]).includes(rawMetric)) {
    throw new Error(`invalid rule "${text}": unknown metric "${rawMetric}" (one of ${METRICS.join(', ')})`);
  }
  const metric = rawMetric as Metric;
  const scope = rawScope === undefined ? undefined : canonicalName(rawScope.toLowerCase());
  const canonicalText = `${scope === undefined ? '' : `${scope}:`}${metric}${op}${rawValue.replace(/\s+/g, '')}`;
  if (metric === 'errno') {
    if (op !== '==' && op !== '!=') throw new Error(`invalid rule "${text}": errno takes == or !=`);
    if (!/^E[A-Z0-9_]+$/.test(rawValue)) throw new Error(`invalid rule "${text}": "${rawValue}" is not an errno name (e.g. EACCES)`);
    return { text: canonicalText, scope, metric, op, threshold: rawValue };
  }
  let threshold: number;
  if (LATENCY_METRICS.has(metric)) {
    try {
      threshold = parseDuration(rawValue);
    } catch (error) {
      throw new Error(`invalid rule "${text}": ${(error as Error).message}`);
    }
  } else {
    const number = /^(\d+(?:\.\d+)?)(%?)$/.exec(rawValue);
    if (!number || (number[2] === '%' && metric !== 'error_pct')) {
      throw new Error(`invalid rule "${text}": "${rawValue}" is not a number${metric === 'error_pct' ? ' (percent, e.g. 50)' : ''}`);
    }
    threshold = Number(number[1]);
    if (metric === 'error_pct' && threshold > 100) throw new Error(`invalid rule "${text}": error_pct is a percentage (0-100)`);
  }
  return { text: canonicalText, scope, metric, op, threshold };
}

export function compare(value: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
