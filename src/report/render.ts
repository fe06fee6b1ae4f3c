/**
 * `renderReport`: one self-contained HTML page built from a TraceSession's
 * aggregates (stats, histograms, capped samples), never from every event, so
 * the file stays small whatever the length of the trace. Pure: the time of
 * generation comes in `meta`.
 */
import { formatDuration } from '../duration.js';
import type { Category, StatsRecord, SyscallEvent } from '../event.js';
import { errnoInfo } from '../kb/errno.js';
import { CATEGORY_TITLES, lookup } from '../kb/index.js';
import { rowSeverity, triage, type Hint, type Severity } from '../kb/triage.js';
import type { TraceSession } from '../session.js';
import { REPORT_CSP, REPORT_CSS, REPORT_SCRIPT } from './assets.js';
import { categoryChart, formatCount, formatPct, inlineBar, latencyHistogram, timelineChart } from './charts.js';
import { escapeHtml, jsonForScript, truncate } from './escape.js';
import { ReportSession } from './timeline.js';

export interface ReportMeta {
  /** Shown as the page title and heading (default: "stracectl report"). */
  title?: string;
  /** The traced command line, shown in the header. */
  command?: string;
  /** PIDs the trace attached to (default: every pid seen in the events). */
  pids?: readonly number[];
  /** When the report was generated (ISO 8601); the caller's clock, not ours. */
  generatedAt: string;
}

/** Caps that keep the file bounded whatever the input. */
export const REPORT_LIMITS = {
  tableRows: 1000,
  histograms: 48,
  findings: 80,
  recentErrors: 100,
  errnos: 100,
  argsChars: 600,
  pidsShown: 40,
  titleChars: 300,
  commandChars: 2000,
} as const;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

interface Row {
  index: number;
  stats: StatsRecord;
  severity: 'red' | 'yellow' | null;
  hints: Hint[];
  histogramId?: string;
  findingId?: string;
}

const h = escapeHtml;

/**
 * Recent failing calls of one syscall. A plain TraceSession only offers
 * detail(), which snapshots every group per call: it is asked only for
 * syscalls with errors, and at most DETAIL_LOOKUPS times.
 */
const DETAIL_LOOKUPS = 200;
function failureSource(session: TraceSession): (stats: StatsRecord) => SyscallEvent[] {
  if (session instanceof ReportSession) return (stats) => session.recentErrors(stats.name);
  const cache = new Map<string, SyscallEvent[]>();
  return (stats) => {
    let samples = cache.get(stats.name);
    if (samples === undefined) {
      samples = stats.errors > 0 && cache.size < DETAIL_LOOKUPS ? (session.detail(stats.name)?.recent_errors ?? []) : [];
      cache.set(stats.name, samples);
    }
    return samples;
  };
}
const code = (text: string): string => `<code>${h(text)}</code>`;

function durationBetween(first: string | undefined, last: string | undefined): number | undefined {
  if (first === undefined || last === undefined) return undefined;
  const ms = Date.parse(last) - Date.parse(first);
  return Number.isFinite(ms) ? ms * 1e6 : undefined;
}

function header(session: TraceSession, meta: ReportMeta, title: string): string {
  const rows: string[] = [];
  if (meta.command !== undefined && meta.command !== '') rows.push(`<dt>Command</dt><dd>${code(truncate(meta.command, REPORT_LIMITS.commandChars))}</dd>`);
  const pids = meta.pids !== undefined ? [...meta.pids] : [...session.pids].sort((a, b) => a - b);
  if (pids.length > 0) {
    const shown = pids.slice(0, REPORT_LIMITS.pidsShown).map(String).join(', ');
    const more = pids.length > REPORT_LIMITS.pidsShown ? ` … and ${formatCount(pids.length - REPORT_LIMITS.pidsShown)} more` : '';
    rows.push(`<dt>${meta.pids !== undefined ? 'Traced PIDs' : 'PIDs seen'}</dt><dd>${h(shown + more)}</dd>`);
  }
  rows.push(`<dt>Generated</dt><dd>${h(meta.generatedAt)}</dd>`);
  return `<header><h1>${h(title)}</h1><dl>${rows.join('')}</dl></header>`;
}

