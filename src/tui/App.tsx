/**
 * The live view of `stracectl top`. It never subscribes to events: it reads
 * the TraceSession into a snapshot on each tick (about once a second) and
 * derives every row from that snapshot, so the cost of a frame depends on
 * the number of syscalls shown, not on the event rate.
 */
import { Box, useInput, useStdout } from 'ink';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Observable } from 'rxjs';
import type { TraceSession } from '../session.js';
import { detailLines, helpLines, logLines } from './detail.js';
import { categoryBarLines, headerLines, type SourceInfo } from './header.js';
import { initialViewState, keysFromInk, reduceKey, type KeyContext, type ViewState } from './keys.js';
import { ColourContext, LinesView, type Line } from './lines.js';
import { categoryRows, hintsFor, takeSnapshot, visibleRows, type TopSnapshot, type TopSortKey } from './model.js';
import { categoryTableLines, columnWidths, emptyTableLine, hintLine, scrollOffset, statsRowLine, statusLine, tableHeaderLine } from './table.js';

/** What feeds the view: the session, and why the input stopped when it failed. */
export interface TopFeed {
  session: TraceSession;
  /** Set when reading the input failed (shown in the header; the view stays). */
  error?: string;
  /** Diagnostics held back while the view owns the terminal (printed when it closes). */
  heldMessages?: number;
}

export interface AppProps {
  feed: TopFeed;
  info: SourceInfo;
  /** Each emission takes a new snapshot (unless paused): once a second and when the input ends. */
  ticks: Observable<unknown>;
  /** Caller clock in ms (elapsed time and events/s). */
  now?: () => number;
  /** Fixed terminal size; default: the output stream's, following resizes. */
  size?: { columns: number; rows: number };
  colour?: boolean;
  sort?: TopSortKey;
  onQuit: () => void;
}

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;

function useTerminalSize(fixed: AppProps['size']): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = useCallback(() => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 }, [fixed, stdout]);
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed !== undefined) return;
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [fixed, read, stdout]);
  return fixed ?? size;
}

