import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../command.js';
import { CATEGORIES, type Category } from '../event.js';
import { formatEntry, formatList } from '../kb/format.js';
import { escapeControl } from '../kb/format.js';
import { isKnown, listEntries, lookup, suggest } from '../kb/index.js';
import { BatchedWriter } from '../io.js';

/** `net`, `NET`, `io`, `I/O` → the category label; undefined when it is none. */
function parseCategory(text: string): Category | undefined {
  const key = text.trim().toUpperCase().replace('/', '');
  return CATEGORIES.find((category) => category.replace('/', '') === key);
}

export default class Explain extends BaseCommand {
  static summary = 'Explain a syscall: signature, arguments, return value, common errors, notes.';
  static description = [
    'Prints the built-in knowledge-base entry of a syscall: description, signature, arguments, return value, common errors with their meanings, diagnostic notes, aliases and category.',
    'Aliases resolve to their canonical entry (open → openat, newfstatat → fstat). A name the knowledge base does not cover gets a generic entry (known: false), a did-you-mean hint on stderr for near misses, and exit status 0.',
    'Without a SYSCALL, or with --list, lists every entry grouped by category; --category narrows the list. Text is wrapped to the terminal width and coloured only on a terminal (never with NO_COLOR).',
  ].join('\n\n');

  static examples = [
    '<%= config.bin %> explain connect',
    '<%= config.bin %> explain newfstatat',
    '<%= config.bin %> explain openat --json | jq .errors',
    '<%= config.bin %> explain --list --category NET',
    '<%= config.bin %> explain --list --json',
  ];

  static args = {
    syscall: Args.string({ description: 'syscall name or alias (e.g. connect, open, newfstatat)', required: false, ignoreStdin: true }),
  };

  static flags = {
    json: Flags.boolean({ description: 'print the entry as JSON (with --list: one JSON array of entries)', default: false }),
    list: Flags.boolean({ char: 'l', description: 'list all entries grouped by category', default: false }),
    category: Flags.string({ char: 'c', description: 'only list these categories (comma-separated: I/O, FS, NET, MEM, PROC, SIG, OTHER)', helpValue: 'NET,FS' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Explain);
    if (args.syscall !== undefined && (flags.list || flags.category !== undefined)) {
      this.usageError(`${flags.list ? '--list' : '--category'} lists entries and cannot be combined with a SYSCALL`, 'use `stracectl explain SYSCALL` or `stracectl explain --list [--category NET]`');
    }
    const categories = flags.category?.split(',').map((text) => {
      const category = parseCategory(text);
      if (category === undefined) this.usageError(`unknown category "${escapeControl(text.trim())}"`, `categories: ${CATEGORIES.join(', ')}`);
      return category;
    });

    const stdout = process.stdout;
    const text = { width: stdout.columns || Number(process.env.COLUMNS) || 80, color: stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb' };
    let output: string;
    if (args.syscall === undefined) {
      const entries = listEntries(categories);
      output = flags.json ? JSON.stringify(entries, null, 2) : formatList(entries, text).trimEnd();
    } else {
      const entry = lookup(args.syscall);
      if (!isKnown(args.syscall)) {
        const candidates = suggest(args.syscall);
        this.diagnose(`no knowledge-base entry for "${escapeControl(args.syscall)}"; showing the generic entry`);
        process.stderr.write(candidates.length > 0 ? `hint: did you mean: ${candidates.join(', ')}?\n` : 'hint: see `stracectl explain --list` for the syscalls it covers\n');
      }
      output = flags.json ? JSON.stringify(entry, null, 2) : formatEntry(entry, text).trimEnd();
    }
    // Through the EPIPE-safe writer: `explain --list | head` must exit 0 quietly.
    const writer = new BatchedWriter(stdout);
    writer.writeLine(output);
    await writer.end();
  }
}