function card(key: string, value: string, sub: string, bad = false): string {
  return `<div class="card${bad ? ' bad' : ''}"><div class="k">${h(key)}</div><div class="v">${h(value)}</div><div class="s">${h(sub)}</div></div>`;
}

function summaryCards(session: TraceSession, records: readonly StatsRecord[]): string {
  const first = session.stats.firstTimestamp;
  const last = session.stats.lastTimestamp;
  const timeline = session instanceof ReportSession ? session.timeline : undefined;
  const spanNs = timeline !== undefined && Number.isFinite(timeline.minMs) ? (timeline.maxMs - timeline.minMs) * 1e6 : durationBetween(first, last);
  const events = session.events;
  const errors = session.errors;
  const totalNs = records.reduce((sum, record) => sum + record.total_ns, 0);
  const rate = events === 0 ? 0 : (errors / events) * 100;
  const cards = [
    card('Time range', spanNs === undefined ? '–' : formatDuration(spanNs), first === undefined ? 'no timestamps' : `${first} → ${last ?? first}`),
    card('Processes', formatCount(session.pids.size), session.pids.size === 1 ? 'one pid' : 'distinct pids (threads included)'),
    card('Calls', formatCount(events), `${formatCount(records.length)} distinct syscalls`),
    card('Errors', formatCount(errors), `error rate ${formatPct(rate)}`, rate >= 50),
    card('Time in syscalls', formatDuration(totalNs), 'sum of latencies'),
  ];
  if (session.lost > 0) cards.push(card('Lost events', formatCount(session.lost), 'dropped by the tracer', true));
  return `<section class="cards" id="summary">${cards.join('')}</section>`;
}

function categorySection(records: readonly StatsRecord[]): string {
  const totals = new Map<Category, number>();
  for (const record of records) totals.set(record.category, (totals.get(record.category) ?? 0) + record.count);
  const rows = [...totals].map(([category, count]) => ({ category, count }));
  const legend = rows
    .filter((row) => row.count > 0)
    .map((row) => `${h(row.category)} = ${h(CATEGORY_TITLES[row.category] ?? row.category)}`)
    .join(' · ');
  return `<section id="categories"><h2>Calls by category</h2>${categoryChart(rows)}${legend === '' ? '' : `<p class="note">${legend}</p>`}</section>`;
}

function timelineSection(session: TraceSession): string {
  if (!(session instanceof ReportSession)) return '';
  const { timeline } = session;
  const buckets = timeline.buckets();
  const note = buckets.length === 0 ? '' : `<p class="note">Each bar is ${h(formatDuration(timeline.widthMs * 1e6))}, from ${h(new Date(buckets[0]!.startMs).toISOString())}.${timeline.untimed > 0 ? ` ${formatCount(timeline.untimed)} calls without a readable timestamp are not shown.` : ''}</p>`;
  return `<section id="timeline"><h2>Calls over time</h2><div class="legend"><span class="sw calls"></span>calls<span class="sw errors"></span>errors</div><div class="scroll">${timelineChart(buckets, timeline.widthMs)}</div>${note}</section>`;
}

const COLUMNS: ReadonlyArray<readonly [label: string, key: keyof StatsRecord, numeric: boolean]> = [
  ['Syscall', 'name', false],
  ['Category', 'category', false],
  ['Calls', 'count', true],
  ['Errors', 'errors', true],
  ['Err%', 'error_pct', true],
  ['Avg', 'avg_ns', true],
  ['P50', 'p50_ns', true],
  ['P95', 'p95_ns', true],
  ['P99', 'p99_ns', true],
  ['Max', 'max_ns', true],
  ['Total', 'total_ns', true],
];

