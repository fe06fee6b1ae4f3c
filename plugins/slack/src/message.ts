/**
 * The text of an alert: which syscall, what the rule measured against its
 * threshold, the window's numbers and the triage hint. Syscall names and
 * errnos come from the input, so they are escaped for Slack's mrkdwn.
 */
import { formatDuration, printable } from 'stracectl';
import type { Alert } from './alerts.js';
import { LATENCY_METRICS } from './rules.js';

/** Slack's own escaping rule for message text: &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeMrkdwn(text: string): string {
  return printable(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatValue(alert: Alert, value: number | string): string {
  if (typeof value === 'string') return value;
  if (LATENCY_METRICS.has(alert.rule.metric)) return formatDuration(value);
  if (alert.rule.metric === 'error_pct') return `${Number(value.toFixed(2))}%`;
  return String(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export interface MessageContext {
  /** Where the trace runs (a fleet sends to one channel). */
  host?: string;
}

/**
 * Plain-text lines of an alert (the dry-run output; mrkdwn-escaped by `slackText`).
 *
 * @example
 * // openat: error_pct 62.5% >= 50% in the last 10s (rule openat:error_pct>=50) on web-1
 * // 5 of 8 calls failed (ENOENT 5); avg 12.0µs, p99 40.0µs, max 41.0µs
 * // hint: 5 ENOENT errors: usually the dynamic linker probing library paths…
 */
export function alertLines(alert: Alert, context: MessageContext = {}): { headline: string; details: string; hints: string[] } {
  const { rule, stats } = alert;
  const windowText = formatDuration(alert.windowMs * 1e6).replace(/\.0+(?=[a-zµ])/, '');
  const measured =
    rule.metric === 'errno'
      ? `${plural(alert.value, 'call')} failed with ${rule.op === '==' ? rule.threshold : `an errno other than ${rule.threshold}`}`
      : `${rule.metric} ${formatValue(alert, alert.value)} ${rule.op} ${formatValue(alert, rule.threshold)}`;
  const headline = `${alert.syscall}: ${measured} in the last ${windowText} (rule ${rule.text})${context.host ? ` on ${context.host}` : ''}`;
  const breakdown = Object.entries(stats.error_breakdown)
    .slice(0, 4)
    .map(([errno, n]) => `${errno} ${n}`)
    .join(', ');
  const details =
    `${stats.errors} of ${plural(stats.count, 'call')} failed${breakdown ? ` (${breakdown})` : ''}; ` +
    `avg ${formatDuration(stats.avg_ns)}, p99 ${formatDuration(stats.p99_ns)}, max ${formatDuration(stats.max_ns)}`;
  const hints = alert.hints.slice(0, 2).map((hint) => hint.message);
  return { headline, details, hints };
}

/** The Slack message text (mrkdwn). */
export function slackText(alert: Alert, context: MessageContext = {}): string {
  const { headline, details, hints } = alertLines(alert, context);
  const [name, ...rest] = headline.split(': ');
  const lines = [`:rotating_light: *${escapeMrkdwn(name ?? '')}*: ${escapeMrkdwn(rest.join(': '))}`, escapeMrkdwn(details)];
  for (const hint of hints) lines.push(`> hint: ${escapeMrkdwn(hint)}`);
  return lines.join('\n');
}

/** The dry-run text (plain; the logger escapes control characters). */
export function plainText(alert: Alert, context: MessageContext = {}): string {
  const { headline, details, hints } = alertLines(alert, context);
  return [headline, `  ${details}`, ...hints.map((hint) => `  hint: ${hint}`)].join('\n');
}
