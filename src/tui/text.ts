/**
 * Text helpers of the live view: escaping of untrusted text for a terminal
 * and the compact number formats that let ten columns fit in 80 columns.
 */
import { printable } from '../errors.js';

/**
 * Makes text from a traced program safe to put on the screen: control
 * characters (ESC, CSI, BEL…) become `\xNN`, and the characters that would
 * break a one-line cell (newline, tab) or reorder what is shown (bidi
 * overrides, zero-width marks, line separators) are escaped too.
 *
 * @example terminalSafe('a\u001b[2Jb\n') // 'a\\x1b[2Jb\\n'
 */
export function terminalSafe(text: string): string {
  return printable(text).replace(/[\t\n\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (char) =>
    char === '\n' ? '\\n' : char === '\t' ? '\\t' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Counts in at most 6 characters: `999999`, `1.23M`, `45.6M`, `1.20G`. */
export function formatCount(value: number): string {
  if (value < 1_000_000) return String(Math.round(value));
  const [scaled, unit] = value < 1e9 ? [value / 1e6, 'M'] : [value / 1e9, 'G'];
  return `${scaled >= 100 ? scaled.toFixed(0) : scaled >= 10 ? scaled.toFixed(1) : scaled.toFixed(2)}${unit}`;
}

/** Events per second, short: `0`, `812`, `12.3k`, `1.20M`. */
export function formatRate(perSecond: number): string {
  if (perSecond < 1000) return String(Math.round(perSecond));
  if (perSecond < 1e6) return `${(perSecond / 1e3).toFixed(perSecond < 1e4 ? 2 : 1)}k`;
  return `${(perSecond / 1e6).toFixed(2)}M`;
}

/** Wall-clock time as `m:ss` or `h:mm:ss`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** `HH:MM:SS.mmm` of an ISO timestamp (the date is noise in a live log); the raw text escaped when it does not parse. */
export function clockTime(timestamp: string): string {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(timestamp);
  return match?.[1] ?? terminalSafe(timestamp.slice(0, 12));
}

/** Cuts text to `width` characters with an ellipsis (code points, so a cut never splits a surrogate pair). */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}