function statsSection(rows: readonly Row[], omitted: number): string {
  const head = COLUMNS.map(
    ([label, key, numeric]) => `<th${numeric ? ' class="n"' : ''} data-key="${key}"${key === 'count' ? ' aria-sort="descending"' : ''}><button type="button">${label}</button></th>`,
  ).join('');
  const body = rows
    .map((row) => {
      const s = row.stats;
      const name = row.histogramId === undefined ? h(s.name) : `<a href="#${row.histogramId}">${h(s.name)}</a>`;
      const flag = row.findingId === undefined ? '' : `<a class="flag" href="#${row.findingId}" title="triage hints">!</a>`;
      const cells = [
        `<td>${name}${flag}</td>`,
        `<td>${h(s.category)}</td>`,
        `<td class="n">${formatCount(s.count)}</td>`,
        `<td class="n">${formatCount(s.errors)}</td>`,
        `<td class="n">${formatPct(s.error_pct)}</td>`,
        ...[s.avg_ns, s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns, s.total_ns].map((ns) => `<td class="n">${h(formatDuration(ns))}</td>`),
      ];
      return `<tr data-i="${row.index}"${row.severity === null ? '' : ` class="sev-${row.severity}"`}>${cells.join('')}</tr>`;
    })
    .join('');
  const note = `<p class="note">Click a column to sort. Red rows: error rate ≥ 50%; yellow rows: average ≥ 5ms. Percentiles from a streaming histogram (within 1%).${omitted > 0 ? ` ${formatCount(omitted)} less-called syscalls are not shown.` : ''}</p>`;
  return `<section id="stats"><h2>Syscalls</h2><div class="scroll"><table id="stats-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${note}</section>`;
}

function kbNotes(stats: StatsRecord): string {
  const entry = lookup(stats.name);
  if (!entry.known) return '<div class="kb"><p>Not in the knowledge base.</p></div>';
  const errnos = Object.keys(stats.error_breakdown);
  const errors = entry.errors.filter((error) => errnos.includes(error.errno)).map((error) => `<li>${code(error.errno)}: ${h(error.description)}</li>`);
  return (
    `<div class="kb"><p><b>${h(entry.name)}</b> — ${h(entry.description)}${entry.signature === '' ? '' : ` ${code(entry.signature)}`}</p>` +
    (entry.notes === '' ? '' : `<p>${h(entry.notes)}</p>`) +
    (errors.length === 0 ? '' : `<ul>${errors.join('')}</ul>`) +
    '</div>'
  );
}

function findingsSection(flagged: readonly Row[]): string {
  if (flagged.length === 0) return '<section id="findings"><h2>Triage</h2><p class="empty">Nothing flagged: no syscall fails half of the time or averages 5ms or more, and no known pattern matched.</p></section>';
  const articles = flagged.map((row) => {
    const s = row.stats;
    const worst = row.hints[0]?.severity ?? 'info';
    const rowTag = row.severity === null ? '' : `<span class="tag ${row.severity}">${row.severity === 'red' ? 'err% ≥ 50' : 'avg ≥ 5ms'}</span>`;
    const hints = row.hints.map((hint) => `<li><span class="tag ${hint.severity}">${hint.severity}</span>${h(hint.message)}</li>`).join('');
    return (
      `<article class="finding sev-${row.severity === 'red' && worst !== 'info' ? 'critical' : worst}" id="${row.findingId}">` +
      `<h3>${rowTag}${h(s.name)}</h3>` +
      `<p class="note">${formatCount(s.count)} calls, ${formatCount(s.errors)} errors (${formatPct(s.error_pct)}), avg ${h(formatDuration(s.avg_ns))}, P95 ${h(formatDuration(s.p95_ns))}, P99 ${h(formatDuration(s.p99_ns))}</p>` +
      (hints === '' ? '' : `<ul>${hints}</ul>`) +
      kbNotes(s) +
      '</article>'
    );
  });
  return `<section id="findings"><h2>Triage</h2>${articles.join('')}</section>`;
}

