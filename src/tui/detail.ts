/** Content of the detail overlay, the help overlay and the log view, as lines for a given width. */
import type { StatsRecord, SyscallEvent } from '../event.js';
import { formatDuration } from '../duration.js';
import { CATEGORY_TITLES, lookup } from '../kb/index.js';
import { errnoInfo } from '../kb/errno.js';
import { wrapText } from '../kb/format.js';
import { rowSeverity, type Hint } from '../kb/triage.js';
import type { Colour, Line } from './lines.js';
import { clockTime, formatCount, terminalSafe, truncate } from './text.js';

const HINT_STYLE: Readonly<Record<Hint['severity'], { icon: string; color: Colour }>> = {
  critical: { icon: '✖', color: 'red' },
  warning: { icon: '▲', color: 'yellow' },
  info: { icon: 'ℹ', color: 'cyan' },
};

const heading = (text: string): Line => [{ text, bold: true, underline: true }];

/** Wrapped paragraph with a hanging indent; `style` applies to every row. */
function paragraph(text: string, width: number, indent = 2, style: Partial<Line[number]> = {}): Line[] {
  return wrapText(text, Math.max(10, width - indent)).map((row) => [{ ...style, text: `${' '.repeat(indent)}${row}` }]);
}

/** One event as strace prints it: `time [pid] name(args) = ret ERRNO <latency>` (all escaped). */
export function eventLine(event: SyscallEvent, width: number): Line {
  const failed = event.error !== '';
  const call = `${terminalSafe(event.name)}(${terminalSafe(event.args)}) = ${terminalSafe(event.ret)}${failed ? ` ${terminalSafe(event.error)}` : ''}`;
  const prefix = `${clockTime(event.timestamp)} ${String(event.pid).padStart(7)} `;
  const latency = ` ${formatDuration(event.latency_ns)}`;
  const room = Math.max(8, width - prefix.length - latency.length - 1);
  return [{ text: ` ${prefix}`, dim: true }, { text: truncate(call, room), color: failed ? 'red' : undefined }, { text: latency, dim: true }];
}

/**
 * The detail of one syscall: knowledge-base entry, live stats, errno
 * breakdown, triage hints and its last failing calls.
 */
