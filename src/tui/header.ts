/** The two header rows and the category bar. */
import { CATEGORIES, type Category } from '../event.js';
import { formatDuration } from '../duration.js';
import type { Colour, Line } from './lines.js';
import type { CategoryRow, TopSnapshot } from './model.js';
import { formatCount, formatElapsed, formatRate, terminalSafe } from './text.js';
import type { ViewState } from './keys.js';

/** Where the events come from, for the header. */
export interface SourceInfo {
  /** `stdin`, file names, `pid 42`, `cmd: curl …` (escaped when shown). */
  source: string;
  /** Tracer backend when `top` runs the capture itself. */
  backend?: string;
}

export const CATEGORY_COLOURS: Readonly<Record<Category, Colour>> = {
  'I/O': 'blue',
  FS: 'cyan',
  NET: 'green',
  MEM: 'magenta',
  PROC: 'yellow',
  SIG: 'red',
  OTHER: 'gray',
};

/** Fill characters that tell categories apart without colour (NO_COLOR). */
const CATEGORY_FILL: Readonly<Record<Category, string>> = { 'I/O': 'I', FS: 'F', NET: 'N', MEM: 'M', PROC: 'P', SIG: 'S', OTHER: 'O' };

/** Traced time between the first and the last event (what a file replay covers), when timestamps parse. */
function traceSpan(snapshot: TopSnapshot): string | undefined {
  if (snapshot.firstTimestamp === undefined || snapshot.lastTimestamp === undefined) return undefined;
  const ms = Date.parse(snapshot.lastTimestamp) - Date.parse(snapshot.firstTimestamp);
  return Number.isFinite(ms) && ms >= 0 ? formatDuration(ms * 1e6) : undefined;
}

export function headerLines(snapshot: TopSnapshot, state: ViewState, info: SourceInfo, inputError?: string, heldMessages = 0): Line[] {
  const first: Line = [{ text: ' stracectl top ', bold: true, inverse: true }, { text: ' ' }];
  if (inputError !== undefined) first.push({ text: ` INPUT FAILED: ${terminalSafe(inputError)} `, color: 'red', inverse: true, bold: true }, { text: ' ' });
  else if (snapshot.ended) first.push({ text: ' INPUT ENDED ', color: 'yellow', inverse: true, bold: true }, { text: ' ' });
  if (state.paused) first.push({ text: ' PAUSED ', inverse: true, bold: true }, { text: ' ' });
  first.push({ text: terminalSafe(info.source), bold: true });
  if (info.backend !== undefined) first.push({ text: ` via ${terminalSafe(info.backend)}` });
  first.push({ text: ` │ elapsed ${formatElapsed(snapshot.elapsedMs)} │ ${formatRate(snapshot.rate)} ev/s` });
  const span = traceSpan(snapshot);
  if (span !== undefined) first.push({ text: ` │ trace ${span}` });

  const errorPct = snapshot.events === 0 ? 0 : (snapshot.errors / snapshot.events) * 100;
  const second: Line = [{ text: ' sort: ' }, { text: state.sort, bold: true }];
  if (state.filter !== '' || state.filterEditing) second.push({ text: ' │ filter ' }, { text: `"${terminalSafe(state.filter)}"`, color: 'cyan', bold: true });
  if (state.category !== undefined) second.push({ text: ' │ category ' }, { text: state.category, color: CATEGORY_COLOURS[state.category], bold: true });
  second.push(
    { text: ` │ events ${formatCount(snapshot.events)} │ errors ` },
    { text: `${formatCount(snapshot.errors)} (${errorPct.toFixed(1)}%)`, color: snapshot.errors > 0 ? 'red' : undefined },
    { text: ' │ lost ' },
    { text: formatCount(snapshot.lost), color: snapshot.lost > 0 ? 'red' : undefined, bold: snapshot.lost > 0 },
  );
  if (heldMessages > 0) second.push({ text: ' │ ' }, { text: `${heldMessages} message${heldMessages === 1 ? '' : 's'} on exit`, color: 'yellow' });
  second.push({ text: ` │ pids ${snapshot.pids} │ syscalls ${snapshot.stats.length}` });
  return [first, second];
}

/**
 * One bar of the call shares per category (largest remainder, so the
 * segments always add up to the width) and a legend row below it.
 */
export function categoryBarLines(rows: readonly CategoryRow[], width: number, colour: boolean): Line[] {
  const barWidth = Math.max(10, width - 2);
  const total = rows.reduce((sum, row) => sum + row.share, 0);
  const bar: Line = [{ text: ' ' }];
  if (total === 0) {
    bar.push({ text: '·'.repeat(barWidth), dim: true });
  } else {
    const exact = rows.map((row) => (row.share / total) * barWidth);
    const cells = exact.map(Math.floor);
    let left = barWidth - cells.reduce((sum, n) => sum + n, 0);
    const byRemainder = exact.map((value, index) => [value - Math.floor(value), index] as const).sort((a, b) => b[0] - a[0]);
    for (const [, index] of byRemainder) {
      if (left-- <= 0) break;
      cells[index] = (cells[index] ?? 0) + 1;
    }
    rows.forEach((row, index) => {
      const n = cells[index] ?? 0;
      if (n > 0) bar.push({ text: (colour ? '█' : CATEGORY_FILL[row.category]).repeat(n), color: CATEGORY_COLOURS[row.category] });
    });
  }
  const legend: Line = [{ text: ' ' }];
  for (const category of CATEGORIES) {
    const row = rows.find((candidate) => candidate.category === category);
    if (row === undefined) continue;
    legend.push({ text: colour ? '■' : CATEGORY_FILL[category], color: CATEGORY_COLOURS[category] }, { text: `${category} ${row.share.toFixed(row.share < 10 ? 1 : 0)}%  ` });
  }
  if (legend.length === 1) legend.push({ text: 'no events yet', dim: true });
  return [bar, legend];
}
