import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { listEntries, lookup } from '../../src/kb/index.js';
import { binRun as bin, repoRoot, runCli } from '../helpers.js';

const env = { ...process.env, COLUMNS: '80', TZ: 'UTC' } as NodeJS.ProcessEnv;
delete env.NO_COLOR;
delete env.FORCE_COLOR;

function stracectl(args: string[], extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return runCli(args, { env: { COLUMNS: '80', ...extraEnv }, timeoutMs: 30_000 });
}

const ANSI = /\u001b\[/;
const SPEC_FIELDS = ['name', 'category', 'description', 'signature', 'args', 'returns', 'errors', 'notes', 'aliases', 'known'];

describe('stracectl explain', () => {
  before(() => {
    assert.ok(existsSync(path.join(repoRoot, 'dist/commands/explain.js')), 'build first: npx tsc -p tsconfig.build.json');
  });

  it('explain connect prints the readable entry, plain when not on a terminal', () => {
    const run = stracectl(['explain', 'connect']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    for (const section of ['DESCRIPTION', 'SIGNATURE', 'ARGUMENTS', 'RETURNS', 'COMMON ERRORS', 'NOTES', 'ALIASES', 'CATEGORY']) {
      assert.match(run.stdout, new RegExp(`^${section}$`, 'm'));
    }
    assert.match(run.stdout, /connect\(sockfd, addr, addrlen\) → 0/);
    assert.match(run.stdout, /ECONNREFUSED {2}port closed/);
    assert.match(run.stdout, /Happy Eyeballs/);
    assert.doesNotMatch(run.stdout, ANSI);
    assert.ok(run.stdout.split('\n').every((line) => [...line].length <= 80));
  });

  it('wraps to the terminal width', () => {
    const run = stracectl(['explain', 'futex'], { COLUMNS: '40' });
    assert.equal(run.status, 0);
    const lines = run.stdout.trimEnd().split('\n');
    assert.ok(lines.every((line) => [...line].length <= 40), run.stdout);
    assert.ok(lines.some((line) => [...line].length > 30));
  });

  it('--json prints the one entry with exactly the SPEC fields', () => {
    const run = stracectl(['explain', 'connect', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const entry = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry), SPEC_FIELDS);
    assert.deepEqual(entry, lookup('connect'));
    assert.equal(entry.category, 'NET');
    assert.equal(entry.known, true);
  });

  it('an alias resolves to its canonical entry', () => {
    const run = stracectl(['explain', 'newfstatat', '--json']);
    assert.equal(run.status, 0);
    const entry = JSON.parse(run.stdout) as { name: string; aliases: string[]; category: string };
    assert.equal(entry.name, 'fstat');
    assert.equal(entry.category, 'FS');
    assert.deepEqual(entry.aliases, ['stat', 'lstat', 'newfstatat', 'statx']);
    assert.match(stracectl(['explain', 'open']).stdout, /^openat\n/);
  });

  it('an unknown name gets the generic entry, a did-you-mean on stderr, exit 0', () => {
    const run = stracectl(['explain', 'conect', '--json']);
    assert.equal(run.status, 0);
    const entry = JSON.parse(run.stdout) as { name: string; known: boolean };
    assert.equal(entry.known, false);
    assert.equal(entry.name, 'conect');
    assert.match(run.stderr, /^stracectl explain: .*"conect"/m);
    assert.match(run.stderr, /did you mean: connect\?/);

    const far = stracectl(['explain', 'frobnicate']);
    assert.equal(far.status, 0);
    assert.match(far.stdout, /not in the knowledge base/);
    assert.doesNotMatch(far.stderr, /did you mean/);
  });

  it('--list --json prints one JSON array of every entry', () => {
    const run = stracectl(['explain', '--list', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const entries = JSON.parse(run.stdout) as Array<{ name: string }>;
    assert.ok(Array.isArray(entries));
    assert.deepEqual(entries.map((e) => e.name), listEntries().map((e) => e.name));
    assert.equal(entries.length, 46);
  });

  it('--list groups by category and --category filters it', () => {
    const all = stracectl(['explain', '--list']);
    assert.equal(all.status, 0);
    assert.match(all.stdout, /^PROC — Process control$/m);
    const net = stracectl(['explain', '--list', '--category', 'NET', '--json']);
    const names = (JSON.parse(net.stdout) as Array<{ category: string }>).map((e) => e.category);
    assert.equal(names.length, 12);
    assert.ok(names.every((c) => c === 'NET'));
    const text = stracectl(['explain', '--category', 'io,mem']);
    assert.deepEqual(text.stdout.split('\n').filter((l) => /^\S/.test(l)), ['I/O — File descriptor I/O', 'MEM — Memory management']);
  });

  it('usage errors exit 2 with a one-line message and a hint', () => {
    const bad = stracectl(['explain', '--list', '--category', 'DISK']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^stracectl explain: unknown category "DISK"\nhint: /);
    assert.equal(bad.stdout, '');
    const both = stracectl(['explain', 'read', '--list']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /^stracectl explain: .*\nhint: /);
  });

  it('a reader that goes away early is not an error', () => {
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" explain --list --json | true; echo "status=\${PIPESTATUS[0]}"`], { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 });
    assert.match(run.stdout, /status=0/);
    assert.equal(run.stderr, '');
  });

  it('colours on a terminal, not with NO_COLOR', { skip: !existsSync('/usr/bin/script') && 'util-linux script(1) not installed' }, () => {
    const onTty = (extra: string): string =>
      spawnSync('script', ['-qfec', `${extra} "${process.execPath}" "${bin}" explain read`, '/dev/null'], { cwd: repoRoot, env, encoding: 'utf8', timeout: 30_000 }).stdout;
    assert.match(onTty(''), ANSI);
    assert.doesNotMatch(onTty('NO_COLOR=1'), ANSI);
  });
});
