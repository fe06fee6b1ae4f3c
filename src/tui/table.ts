/** The syscall table, the category table and the footer rows below them. */
import type { StatsRecord } from '../event.js';
import { formatDuration } from '../duration.js';
import { CATEGORY_TITLES, lookup } from '../kb/index.js';
import { rowSeverity, type Hint } from '../kb/triage.js';
import { STATS_COLUMNS } from '../render/statsTable.js';
import { CATEGORY_COLOURS } from './header.js';
import type { ViewState } from './keys.js';
import { padLine, type Colour, type Line } from './lines.js';
import type { CategoryRow, TopSortKey } from './model.js';
import { formatCount, terminalSafe, truncate } from './text.js';

export interface ColumnWidths {
  name: number;
  category: number;
  number: number;
}

/**
 * Column widths for a terminal width: at 80 columns the name gets 17 and
 * each number 6 (all ten columns fit); wider terminals first widen the name
 * to 20, then the numbers up to 9, then the name up to 40.
 */
export function columnWidths(width: number): ColumnWidths {
  const category = 5;
  const fixed = 1 + category + 9; // marker, CAT, the nine gaps between ten columns
  const spare = Math.max(0, width - fixed - 8 * 6 - 20);
  const number = Math.min(9, 6 + Math.floor(spare / 8));
  const name = Math.max(10, Math.min(40, width - fixed - 8 * number));
  return { name, category, number };
}

/** The column each sort key orders by, to underline it. */
const SORT_COLUMN: Readonly<Record<TopSortKey, (typeof STATS_COLUMNS)[number]>> = {
  count: 'CALLS',
  errors: 'ERRORS',
  'err%': 'ERR%',
  avg: 'AVG',
  p95: 'P95',
  p99: 'P99',
  total: 'TOTAL',
};

const padEnd = (text: string, width: number): string => truncate(text, width).padEnd(width);
const padStart = (text: string, width: number): string => truncate(text, width).padStart(width);

export function tableHeaderLine(widths: ColumnWidths, sort: TopSortKey, width: number): Line {
  const sorted = SORT_COLUMN[sort];
  const line: Line = [{ text: ' ', inverse: true }];
  STATS_COLUMNS.forEach((column, index) => {
    const cell = index === 0 ? padEnd(column, widths.name) : index === 1 ? padEnd(column, widths.category) : padStart(column, widths.number);
    if (index > 0) line.push({ text: ' ', inverse: true });
    line.push({ text: cell, inverse: true, bold: column === sorted, underline: column === sorted });
  });
  return padLine(line, width);
}

/** Severity marker: readable without colour, and what `capture-pane` shows. */
const MARKER = { red: '!', yellow: '~' } as const;

export function statsRowLine(record: StatsRecord, widths: ColumnWidths, selected: boolean, width: number): Line {
  const severity = rowSeverity(record);
  const cells = [
    padEnd(terminalSafe(record.name), widths.name),
    padEnd(record.category, widths.category),
    padStart(formatCount(record.count), widths.number),
    padStart(formatCount(record.errors), widths.number),
    padStart(`${record.error_pct.toFixed(1)}%`, widths.number),
    padStart(formatDuration(record.avg_ns), widths.number),
    padStart(formatDuration(record.p95_ns), widths.number),
    padStart(formatDuration(record.p99_ns), widths.number),
    padStart(formatDuration(record.max_ns), widths.number),
    padStart(formatDuration(record.total_ns), widths.number),
  ];
  const colour: Colour | undefined = severity ?? undefined;
  const text = `${severity === null ? ' ' : MARKER[severity]}${cells.join(' ')}`;
  return padLine([{ text, color: colour, inverse: selected, bold: selected || severity === 'red' }], width);
}