function errnoSection(records: readonly StatsRecord[]): string {
  const byErrno = new Map<string, { count: number; syscalls: Map<string, number> }>();
  let total = 0;
  for (const record of records) {
    for (const [errno, count] of Object.entries(record.error_breakdown)) {
      let entry = byErrno.get(errno);
      if (entry === undefined) byErrno.set(errno, (entry = { count: 0, syscalls: new Map() }));
      entry.count += count;
      entry.syscalls.set(record.name, (entry.syscalls.get(record.name) ?? 0) + count);
      total += count;
    }
  }
  if (total === 0) return '<section id="errnos"><h2>Errors by errno</h2><p class="empty">No failing calls.</p></section>';
  const sorted = [...byErrno].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const rows = sorted.slice(0, REPORT_LIMITS.errnos).map(([errno, entry]) => {
    const share = (entry.count / total) * 100;
    const syscalls = [...entry.syscalls].sort((a, b) => b[1] - a[1]);
    const top = syscalls.slice(0, 5).map(([name, count]) => `${name} ×${formatCount(count)}`).join(', ') + (syscalls.length > 5 ? `, +${syscalls.length - 5} more` : '');
    const info = errnoInfo(errno);
    return `<tr><td>${code(errno)}</td><td class="n">${formatCount(entry.count)}</td><td class="n">${formatPct(share)}</td><td>${inlineBar(share)}</td><td>${h(info?.message ?? '')}</td><td>${h(top)}</td></tr>`;
  });
  const omitted = sorted.length - rows.length;
  return (
    `<section id="errnos"><h2>Errors by errno</h2><div class="scroll"><table><thead><tr><th>Errno</th><th class="n">Count</th><th class="n">Share</th><th></th><th>Meaning</th><th>Syscalls</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    (omitted > 0 ? `<p class="note">${formatCount(omitted)} rarer errno values are not shown.</p>` : '') +
    '</section>'
  );
}

function recentErrorsSection(failures: (stats: StatsRecord) => SyscallEvent[], records: readonly StatsRecord[]): string {
  const samples: SyscallEvent[] = [];
  for (const record of records) if (record.errors > 0) samples.push(...failures(record));
  if (samples.length === 0) return '<section id="recent-errors"><h2>Recent failing calls</h2><p class="empty">No failing calls.</p></section>';
  // ISO timestamps of one trace sort as strings; newest first.
  samples.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
  const rows = samples.slice(0, REPORT_LIMITS.recentErrors).map(
    (event) =>
      `<tr><td class="t"><code>${h(event.timestamp)}</code></td><td class="n">${h(String(event.pid))}</td><td>${h(event.name)}</td><td class="args">${h(truncate(event.args, REPORT_LIMITS.argsChars))}</td><td><code>${h(event.ret)}</code></td><td><code>${h(event.error)}</code></td></tr>`,
  );
  return (
    `<section id="recent-errors"><h2>Recent failing calls</h2><div class="scroll tall"><table><thead><tr><th>Time</th><th class="n">PID</th><th>Syscall</th><th>Args</th><th>Return</th><th>Error</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    `<p class="note">Newest first: the last failing calls kept per syscall, at most ${REPORT_LIMITS.recentErrors} in all; long arguments are cut at ${REPORT_LIMITS.argsChars} characters.</p></section>`
  );
}

