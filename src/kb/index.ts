/**
 * The syscall knowledge base: lookup by canonical name or alias, the list of
 * all entries, and did-you-mean suggestions. Entries are built from the
 * seed's data (`entries.ts`) with the category and aliases of `aliases.ts`.
 */
import type { Category } from '../event.js';
import { ALIAS_TO_CANONICAL, aliasesOf, canonicalName, categoryOf } from './aliases.js';
import { SEED_ENTRIES, type SeedEntry } from './entries.js';
import { errnoInfo } from './errno.js';

export { CATEGORY_TITLES } from './entries.js';

/** One knowledge-base entry: exactly the fields of SPEC "Knowledge-base entry". */
export interface KbEntry {
  name: string;
  category: Category;
  description: string;
  signature: string;
  args: Array<{ name: string; description: string }>;
  returns: string;
  errors: Array<{ errno: string; description: string }>;
  notes: string;
  aliases: string[];
  known: boolean;
}

const BY_NAME = new Map<string, SeedEntry>(SEED_ENTRIES.map((entry) => [entry.name, entry]));

/** strerror() text in the seed's lower-case style: `Bad file descriptor` → `bad file descriptor`. */
function libcMeaning(errno: string): string {
  const message = errnoInfo(errno)?.message ?? '';
  return /^[A-Z][a-z]/.test(message) ? message[0]?.toLowerCase() + message.slice(1) : message;
}

function toKbEntry(seed: SeedEntry): KbEntry {
  return {
    name: seed.name,
    category: categoryOf(seed.name),
    description: seed.description,
    signature: seed.signature,
    args: seed.args.map((arg) => ({ name: arg.name, description: arg.description })),
    returns: seed.returns,
    // Where the seed only names the errno, its libc meaning stands in so no error is shown bare.
    errors: seed.errors.map((error) => ({
      errno: error.errno,
      description: error.description !== '' ? error.description : libcMeaning(error.errno),
    })),
    notes: seed.notes,
    aliases: aliasesOf(seed.name),
    known: true,
  };
}

function normalizeQuery(name: string): string {
  return name.trim().toLowerCase();
}

/** The generic entry shown for a syscall the knowledge base does not cover. */
export function genericEntry(name: string): KbEntry {
  const display = normalizeQuery(name);
  return {
    name: display,
    category: 'OTHER',
    description: 'Not covered by the built-in knowledge base.',
    signature: '',
    args: [],
    returns: '',
    errors: [],
    notes: display === '' ? '' : `See the kernel's manual page: man 2 ${display}`,
    aliases: [],
    known: false,
  };
}

/**
 * The entry for a syscall name or alias (case-insensitive); a generic entry
 * with `known: false` for names the knowledge base does not cover.
 *
 * @example lookup('newfstatat').name // 'fstat'
 * @example lookup('frobnicate').known // false
 */
export function lookup(name: string): KbEntry {
  const seed = BY_NAME.get(canonicalName(normalizeQuery(name)));
  return seed === undefined ? genericEntry(name) : toKbEntry(seed);
}

/** Does the knowledge base cover this name (directly or as an alias)? */
export function isKnown(name: string): boolean {
  return BY_NAME.has(canonicalName(normalizeQuery(name)));
}

/** Every entry, in the seed's order (grouped by category); optionally only some categories. */
export function listEntries(categories?: readonly Category[]): KbEntry[] {
  const entries = SEED_ENTRIES.map(toKbEntry);
  return categories === undefined ? entries : entries.filter((entry) => categories.includes(entry.category));
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`conencts`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

const ALL_NAMES: readonly string[] = [...SEED_ENTRIES.map((entry) => entry.name), ...Object.keys(ALIAS_TO_CANONICAL)];

/**
 * Did-you-mean candidates among canonical names and aliases: within an edit
 * distance that grows with the length of the name (1 up to 4 characters, 2 up
 * to 8, then 3), or names it is a prefix of (4+ characters). Closest first.
 * Empty for a known name.
 *
 * @example suggest('conect') // ['connect']
 */
export function suggest(name: string, limit = 3): string[] {
  const query = normalizeQuery(name);
  if (query === '' || isKnown(query)) return [];
  const maxDistance = query.length <= 4 ? 1 : query.length <= 8 ? 2 : 3;
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of ALL_NAMES) {
    const distance = editDistance(query, candidate);
    // A prefix match ranks just after one-character typos.
    const score = Math.min(distance <= maxDistance ? distance : Number.POSITIVE_INFINITY, query.length >= 4 && candidate.startsWith(query) ? 1.5 : Number.POSITIVE_INFINITY);
    if (Number.isFinite(score)) scored.push({ candidate, score });
  }
  scored.sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return scored.slice(0, limit).map((entry) => entry.candidate);
}
