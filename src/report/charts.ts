/**
 * Inline SVG charts for the HTML report: plain strings, no library, no
 * external resource. Colours come from CSS classes (the stylesheet is the
 * only style source the report's CSP allows). Every label goes through
 * escapeHtml.
 */
import { formatDuration } from '../duration.js';
import type { Category } from '../event.js';
import { escapeHtml } from './escape.js';
import type { TimeBucket } from './timeline.js';

/** 1234567 → `1,234,567` (fixed format: the report must not depend on the locale). */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `12.3%` with one decimal, `0%` for nothing. */
export function formatPct(value: number): string {
  return value === 0 ? '0%' : `${value < 0.1 ? '<0.1' : value.toFixed(1)}%`;
}

/** CSS class for a category (`I/O` → `cat-io`). */
export function categoryClass(category: Category): string {
  return `cat-${category.toLowerCase().replace(/[^a-z]/g, '')}`;
}

const num = (value: number): string => (Math.round(value * 10) / 10).toString();

/** Share of calls per category as horizontal bars, largest first. */
export function categoryChart(rows: ReadonlyArray<{ category: Category; count: number }>): string {
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  const sorted = [...rows].filter((row) => row.count > 0).sort((a, b) => b.count - a.count);
  if (sorted.length === 0 || total === 0) return '<p class="empty">No calls.</p>';
  const rowHeight = 26;
  const labelWidth = 64;
  const barMax = 420;
  const height = sorted.length * rowHeight + 4;
  const most = sorted[0]!.count;
  const bars = sorted.map((row, i) => {
    const y = i * rowHeight + 4;
    const width = Math.max(1, (row.count / most) * barMax);
    const share = (row.count / total) * 100;
    const label = `${formatPct(share)} · ${formatCount(row.count)} calls`;
    return (
      `<g><title>${escapeHtml(`${row.category}: ${label}`)}</title>` +
      `<text x="0" y="${y + 15}" class="label">${escapeHtml(row.category)}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${num(width)}" height="${rowHeight - 8}" rx="2" class="${categoryClass(row.category)}"/>` +
      `<text x="${num(labelWidth + width + 6)}" y="${y + 15}" class="value">${escapeHtml(label)}</text></g>`
    );
  });
  return `<svg class="chart" viewBox="0 0 720 ${height}" width="720" height="${height}" role="img" aria-label="share of calls per category">${bars.join('')}</svg>`;
}

/** `+1.25s` style offset from the start of the trace. */
function offset(ms: number): string {
  return ms === 0 ? '0' : `+${formatDuration(ms * 1e6)}`;
}

/** Calls (and, in red, errors) per time bucket as a bar chart. */
export function timelineChart(buckets: readonly TimeBucket[], widthMs: number): string {
  if (buckets.length === 0) return '<p class="empty">No timestamped calls.</p>';
  const [left, right, top, bottom] = [56, 712, 10, 170];
  const plotWidth = right - left;
  const plotHeight = bottom - top;
  const most = Math.max(1, ...buckets.map((bucket) => bucket.calls));
  const barWidth = plotWidth / buckets.length;
  const start = buckets[0]!.startMs;
  const bars = buckets.map((bucket, i) => {
    if (bucket.calls === 0) return '';
    const x = left + i * barWidth;
    const callsHeight = Math.max(1, (bucket.calls / most) * plotHeight);
    const errorsHeight = bucket.errors === 0 ? 0 : Math.max(1, (bucket.errors / most) * plotHeight);
    const tip = `${new Date(bucket.startMs).toISOString()} (${offset(bucket.startMs - start)}): ${formatCount(bucket.calls)} calls, ${formatCount(bucket.errors)} errors`;
    return (
      `<g><title>${escapeHtml(tip)}</title>` +
      `<rect x="${num(x)}" y="${num(bottom - callsHeight)}" width="${num(Math.max(0.5, barWidth - 1))}" height="${num(callsHeight)}" class="calls"/>` +
      (errorsHeight > 0 ? `<rect x="${num(x)}" y="${num(bottom - errorsHeight)}" width="${num(Math.max(0.5, barWidth - 1))}" height="${num(errorsHeight)}" class="errors"/>` : '') +
      '</g>'
    );
  });
  const spanMs = buckets.length * widthMs;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const x = left + fraction * plotWidth;
    const anchor = fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle';
    return `<line x1="${num(x)}" y1="${bottom}" x2="${num(x)}" y2="${bottom + 4}" class="axis"/><text x="${num(x)}" y="${bottom + 16}" text-anchor="${anchor}" class="tick">${escapeHtml(offset(fraction * spanMs))}</text>`;
  });
  return (
    `<svg class="chart" viewBox="0 0 720 190" width="720" height="190" role="img" aria-label="calls over time">` +
    `<line x1="${left}" y1="${top}" x2="${right}" y2="${top}" class="grid"/>` +
    `<line x1="${left}" y1="${(top + bottom) / 2}" x2="${right}" y2="${(top + bottom) / 2}" class="grid"/>` +
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" class="tick">${formatCount(most)}</text>` +
    `<text x="${left - 6}" y="${(top + bottom) / 2 + 4}" text-anchor="end" class="tick">${formatCount(most / 2)}</text>` +
    `<text x="${left - 6}" y="${bottom}" text-anchor="end" class="tick">0</text>` +
    bars.join('') +
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" class="axis"/>` +
    ticks.join('') +
    '</svg>'
  );
}