function histogramsSection(session: TraceSession, rows: readonly Row[]): string {
  const figures = rows
    .filter((row) => row.histogramId !== undefined)
    .map((row) => {
      const s = row.stats;
      const histogram = session.stats.histogramOf(s.name);
      const chart = histogram === undefined ? '' : latencyHistogram({ distribution: histogram.distribution(), p50: s.p50_ns, p95: s.p95_ns, p99: s.p99_ns }, s.name);
      return `<figure id="${row.histogramId}"><figcaption><b>${h(s.name)}</b> · ${formatCount(s.count)} calls · <span class="p50">P50 ${h(formatDuration(s.p50_ns))}</span> · <span class="p95">P95 ${h(formatDuration(s.p95_ns))}</span> · <span class="p99">P99 ${h(formatDuration(s.p99_ns))}</span> · max ${h(formatDuration(s.max_ns))}</figcaption>${chart}</figure>`;
    });
  if (figures.length === 0) return '<section id="latency"><h2>Latency per syscall</h2><p class="empty">No per-call latencies in this trace.</p></section>';
  const capped = figures.length >= REPORT_LIMITS.histograms;
  return (
    `<section id="latency"><h2>Latency per syscall</h2><div class="grid-hist">${figures.join('')}</div>` +
    `<p class="note">Log-scale latency axis, 4 bins per decade; dashed lines mark <span class="p50">P50</span>, <span class="p95">P95</span> and <span class="p99">P99</span>.${capped ? ` Shown for the ${figures.length} most-called syscalls with timing.` : ''}</p></section>`
  );
}

/**
 * The report as one HTML document: inline CSS and SVG, one small hashed
 * script (table sorting), a CSP that forbids every network request, and all
 * trace text escaped. Size is bounded by REPORT_LIMITS, not by the number of
 * events.
 *
 * @example
 * const session = new ReportSession();
 * events.forEach((event) => session.add(event));
 * const html = renderReport(session, { title: 'nginx reload', generatedAt: new Date().toISOString() });
 */
export function renderReport(session: TraceSession, meta: ReportMeta): string {
  const title = truncate(meta.title === undefined || meta.title.trim() === '' ? 'stracectl report' : meta.title, REPORT_LIMITS.titleChars);
  const records = session.snapshot('count');
  const shown = records.slice(0, REPORT_LIMITS.tableRows);
  const shortWrites = session instanceof ReportSession ? session.shortWrites : undefined;
  const failures = failureSource(session);
  let histograms = 0;
  const rows: Row[] = shown.map((stats, index) => {
    const samples = failures(stats);
    const hints = triage({ ...stats, sample_args: samples.map((event) => event.args), short_writes: shortWrites?.get(stats.name) });
    const row: Row = { index, stats, severity: rowSeverity(stats), hints };
    const histogram = session.stats.histogramOf(stats.name);
    if (histograms < REPORT_LIMITS.histograms && histogram !== undefined && histogram.count > 0 && histogram.max > 0) {
      row.histogramId = `lat-${index}`;
      histograms++;
    }
    return row;
  });
  // Most severe first, then coloured rows, then the most-called; at most REPORT_LIMITS.findings entries.
  const flagged = rows
    .filter((row) => row.severity !== null || row.hints.length > 0)
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.hints[0]?.severity ?? 'info'] - SEVERITY_RANK[b.hints[0]?.severity ?? 'info'] ||
        (a.severity === null ? 1 : 0) - (b.severity === null ? 1 : 0) ||
        a.index - b.index,
    )
    .slice(0, REPORT_LIMITS.findings);
  for (const row of flagged) row.findingId = `finding-${row.index}`;
  const data = { generatedAt: meta.generatedAt, events: session.events, errors: session.errors, stats: shown };
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="stracectl">',
    '<link rel="icon" href="data:,">',
    `<title>${h(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    header(session, meta, title),
    '<main>',
    summaryCards(session, records),
    categorySection(records),
    timelineSection(session),
    statsSection(rows, records.length - shown.length),
    findingsSection(flagged),
    errnoSection(records),
    recentErrorsSection(failures, records),
    histogramsSection(session, rows),
    '</main>',
    `<footer>Generated by stracectl from ${formatCount(session.events)} calls at ${h(meta.generatedAt)}. This file is self-contained: it loads nothing from the network.</footer>`,
    `<script type="application/json" id="stracectl-data">${jsonForScript(data)}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
