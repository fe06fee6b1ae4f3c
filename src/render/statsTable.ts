import Table from 'cli-table3';
import type { StatsRecord } from '../event.js';
import { formatDuration } from '../duration.js';
import { printable } from '../errors.js';
import { rowSeverity } from '../kb/triage.js';

export const STATS_COLUMNS = ['NAME', 'CAT', 'CALLS', 'ERRORS', 'ERR%', 'AVG', 'P95', 'P99', 'MAX', 'TOTAL'] as const;

const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const RESET = '\u001b[0m';

/** The cells of one stats row, in STATS_COLUMNS order (plus PID when grouped by pid). */
export function statsRowCells(record: StatsRecord): string[] {
  return [
    printable(record.name),
    record.category,
    String(record.count),
    String(record.errors),
    `${record.error_pct.toFixed(1)}%`,
    formatDuration(record.avg_ns),
    formatDuration(record.p95_ns),
    formatDuration(record.p99_ns),
    formatDuration(record.max_ns),
    formatDuration(record.total_ns),
  ];
}

/**
 * The non-interactive `top` table. Rows are coloured by the triage rules
 * (red: ERR% ≥ 50, yellow: AVG ≥ 5 ms) only when `color` is set.
 */
export function renderStatsTable(records: readonly StatsRecord[], options: { color?: boolean } = {}): string {
  const withPid = records.some((record) => record.pid !== undefined);
  const table = new Table({
    head: withPid ? ['PID', ...STATS_COLUMNS] : [...STATS_COLUMNS],
    style: { head: options.color ? ['bold'] : [], border: [], compact: true },
    colAligns: withPid ? ['right', 'left', 'left', ...Array(8).fill('right')] : ['left', 'left', ...Array(8).fill('right')],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const record of records) {
    let cells = statsRowCells(record);
    if (withPid) cells = [String(record.pid ?? ''), ...cells];
    const severity = rowSeverity(record);
    if (options.color && severity !== null) {
      const colour = severity === 'red' ? RED : YELLOW;
      cells = cells.map((cell) => `${colour}${cell}${RESET}`);
    }
    table.push(cells);
  }
  return table.toString();
}
