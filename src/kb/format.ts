/**
 * Plain-text rendering of knowledge-base entries for terminals: sections,
 * two-column tables with hanging indents, wrapped to a given width, with
 * optional ANSI styling. Pure string functions, shared by `explain` and any
 * other text view of an entry.
 */
import { CATEGORIES, type Category } from '../event.js';
import { CATEGORY_TITLES, type KbEntry } from './index.js';

export interface TextOptions {
  /** Columns to wrap to (minimum 20 is enforced). */
  width: number;
  /** Emit ANSI styles (only for a TTY, never with NO_COLOR). */
  color: boolean;
}

const INDENT = '  ';
const MAX_KEY_COLUMN = 22;

/** Control characters (from a user-typed name) are shown escaped, never sent to the terminal. */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const visibleLength = (text: string): number => [...text].length;

/** Greedy word wrap; words longer than the width are cut. */
export function wrapText(text: string, width: number): string[] {
  const limit = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let rest = word;
    while (visibleLength(rest) > limit) {
      if (line !== '') {
        lines.push(line);
        line = '';
      }
      const chars = [...rest];
      lines.push(chars.slice(0, limit).join(''));
      rest = chars.slice(limit).join('');
    }
    if (rest === '') continue;
    if (line === '') line = rest;
    else if (visibleLength(line) + 1 + visibleLength(rest) <= limit) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : [''];
}

interface Style {
  heading: (s: string) => string;
  name: (s: string) => string;
  key: (s: string) => string;
  dim: (s: string) => string;
}

function styles(color: boolean): Style {
  const sgr = (open: string, close: string) => (s: string): string => (color && s !== '' ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { heading: sgr('1', '22'), name: sgr('1;36', '22;39'), key: sgr('36', '39'), dim: sgr('2', '22') };
}

function paragraph(text: string, width: number, indent = INDENT): string[] {
  return wrapText(escapeControl(text), width - indent.length).map((line) => indent + line);
}

/** Rows of `key  value`, value wrapped with a hanging indent; stacked when the terminal is too narrow. */
function twoColumns(rows: ReadonlyArray<readonly [string, string]>, width: number, style: (s: string) => string): string[] {
  const keyWidth = Math.min(MAX_KEY_COLUMN, Math.max(...rows.map(([key]) => visibleLength(key))));
  const valueWidth = width - INDENT.length - keyWidth - 2;
  const out: string[] = [];
  for (const [rawKey, rawValue] of rows) {
    const key = escapeControl(rawKey);
    const value = escapeControl(rawValue);
    if (valueWidth < 20 || visibleLength(key) > keyWidth) {
      out.push(INDENT + style(key));
      if (value !== '') out.push(...paragraph(value, width, INDENT + INDENT));
      continue;
    }
    const wrapped = wrapText(value, valueWidth);
    const pad = ' '.repeat(keyWidth - visibleLength(key) + 2);
    out.push(`${INDENT}${style(key)}${value === '' ? '' : pad + wrapped[0]}`);
    for (const line of wrapped.slice(1)) out.push(INDENT + ' '.repeat(keyWidth + 2) + line);
  }
  return out;
}

/**
 * One entry as readable text: description, signature, arguments, returns,
 * common errors, notes, aliases, category. Empty sections are left out
 * (aliases and category are always shown).
 */
export function formatEntry(entry: KbEntry, options: TextOptions): string {
  const width = Math.max(20, options.width);
  const s = styles(options.color);
  const title = `${s.name(escapeControl(entry.name))}${entry.known ? '' : s.dim(' (not in the knowledge base)')}`;
  const lines: string[] = [title, ''];
  const section = (heading: string, body: string[]): void => {
    if (body.length === 0) return;
    lines.push(s.heading(heading), ...body, '');
  };
  section('DESCRIPTION', paragraph(entry.description, width));
  section('SIGNATURE', entry.signature === '' ? [] : paragraph(entry.signature, width));
  section('ARGUMENTS', entry.args.length === 0 ? [] : twoColumns(entry.args.map((a) => [a.name, a.description] as const), width, s.key));
  section('RETURNS', entry.returns === '' ? [] : paragraph(entry.returns, width));
  section('COMMON ERRORS', entry.errors.length === 0 ? [] : twoColumns(entry.errors.map((e) => [e.errno, e.description] as const), width, s.key));
  section('NOTES', entry.notes === '' ? [] : paragraph(entry.notes, width));
  section('ALIASES', paragraph(entry.aliases.length === 0 ? 'none' : entry.aliases.join(', '), width));
  section('CATEGORY', paragraph(`${entry.category} — ${CATEGORY_TITLES[entry.category]}`, width));
  return lines.join('\n').trimEnd() + '\n';
}

/** All given entries grouped by category (in the SPEC's category order), one line each. */
export function formatList(entries: readonly KbEntry[], options: TextOptions): string {
  const width = Math.max(20, options.width);
  const s = styles(options.color);
  const lines: string[] = [];
  for (const category of CATEGORIES as readonly Category[]) {
    const group = entries.filter((entry) => entry.category === category);
    if (group.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(s.heading(`${category} — ${CATEGORY_TITLES[category]}`));
    lines.push(...twoColumns(group.map((e) => [e.name, e.aliases.length === 0 ? e.description : `${e.description} (also: ${e.aliases.join(', ')})`] as const), width, s.key));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
