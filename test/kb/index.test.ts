import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { errnoInfo } from '../../src/kb/errno.js';
import { editDistance, isKnown, listEntries, lookup, suggest } from '../../src/kb/index.js';
import { sharedDir } from '../helpers.js';

const seedText = readFileSync(path.join(sharedDir, 'seed/syscall-reference.txt'), 'utf8');
const seedLines = seedText.split('\n');

// The seed is parsed here on its own (not through src/kb) so a transcription slip shows up as a difference.

/** "Categories at a glance": syscall → label, in table order. */
const seedCategory = new Map<string, string>();
for (const line of seedLines) {
  const cells = /^\| ([^|]+) \| (I\/O|FS|NET|MEM|PROC|SIG|OTHER) \| ([^|]+) \|$/.exec(line);
  if (!cells) continue;
  for (const name of (cells[3] ?? '').split(',')) seedCategory.set(name.trim(), cells[2] ?? '');
}

/** "Alias table": alias → canonical. */
const seedAliases = new Map<string, string>();
for (const line of seedLines.slice(seedLines.indexOf('Alias table'))) {
  const cells = /^([a-z0-9_, ]+) \| ([a-z0-9_]+) \|$/.exec(line);
  if (!cells) continue;
  for (const alias of (cells[1] ?? '').split(',')) seedAliases.set(alias.trim(), cells[2] ?? '');
}

interface SeedSection {
  description: string;
  signature: string;
  returns: string;
  notes: string;
  aliases: string[];
  args: Array<[string, string]>;
  errors: Array<[string, string]>;
}

/** Each syscall's section, with the "Event format" block that interrupts epoll_wait cut out. */
function seedSections(): Map<string, SeedSection> {
  const body = seedText
    .slice(seedText.indexOf('\nI/O — File descriptor'), seedText.indexOf('\nAlias table'))
    .replace(/\nEvent format\n[\s\S]*?\n(?=Signature: )/, '\n');
  const lines = body.split('\n');
  const sections = new Map<string, SeedSection>();
  let current: string[] | undefined;
  const chunks: Array<[string, string[]]> = [];
  for (const line of lines) {
    if (seedCategory.has(line)) {
      current = [];
      chunks.push([line, current]);
    } else current?.push(line);
  }
  for (const [name, chunk] of chunks) {
    const field = (prefix: string): string => chunk.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? '';
    const errorsLine = field('Common errors: ');
    const errors: Array<[string, string]> = [];
    for (const m of errorsLine.matchAll(/(E[A-Z0-9_]+(?:\/E[A-Z0-9_]+)?)(?: \(((?:[^()]|\([^()]*\))*)\))?/g)) {
      for (const errno of (m[1] ?? '').split('/')) errors.push([errno, m[2] ?? '']);
    }
    const args = chunk
      .filter((l) => / \| .* \|$/.test(l) && !l.startsWith('|'))
      .map((l) => {
        const cut = l.indexOf(' | ');
        return [l.slice(0, cut), l.slice(cut + 3, -2)] as [string, string];
      });
    sections.set(name, {
      description: chunk[0] ?? '',
      signature: field('Signature: '),
      returns: field('Returns: '),
      notes: field('Notes: '),
      aliases: field('Aliases: ').split(',').map((a) => a.trim()).filter((a) => a !== ''),
      args,
      errors,
    });
  }
  return sections;
}

const sections = seedSections();