export function detailLines(name: string, record: StatsRecord | undefined, hints: readonly Hint[], recentErrors: readonly SyscallEvent[], width: number): Line[] {
  const entry = lookup(name);
  const shownName = terminalSafe(name);
  const lines: Line[] = [];
  const title: Line = [{ text: ` ${shownName} `, bold: true, inverse: true }, { text: `  ${entry.category} · ${CATEGORY_TITLES[entry.category]}` }];
  if (entry.aliases.length > 0) title.push({ text: `  aliases: ${entry.aliases.join(', ')}`, dim: true });
  if (record !== undefined) {
    const severity = rowSeverity(record);
    if (severity !== null) title.push({ text: severity === 'red' ? '  ERR% ≥ 50' : '  AVG ≥ 5ms', color: severity, bold: true });
  }
  lines.push(title);
  lines.push(...paragraph(entry.description, width, 1));
  if (entry.signature !== '') lines.push([{ text: ' ' }, { text: entry.signature, color: 'cyan' }]);
  lines.push([]);

  lines.push(heading(' LIVE STATS'));
  if (record === undefined) {
    lines.push([{ text: '  not seen in this trace (yet)', dim: true }]);
  } else {
    lines.push([
      { text: `  calls ${formatCount(record.count)}   errors ` },
      { text: `${formatCount(record.errors)} (${record.error_pct.toFixed(1)}%)`, color: record.errors > 0 ? 'red' : undefined },
      { text: `   total ${formatDuration(record.total_ns)}` },
    ]);
    lines.push([
      { text: `  avg ${formatDuration(record.avg_ns)}   min ${formatDuration(record.min_ns)}   p50 ${formatDuration(record.p50_ns)}   p95 ${formatDuration(record.p95_ns)}   p99 ${formatDuration(record.p99_ns)}   max ${formatDuration(record.max_ns)}` },
    ]);
  }
  lines.push([]);

  const breakdown = Object.entries(record?.error_breakdown ?? {});
  if (breakdown.length > 0) {
    lines.push(heading(' ERRORS (errno breakdown)'));
    const errnoWidth = Math.max(...breakdown.map(([errno]) => terminalSafe(errno).length));
    for (const [errno, count] of breakdown) {
      const meaning = entry.errors.find((error) => error.errno === errno)?.description || errnoInfo(errno)?.message || '';
      const share = record !== undefined && record.count > 0 ? ` (${((count / record.count) * 100).toFixed(1)}%)` : '';
      lines.push([
        { text: `  ${terminalSafe(errno).padEnd(errnoWidth)} `, color: 'red', bold: true },
        { text: `×${formatCount(count)}${share}`.padEnd(16) },
        { text: truncate(meaning, Math.max(10, width - errnoWidth - 21)), dim: true },
      ]);
    }
    lines.push([]);
  }

  if (hints.length > 0) {
    lines.push(heading(' TRIAGE'));
    for (const hint of hints) {
      const style = HINT_STYLE[hint.severity];
      const [firstRow, ...rest] = wrapText(terminalSafe(hint.message), Math.max(10, width - 5));
      lines.push([{ text: `  ${style.icon} `, color: style.color, bold: true }, { text: firstRow ?? '', color: style.color }]);
      for (const row of rest) lines.push([{ text: `    ${row}`, color: style.color }]);
    }
    lines.push([]);
  }

  if (recentErrors.length > 0) {
    lines.push(heading(` RECENT FAILING CALLS (last ${recentErrors.length}, newest last)`));
    for (const event of recentErrors) lines.push(eventLine(event, width));
    lines.push([]);
  }

  if (entry.args.length > 0) {
    lines.push(heading(' ARGUMENTS'));
    const argWidth = Math.min(16, Math.max(...entry.args.map((arg) => arg.name.length)));
    for (const arg of entry.args) {
      const [firstRow, ...rest] = wrapText(arg.description, Math.max(10, width - argWidth - 5));
      lines.push([{ text: `  ${arg.name.padEnd(argWidth)} `, bold: true }, { text: firstRow ?? '' }]);
      for (const row of rest) lines.push([{ text: `${' '.repeat(argWidth + 3)}${row}` }]);
    }
    lines.push([]);
  }
  if (entry.returns !== '') {
    lines.push(heading(' RETURNS'), ...paragraph(entry.returns, width), []);
  }
  if (entry.errors.length > 0) {
    lines.push(heading(' COMMON ERRORS'));
    const errnoWidth = Math.max(...entry.errors.map((error) => error.errno.length));
    for (const error of entry.errors) {
      lines.push([{ text: `  ${error.errno.padEnd(errnoWidth)} `, bold: true }, { text: truncate(error.description, Math.max(10, width - errnoWidth - 4)) }]);
    }
    lines.push([]);
  }
  if (entry.notes !== '') lines.push(heading(' NOTES'), ...paragraph(entry.notes, width), []);
  while (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
  return lines;
}

const HELP_KEYS: ReadonlyArray<[keys: string, what: string]> = [
  ['↑ ↓  j k', 'move the selection (PgUp/PgDn, g/G or Home/End jump)'],
  ['Enter  d', 'detail of the selected syscall: knowledge base, live stats, errno breakdown, triage hints, last failing calls'],
  ['/', 'filter by name as you type (aliases match: /stat finds fstat); Enter keeps it, Esc cancels'],
  ['s', 'cycle the sort: count → errors → err% → avg → p95 → p99 → total'],
  ['c', 'category view: calls per category; Enter narrows the table to one category'],
  ['l', 'recent event log (the last 500 events, args escaped); ↑↓ scroll back'],
  ['p', 'pause / resume the display (events are still counted)'],
  ['?', 'this help'],
  ['Esc', 'close an overlay or view; in the table, clear the filter'],
  ['q  Ctrl-C', 'quit (the terminal is restored)'],
];

export function helpLines(width: number): Line[] {
  const lines: Line[] = [[{ text: ' stracectl top — keys ', bold: true, inverse: true }], []];
  for (const [keys, what] of HELP_KEYS) {
    const [firstRow, ...rest] = wrapText(what, Math.max(10, width - 16));
    lines.push([{ text: `  ${keys.padEnd(12)} `, bold: true, color: 'cyan' }, { text: firstRow ?? '' }]);
    for (const row of rest) lines.push([{ text: `${' '.repeat(15)}${row}` }]);
  }
  lines.push([], heading(' COLOURS'));
  lines.push([{ text: '  ! red    ', color: 'red', bold: true }, { text: 'ERR% ≥ 50: most calls fail (the hint says whether that is benign)' }]);
  lines.push([{ text: '  ~ yellow ', color: 'yellow' }, { text: 'AVG ≥ 5 ms: slow calls (or calls that wait by design)' }]);
  lines.push([], ...paragraph('The selected row\'s triage hint is shown under the table. Text from the traced program is shown with control characters escaped (\\x1b, \\n).', width, 1));
  return lines;
}

/** The log view: newest event last; `scroll` lines back from the newest. */
export function logLines(events: readonly SyscallEvent[], width: number, height: number, scroll: number): { lines: Line[]; maxScroll: number } {
  const header: Line = [{ text: ` ${'TIME'.padEnd(12)} ${'PID'.padStart(7)} SYSCALL(ARGS) = RET ERRNO  LATENCY`.padEnd(width), inverse: true }];
  const room = Math.max(0, height - 1);
  const maxScroll = Math.max(0, events.length - room);
  const back = Math.min(scroll, maxScroll);
  const end = events.length - back;
  const shown = events.slice(Math.max(0, end - room), end).map((event) => eventLine(event, width));
  if (events.length === 0) shown.push([{ text: ' no events yet', dim: true }]);
  return { lines: [header, ...shown], maxScroll };
}
