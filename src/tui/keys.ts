/**
 * Key handling of the live view as a pure reducer: (state, key, context) →
 * state. Everything the keys do is here, so it is tested without a terminal.
 */
import type { Category } from '../event.js';
import { TOP_SORT_KEYS, type TopSortKey } from './model.js';

export type Mode = 'table' | 'categories' | 'log';
export type Overlay = 'none' | 'detail' | 'help';

export interface ViewState {
  mode: Mode;
  overlay: Overlay;
  sort: TopSortKey;
  /** Name filter (`/`), applied as it is typed. */
  filter: string;
  /** Typing a filter: keys edit it; `filterBefore` comes back on Escape. */
  filterEditing: boolean;
  filterBefore: string;
  /** Category the table is narrowed to (Enter in the category view). */
  category?: Category;
  /** Selected syscall, by name so it stays put when rows reorder. */
  selected?: string;
  selectedCategory?: Category;
  /** Syscall shown in the detail overlay. */
  detailName?: string;
  /** Lines scrolled: down from the top in overlays, up from the newest line in the log. */
  scroll: number;
  paused: boolean;
  quit: boolean;
}

export function initialViewState(sort: TopSortKey = 'count'): ViewState {
  return { mode: 'table', overlay: 'none', sort, filter: '', filterEditing: false, filterBefore: '', scroll: 0, paused: false, quit: false };
}

export type KeyName = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'enter' | 'escape' | 'backspace' | 'ctrlC' | 'char' | 'other';

export interface KeyPress {
  name: KeyName;
  /** The typed character(s) for `char`. */
  text?: string;
}

export interface KeyContext {
  /** Names of the table's rows, in display order. */
  rows: readonly string[];
  /** Categories of the category view, in display order. */
  categories: readonly Category[];
  /** Rows a page key moves. */
  pageSize: number;
  /** How far the open overlay or log can scroll. */
  maxScroll: number;
}

type InkKey = {
  upArrow: boolean;
  downArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
};

const CONTROL_KEYS: Readonly<Record<string, KeyName>> = { '\r': 'enter', '\n': 'enter', '\u001b': 'escape', '\u007f': 'backspace', '\b': 'backspace', '\u0003': 'ctrlC' };

/**
 * Maps ink's (input, key) pair to key presses. ink hands several keys that
 * arrive in one read (fast typing, a slow link, tmux send-keys) over as one
 * "paste"; they are split back into keys here.
 */
export function keysFromInk(input: string, key: InkKey): KeyPress[] {
  if (key.ctrl && input === 'c') return [{ name: 'ctrlC' }];
  if (key.upArrow) return [{ name: 'up' }];
  if (key.downArrow) return [{ name: 'down' }];
  if (key.pageUp) return [{ name: 'pageUp' }];
  if (key.pageDown) return [{ name: 'pageDown' }];
  if (key.home) return [{ name: 'home' }];
  if (key.end) return [{ name: 'end' }];
  if (key.return) return [{ name: 'enter' }];
  if (key.escape) return [{ name: 'escape' }];
  // Most terminals send DEL (0x7f) for Backspace, which ink reports as `delete`.
  if (key.backspace || key.delete) return [{ name: 'backspace' }];
  if (key.ctrl || input === '') return [{ name: 'other' }];
  return [...input].map((char): KeyPress => {
    const control = CONTROL_KEYS[char];
    if (control !== undefined) return { name: control };
    return /[\u0000-\u001f\u007f-\u009f]/.test(char) ? { name: 'other' } : { name: 'char', text: char };
  });
}

const clamp = (value: number, low: number, high: number): number => Math.max(low, Math.min(high, value));

function moveIn<T>(items: readonly T[], current: T | undefined, key: KeyName, pageSize: number): T | undefined {
  if (items.length === 0) return current;
  const found = current === undefined ? -1 : items.indexOf(current);
  const at = found === -1 ? 0 : found;
  const step: Partial<Record<KeyName, number>> = { up: -1, down: 1, pageUp: -pageSize, pageDown: pageSize };
  const next = key === 'home' ? 0 : key === 'end' ? items.length - 1 : at + (step[key] ?? 0);
  return items[clamp(next, 0, items.length - 1)];
}