export interface HistogramInput {
  /** (value ns, count) pairs in ascending order (LatencyHistogram.distribution()). */
  distribution: ReadonlyArray<readonly [number, number]>;
  p50: number;
  p95: number;
  p99: number;
}

/** Bins per decade of the log-scale latency axis. */
const BINS_PER_DECADE = 4;
const binOf = (ns: number): number => Math.floor(Math.log10(ns) * BINS_PER_DECADE + 1e-9);
const binStart = (bin: number): number => 10 ** (bin / BINS_PER_DECADE);

/** Latency distribution of one syscall on a log axis, with P50/P95/P99 marked. */
export function latencyHistogram(input: HistogramInput, label: string): string {
  let zero = 0;
  const bins = new Map<number, number>();
  for (const [value, count] of input.distribution) {
    if (count === 0) continue;
    if (value < 1) zero += count;
    else bins.set(binOf(value), (bins.get(binOf(value)) ?? 0) + count);
  }
  if (bins.size === 0) return `<p class="empty">${zero > 0 ? 'No latency recorded (the source had no timing, e.g. strace without -T).' : 'No calls.'}</p>`;
  const keys = [...bins.keys()];
  // Whole decades, so the axis starts and ends on a labelled tick.
  const first = Math.floor(Math.min(...keys) / BINS_PER_DECADE) * BINS_PER_DECADE;
  const end = (Math.floor(Math.max(...keys) / BINS_PER_DECADE) + 1) * BINS_PER_DECADE;
  const shift = zero > 0 ? 1 : 0;
  const slots = end - first + shift;
  const [left, right, top, bottom] = [44, 340, 8, 104];
  const slotWidth = (right - left) / slots;
  const most = Math.max(zero, ...bins.values());
  const bar = (slot: number, count: number, tip: string): string => {
    const height = Math.max(1, (count / most) * (bottom - top));
    return `<g><title>${escapeHtml(tip)}</title><rect x="${num(left + slot * slotWidth + 0.5)}" y="${num(bottom - height)}" width="${num(Math.max(0.5, slotWidth - 1))}" height="${num(height)}" class="bin"/></g>`;
  };
  const parts: string[] = [];
  if (zero > 0) parts.push(bar(0, zero, `0ns (untimed): ${formatCount(zero)} calls`));
  for (const [bin, count] of bins) {
    parts.push(bar(bin - first + shift, count, `${formatDuration(binStart(bin))}–${formatDuration(binStart(bin + 1))}: ${formatCount(count)} calls`));
  }
  const ticks: string[] = [];
  for (let bin = first; bin <= end; bin += BINS_PER_DECADE) {
    const x = left + (bin - first + shift) * slotWidth;
    ticks.push(`<line x1="${num(x)}" y1="${bottom}" x2="${num(x)}" y2="${bottom + 4}" class="axis"/><text x="${num(x)}" y="${bottom + 15}" text-anchor="middle" class="tick">${escapeHtml(formatDuration(binStart(bin)))}</text>`);
  }
  // Percentiles as dashed lines (their values are in the caption, in the same colours).
  const xOf = (ns: number): number => left + (Math.min(end, Math.max(first, Math.log10(Math.max(ns, 1)) * BINS_PER_DECADE)) - first + shift) * slotWidth;
  const markers = (
    [
      ['P50', input.p50],
      ['P95', input.p95],
      ['P99', input.p99],
    ] as const
  ).map(([name, value], i) => `<g class="marker m${i}"><title>${name} ${escapeHtml(formatDuration(value))}</title><line x1="${num(xOf(value))}" y1="${top}" x2="${num(xOf(value))}" y2="${bottom}"/></g>`);
  return (
    `<svg class="chart hist" viewBox="0 0 360 124" width="360" height="124" role="img" aria-label="${escapeHtml(`latency histogram of ${label}`)}">` +
    `<text x="${left - 4}" y="${top + 8}" text-anchor="end" class="tick">${formatCount(most)}</text><text x="${left - 4}" y="${bottom}" text-anchor="end" class="tick">0</text>` +
    parts.join('') +
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" class="axis"/>` +
    ticks.join('') +
    markers.join('') +
    '</svg>'
  );
}

/** A small inline bar (0–100 %) for table cells. */
export function inlineBar(percent: number, className = 'bar-fill'): string {
  const width = Math.max(0, Math.min(100, percent));
  return `<svg class="bar" viewBox="0 0 100 8" width="100" height="8" aria-hidden="true"><rect width="100" height="8" class="bar-bg"/><rect width="${num(width)}" height="8" class="${className}"/></svg>`;
}
