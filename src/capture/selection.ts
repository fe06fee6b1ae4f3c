/**
 * Capture-time syscall selection (`--syscalls`, `--category`) turned into a
 * list of raw names for the tracer's own filter, so unselected calls cost
 * nothing (strace: `-e trace=` + `--seccomp-bpf`). Shared by both backends.
 */
import type { Category } from '../event.js';
import { ALIAS_TO_CANONICAL, CANONICAL_CATEGORY, aliasesOf, canonicalName, categoryOf } from '../kb/aliases.js';

export interface SelectedName {
  name: string;
  /**
   * True when the name comes from our alias/category tables: it may not
   * exist on this architecture (e.g. `mmap2` on x86_64) and must not be an
   * error. False for a name the user typed that we do not know: the tracer
   * validates it (a typo is a usage error, not an empty trace).
   */
  optional: boolean;
}

/** Trace only `names`, or everything except `names`. */
export interface SyscallSelection {
  mode: 'only' | 'except';
  names: SelectedName[];
}

/** Canonical name plus every alias of it (`stat` → fstat, stat, lstat, newfstatat, statx). */
function family(name: string): string[] {
  const canonical = canonicalName(name);
  return [canonical, ...aliasesOf(canonical)];
}

function isKnown(name: string): boolean {
  return name in ALIAS_TO_CANONICAL || name in CANONICAL_CATEGORY;
}

/** Every raw name of every known syscall in one of `categories`. */
function namesInCategories(categories: ReadonlySet<Category>): string[] {
  const names: string[] = [];
  for (const [canonical, category] of Object.entries(CANONICAL_CATEGORY)) {
    if (categories.has(category)) names.push(...family(canonical));
  }
  return names;
}

/**
 * The selection for the given flags, or undefined when everything is traced.
 * `--syscalls` and `--category` combine with AND, like `filter`. Aliases
 * select their whole family: `--syscalls stat` also traces `newfstatat`.
 * `OTHER` (calls outside the knowledge base) can only be expressed as
 * "everything except the other categories".
 *
 * @throws Error when the combination selects nothing (a usage error).
 */
export function resolveSyscallSelection(options: {
  syscalls?: readonly string[];
  categories?: readonly Category[];
}): SyscallSelection | undefined {
  const categories = options.categories !== undefined && options.categories.length > 0 ? new Set(options.categories) : undefined;
  const typed = (options.syscalls ?? []).map((name) => name.trim()).filter((name) => name !== '');

  if (typed.length > 0) {
    const selected = new Map<string, SelectedName>();
    for (const name of typed) {
      if (!isKnown(name)) {
        if (categories === undefined || categories.has('OTHER')) selected.set(name, { name, optional: false });
        continue;
      }
      if (categories !== undefined && !categories.has(categoryOf(name))) continue;
      for (const member of family(name)) if (!selected.has(member)) selected.set(member, { name: member, optional: true });
    }
    if (selected.size === 0) throw new Error(`no syscall in --syscalls ${typed.join(',')} belongs to --category ${[...categories!].join(',')}`);
    return { mode: 'only', names: [...selected.values()] };
  }

  if (categories === undefined) return undefined;
  if (!categories.has('OTHER')) {
    return { mode: 'only', names: namesInCategories(categories).map((name) => ({ name, optional: true })) };
  }
  const excluded = new Set<Category>(Object.values(CANONICAL_CATEGORY).filter((category) => !categories.has(category)));
  if (excluded.size === 0) return undefined;
  return { mode: 'except', names: namesInCategories(excluded).map((name) => ({ name, optional: true })) };
}