/** Where the table window starts so the selected row stays visible, moving as little as possible from `previous`. */
export function scrollOffset(previous: number, selectedIndex: number, rowCount: number, height: number): number {
  if (height <= 0 || rowCount <= height) return 0;
  let offset = Math.min(previous, rowCount - height);
  if (selectedIndex < offset) offset = selectedIndex;
  if (selectedIndex >= offset + height) offset = selectedIndex - height + 1;
  return Math.max(0, offset);
}

export function emptyTableLine(state: ViewState, anyStats: boolean): Line {
  if (!anyStats) return [{ text: ' waiting for events…', dim: true }];
  const what = [state.filter !== '' ? `name "${terminalSafe(state.filter)}"` : '', state.category !== undefined ? `category ${state.category}` : '']
    .filter((part) => part !== '')
    .join(' and ');
  return [{ text: ` no syscall matches ${what} (Esc clears)`, dim: true }];
}

export function categoryTableLines(rows: readonly CategoryRow[], selected: string | undefined, width: number): Line[] {
  const head = ` ${'CAT'.padEnd(6)}${'KIND'.padEnd(22)}${'SYSCALLS'.padStart(8)} ${'CALLS'.padStart(7)} ${'ERRORS'.padStart(7)} ${'ERR%'.padStart(6)} ${'TOTAL'.padStart(7)} ${'SHARE'.padStart(6)}`;
  const lines: Line[] = [padLine([{ text: head, inverse: true }], width)];
  const barWidth = Math.max(0, width - head.length - 2);
  for (const row of rows) {
    const isSelected = row.category === selected;
    const text = ` ${row.category.padEnd(6)}${truncate(CATEGORY_TITLES[row.category], 21).padEnd(22)}${String(row.syscalls).padStart(8)} ${formatCount(row.count).padStart(7)} ${formatCount(row.errors).padStart(7)} ${`${row.error_pct.toFixed(1)}%`.padStart(6)} ${formatDuration(row.total_ns).padStart(7)} ${`${row.share.toFixed(1)}%`.padStart(6)} `;
    const bar = '█'.repeat(Math.round((row.share / 100) * barWidth));
    lines.push(padLine([{ text, inverse: isSelected, bold: isSelected }, { text: bar, color: CATEGORY_COLOURS[row.category] }], width));
  }
  if (rows.length === 0) lines.push([{ text: ' waiting for events…', dim: true }]);
  return lines;
}

const SEVERITY_STYLE: Readonly<Record<Hint['severity'], { icon: string; color: Colour }>> = {
  critical: { icon: '✖', color: 'red' },
  warning: { icon: '▲', color: 'yellow' },
  info: { icon: 'ℹ', color: 'cyan' },
};

export function hintLine(record: StatsRecord | undefined, hints: readonly Hint[]): Line {
  if (record === undefined) return [];
  const name = terminalSafe(record.name);
  const hint = hints[0];
  if (hint !== undefined) {
    const style = SEVERITY_STYLE[hint.severity];
    return [{ text: ` ${style.icon} `, color: style.color, bold: true }, { text: `${name}: `, bold: true }, { text: terminalSafe(hint.message), color: style.color }];
  }
  const entry = lookup(record.name);
  return [{ text: ` ${name}: `, bold: true }, { text: entry.known ? entry.description : 'no triage hint', dim: true }];
}

export const KEY_HELP = '↑↓ move  ⏎ detail  / filter  s sort  c category  l log  p pause  ? help  q quit';

export function statusLine(state: ViewState): Line {
  if (state.filterEditing) {
    return [{ text: ' filter: ', bold: true }, { text: `${terminalSafe(state.filter)}▏` }, { text: '   ⏎ keep · Esc cancel', dim: true }];
  }
  const line: Line = [];
  if (state.mode === 'log') line.push({ text: ' LOG  ↑↓ scroll  l/Esc back  p pause  ? help  q quit' });
  else if (state.mode === 'categories') line.push({ text: ' CATEGORIES  ↑↓ move  ⏎ show its syscalls  c/Esc back  q quit' });
  else line.push({ text: ` ${KEY_HELP}` });
  return line;
}