const MOVES: Readonly<Record<string, KeyName>> = { j: 'down', k: 'up', g: 'home', G: 'end' };

/** The next view state after one key. */
export function reduceKey(state: ViewState, key: KeyPress, context: KeyContext): ViewState {
  if (key.name === 'ctrlC') return { ...state, quit: true };

  if (state.filterEditing) {
    switch (key.name) {
      case 'enter':
        return { ...state, filterEditing: false };
      case 'escape':
        return { ...state, filterEditing: false, filter: state.filterBefore };
      case 'backspace':
        return { ...state, filter: [...state.filter].slice(0, -1).join('') };
      case 'char':
        // Pasted text arrives in one piece; only printable characters go in.
        return { ...state, filter: (state.filter + (key.text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '')).slice(0, 64) };
      case 'up':
      case 'down':
      case 'pageUp':
      case 'pageDown':
        return { ...state, selected: moveIn(context.rows, state.selected, key.name, context.pageSize) };
      default:
        return state;
    }
  }

  const char = key.name === 'char' ? key.text : undefined;
  const move: KeyName | undefined = char !== undefined ? MOVES[char] : ['up', 'down', 'pageUp', 'pageDown', 'home', 'end'].includes(key.name) ? key.name : undefined;

  if (char === 'q') return { ...state, quit: true };
  if (char === 'p') return { ...state, paused: !state.paused };

  if (state.overlay !== 'none') {
    if (key.name === 'escape' || (state.overlay === 'help' && char === '?') || (state.overlay === 'detail' && (char === 'd' || key.name === 'enter'))) {
      return { ...state, overlay: 'none', scroll: 0 };
    }
    if (char === '?') return { ...state, overlay: 'help', scroll: 0 };
    if (move !== undefined) return { ...state, scroll: scrollBy(state.scroll, move, context, 1) };
    return state;
  }

  if (move !== undefined) {
    if (state.mode === 'log') return { ...state, scroll: scrollBy(state.scroll, move, context, -1) };
    if (state.mode === 'categories') return { ...state, selectedCategory: moveIn(context.categories, state.selectedCategory, move, context.pageSize) };
    return { ...state, selected: moveIn(context.rows, state.selected, move, context.pageSize) };
  }

  if (key.name === 'enter' || char === 'd') {
    if (state.mode === 'categories') {
      const category = state.selectedCategory ?? context.categories[0];
      return category === undefined ? state : { ...state, mode: 'table', category, selected: undefined };
    }
    if (state.mode !== 'table') return state;
    const name = state.selected !== undefined && context.rows.includes(state.selected) ? state.selected : context.rows[0];
    return name === undefined ? state : { ...state, overlay: 'detail', detailName: name, selected: name, scroll: 0 };
  }

  switch (char) {
    case '?':
      return { ...state, overlay: 'help', scroll: 0 };
    case 's':
      // A new order is read from the top, so the selection goes back to the first row.
      return { ...state, sort: TOP_SORT_KEYS[(TOP_SORT_KEYS.indexOf(state.sort) + 1) % TOP_SORT_KEYS.length] ?? 'count', selected: undefined };
    case '/':
      return { ...state, mode: 'table', filterEditing: true, filterBefore: state.filter };
    case 'c':
      return { ...state, mode: state.mode === 'categories' ? 'table' : 'categories', scroll: 0 };
    case 'l':
      return { ...state, mode: state.mode === 'log' ? 'table' : 'log', scroll: 0 };
    default:
      break;
  }

  if (key.name === 'escape') {
    if (state.mode !== 'table') return { ...state, mode: 'table', scroll: 0 };
    return { ...state, filter: '', category: undefined };
  }
  return state;
}

/** Scrolls an overlay (direction 1: down moves further into it) or the log (direction -1: up goes back in time). */
function scrollBy(scroll: number, move: KeyName, context: KeyContext, direction: 1 | -1): number {
  const page = Math.max(1, context.pageSize);
  const delta: Partial<Record<KeyName, number>> = { down: 1, up: -1, pageDown: page, pageUp: -page };
  if (move === 'home') return direction === 1 ? 0 : context.maxScroll;
  if (move === 'end') return direction === 1 ? context.maxScroll : 0;
  return clamp(scroll + (delta[move] ?? 0) * direction, 0, context.maxScroll);
}
