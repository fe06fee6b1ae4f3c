/**
 * Escaping for the HTML report. Everything that came from a trace (names,
 * args, paths, errno strings, the title and command line) goes through one of
 * these before it reaches the file.
 */
import { printable } from '../errors.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text → HTML text or attribute value. Control characters are shown as
 * `\xNN` (as in every other view) so a NUL or an escape sequence stays visible.
 *
 * @example escapeHtml('<img src=x onerror=alert(1)>') // '&lt;img src=x onerror=alert(1)&gt;'
 */
export function escapeHtml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * A value as JSON that is safe inside `<script>…</script>`: `<`, `>`, `&` and
 * U+2028/U+2029 become `\uXXXX` escapes, so no string in the data can close
 * the element, open a comment or end a JavaScript line.
 *
 * @example jsonForScript({ args: '</script>' }) // '{"args":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Cuts long untrusted text (args can be megabytes) to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair: half of one would show as U+FFFD.
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
