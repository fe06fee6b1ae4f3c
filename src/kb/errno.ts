/**
 * errno names → numbers and messages for every Linux errno, plus the
 * kernel-internal restart codes strace shows for interrupted calls. The data
 * is generated from the kernel/libc headers by `scripts/gen-errno.mjs`.
 */
import { ERRNO_TABLE } from './errno-table.js';

export interface ErrnoInfo {
  name: string;
  number: number;
  /** strerror() text, as strace prints it: `ENOENT (No such file or directory)`. */
  message: string;
  /** The primary name when this one is another spelling (EWOULDBLOCK → EAGAIN). */
  alias?: string;
  /** True for ERESTARTSYS & co: seen only by tracers, never returned to the program. */
  pseudo: boolean;
  /** For pseudo-errnos: what they mean in a trace. */
  note?: string;
}

/**
 * Looks up an errno by name (case-insensitive, a leading `-` as in `-ENOENT`
 * is ignored). Undefined for names Linux does not define.
 *
 * @example errnoInfo('ENOTTY') // { name: 'ENOTTY', number: 25, message: 'Inappropriate ioctl for device', pseudo: false }
 */
export function errnoInfo(name: string): ErrnoInfo | undefined {
  const key = name.trim().replace(/^-/, '').toUpperCase();
  if (!Object.hasOwn(ERRNO_TABLE, key)) return undefined;
  const row = ERRNO_TABLE[key];
  if (row === undefined) return undefined;
  const info: ErrnoInfo = { name: key, number: row.number, message: row.message, pseudo: row.pseudo === true };
  if (row.alias !== undefined) info.alias = row.alias;
  if (row.note !== undefined) info.note = row.note;
  return info;
}

/** The primary errno name for a number (`2` → `ENOENT`), as strace would print it. */
export function errnoName(number: number): string | undefined {
  for (const [name, row] of Object.entries(ERRNO_TABLE)) {
    if (row.number === number && row.alias === undefined) return name;
  }
  return undefined;
}

/** Every errno name in the table, primary names and aliases, by number. */
export function listErrnos(): ErrnoInfo[] {
  return Object.keys(ERRNO_TABLE).map((name) => errnoInfo(name) as ErrnoInfo);
}