export function App({ feed, info, ticks, now = Date.now, size: fixedSize, colour = true, sort = 'count', onQuit }: AppProps): React.JSX.Element {
  const [startedAt] = useState(now);
  const [snapshot, setSnapshot] = useState<TopSnapshot>(() => takeSnapshot(feed.session, now(), startedAt));
  const [state, setState] = useState<ViewState>(() => initialViewState(sort));
  const paused = useRef(false);
  paused.current = state.paused;

  useEffect(() => {
    const subscription = ticks.subscribe(() => {
      if (!paused.current) setSnapshot(takeSnapshot(feed.session, now(), startedAt));
    });
    return () => subscription.unsubscribe();
  }, [ticks, feed, now, startedAt]);

  // Resuming shows the present at once rather than on the next tick.
  useEffect(() => {
    if (!state.paused) setSnapshot(takeSnapshot(feed.session, now(), startedAt));
  }, [state.paused, feed, now, startedAt]);

  useEffect(() => {
    if (state.quit) onQuit();
  }, [state.quit, onQuit]);

  const { columns, rows: terminalRows } = useTerminalSize(fixedSize);
  const width = Math.max(20, columns);
  // One row short of the terminal: a frame as tall as the terminal makes ink clear the whole screen on every update.
  const height = Math.max(1, terminalRows - 1);

  const rows = useMemo(() => visibleRows(snapshot.stats, state), [snapshot, state.sort, state.filter, state.category]);
  const categories = useMemo(() => categoryRows(snapshot.stats), [snapshot]);
  const selectedName = state.selected !== undefined && rows.some((row) => row.name === state.selected) ? state.selected : rows[0]?.name;
  const selectedIndex = rows.findIndex((row) => row.name === selectedName);
  const selectedRecord = rows[selectedIndex];
  const selectedHints = useMemo(() => (selectedRecord === undefined ? [] : hintsFor(selectedRecord, snapshot)), [selectedRecord, snapshot]);

  const mainHeight = height - 6;
  const overlayInner = height - 5;
  let overlayLines: Line[] = [];
  if (state.overlay === 'detail' && state.detailName !== undefined) {
    const record = snapshot.stats.find((candidate) => candidate.name === state.detailName);
    overlayLines = detailLines(state.detailName, record, record === undefined ? [] : hintsFor(record, snapshot), snapshot.recentErrors(state.detailName), width - 4);
  } else if (state.overlay === 'help') {
    overlayLines = helpLines(width - 4);
  }
  const log = state.mode === 'log' ? logLines(snapshot.log, width, mainHeight, state.scroll) : undefined;
  const maxScroll = state.overlay !== 'none' ? Math.max(0, overlayLines.length - overlayInner) : (log?.maxScroll ?? 0);

  const context = useRef<KeyContext>({ rows: [], categories: [], pageSize: 1, maxScroll: 0 });
  context.current = {
    rows: rows.map((row) => row.name),
    categories: categories.map((row) => row.category),
    pageSize: Math.max(1, (state.overlay !== 'none' ? overlayInner : mainHeight - 1) - 1),
    maxScroll,
  };
  useInput((input, key) => {
    const presses = keysFromInk(input, key);
    setState((current) => {
      // Moves start from the row shown as selected: the first row when nothing (still visible) is selected.
      const { rows: names } = context.current;
      const selected = current.selected !== undefined && names.includes(current.selected) ? current.selected : names[0];
      return presses.reduce<ViewState>((next, press) => reduceKey(next, press, context.current), { ...current, selected });
    });
  });

  const tableOffset = useRef(0);

  if (columns < MIN_COLUMNS || terminalRows < MIN_ROWS) {
    return (
      <ColourContext.Provider value={colour}>
        <LinesView
          height={height}
          lines={[[{ text: ` terminal too small: ${columns}×${terminalRows}, need ${MIN_COLUMNS}×${MIN_ROWS} (q quits)`, bold: true }]]}
        />
      </ColourContext.Provider>
    );
  }

  const header = <LinesView height={2} lines={headerLines(snapshot, state, info, feed.error, feed.heldMessages)} />;

  if (state.overlay !== 'none') {
    const scroll = Math.min(state.scroll, maxScroll);
    const more = maxScroll > 0 ? `  lines ${scroll + 1}-${Math.min(overlayLines.length, scroll + overlayInner)} of ${overlayLines.length}, ↑↓ scroll` : '';
    return (
      <ColourContext.Provider value={colour}>
        <Box flexDirection="column" width={width} height={height}>
          {header}
          <Box borderStyle="round" borderColor={colour ? (state.overlay === 'help' ? 'cyan' : 'blue') : undefined} flexDirection="column" height={overlayInner + 2} paddingX={1}>
            <LinesView height={overlayInner} lines={overlayLines} offset={scroll} />
          </Box>
          <LinesView height={1} lines={[[{ text: ` Esc/${state.overlay === 'help' ? '?' : '⏎'} close${more}  p pause  q quit`, dim: true }]]} />
        </Box>
      </ColourContext.Provider>
    );
  }

  let main: Line[];
  if (state.mode === 'log' && log !== undefined) {
    main = log.lines;
  } else if (state.mode === 'categories') {
    main = categoryTableLines(categories, state.selectedCategory ?? categories[0]?.category, width);
  } else {
    const widths = columnWidths(width);
    const bodyHeight = mainHeight - 1;
    tableOffset.current = scrollOffset(tableOffset.current, Math.max(0, selectedIndex), rows.length, bodyHeight);
    const body = rows.slice(tableOffset.current, tableOffset.current + bodyHeight).map((record) => statsRowLine(record, widths, record.name === selectedName, width));
    main = [tableHeaderLine(widths, state.sort, width), ...(body.length > 0 ? body : [emptyTableLine(state, snapshot.stats.length > 0)])];
  }

  return (
    <ColourContext.Provider value={colour}>
      <Box flexDirection="column" width={width} height={height}>
        {header}
        <LinesView height={2} lines={categoryBarLines(categories, width, colour)} />
        <LinesView height={mainHeight} lines={main} />
        <LinesView height={1} lines={[state.mode === 'table' ? hintLine(selectedRecord, selectedHints) : []]} />
        <LinesView height={1} lines={[statusLine(state)]} />
      </Box>
    </ColourContext.Provider>
  );
}