describe('knowledge base vs the seed', () => {
  it('the seed parses into its ~50 syscalls and 37 aliases', () => {
    assert.equal(seedCategory.size, 46);
    assert.equal(sections.size, 46);
    assert.equal(seedAliases.size, 37);
  });

  it('has one entry per seed syscall, in the seed order', () => {
    assert.deepEqual(listEntries().map((e) => e.name), [...seedCategory.keys()]);
  });

  for (const [name, seed] of sections) {
    it(`${name}: category, text, arguments and errors are the seed's`, () => {
      const entry = lookup(name);
      assert.equal(entry.known, true);
      assert.equal(entry.name, name);
      assert.equal(entry.category, seedCategory.get(name));
      assert.equal(entry.description, seed.description);
      assert.equal(entry.signature, seed.signature);
      assert.equal(entry.returns, seed.returns);
      assert.equal(entry.notes, seed.notes);
      assert.deepEqual(entry.args.map((a) => [a.name, a.description]), seed.args);
      assert.deepEqual(entry.errors.map((e) => e.errno), seed.errors.map(([errno]) => errno));
      entry.errors.forEach((error, i) => {
        const seedMeaning = seed.errors[i]?.[1] ?? '';
        if (seedMeaning !== '') assert.equal(error.description, seedMeaning);
        // Where the seed names the errno only, its libc meaning is shown instead of nothing.
        else assert.equal(error.description.toLowerCase(), errnoInfo(error.errno)?.message.toLowerCase());
        assert.ok(errnoInfo(error.errno), `${error.errno} is a real errno`);
      });
      assert.deepEqual([...entry.aliases].sort(), [...seed.aliases].sort());
    });
  }

  it('every alias resolves to its canonical entry with the seed category and errors', () => {
    for (const [alias, canonical] of seedAliases) {
      const entry = lookup(alias);
      assert.equal(entry.name, canonical, alias);
      assert.equal(entry.known, true);
      assert.equal(entry.category, seedCategory.get(canonical), alias);
      assert.ok(entry.aliases.includes(alias), `${canonical} lists ${alias}`);
      assert.deepEqual(entry.errors.map((e) => e.errno), sections.get(canonical)?.errors.map(([errno]) => errno));
    }
  });

  it('entries carry exactly the SPEC fields', () => {
    const keys = ['name', 'category', 'description', 'signature', 'args', 'returns', 'errors', 'notes', 'aliases', 'known'];
    for (const entry of [...listEntries(), lookup('frobnicate')]) assert.deepEqual(Object.keys(entry), keys);
  });
});

describe('lookup', () => {
  it('is case-insensitive and trims', () => {
    assert.equal(lookup(' CONNECT ').name, 'connect');
    assert.equal(lookup('NewFstatAt').name, 'fstat');
  });

  it('gives a generic entry for an unknown name', () => {
    const entry = lookup('frobnicate');
    assert.equal(entry.known, false);
    assert.equal(entry.name, 'frobnicate');
    assert.equal(entry.category, 'OTHER');
    assert.deepEqual([entry.args, entry.errors, entry.aliases], [[], [], []]);
    assert.match(entry.description, /not covered/i);
    assert.equal(isKnown('frobnicate'), false);
    assert.equal(isKnown('open'), true);
  });

  it('returns copies: changing one does not change the knowledge base', () => {
    lookup('read').errors.length = 0;
    assert.equal(lookup('read').errors.length, 4);
  });

  it('filters the list by category', () => {
    const net = listEntries(['NET']);
    assert.equal(net.length, 12);
    assert.ok(net.every((e) => e.category === 'NET'));
    assert.deepEqual(listEntries(['SIG', 'OTHER']).map((e) => e.name), ['rt_sigaction', 'rt_sigprocmask', 'eventfd', 'futex', 'ioctl', 'getrandom']);
  });
});

describe('suggest', () => {
  it('finds near misses among names and aliases', () => {
    assert.equal(suggest('conect')[0], 'connect');
    assert.equal(suggest('opne')[0], 'open');
    assert.equal(suggest('mmpa')[0], 'mmap');
    assert.equal(suggest('recvfrmo')[0], 'recvfrom');
    assert.ok(suggest('newfstat').includes('newfstatat'));
  });

  it('stays quiet for known names and far-off words', () => {
    assert.deepEqual(suggest('connect'), []);
    assert.deepEqual(suggest('open'), []);
    assert.deepEqual(suggest('zzzzzzzzz'), []);
    assert.deepEqual(suggest(''), []);
  });

  it('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('connect', 'conenct'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});
