/**
 * `stracectl parse` on the built CLI (run `npx tsc -p tsconfig.build.json`
 * first): golden output, normalisation, dates, bad lines, --strict, EPIPE,
 * SIGINT on a pipe, usage errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyscallEvent } from '../../src/event.js';
import { binRun, fixturesDir, readJson, runCli, runShell } from '../helpers.js';

const traceDir = join(fixturesDir, 'strace');
const perl = join(traceDir, 'perl_socketpair_fork.txt');
const sort = join(traceDir, 'sort_parallel.txt');
const goldenPath = join(fixturesDir, 'ndjson/events.ndjson');

let dir: string;
let bigPath: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-parse-'));
  bigPath = join(dir, 'big.txt');
  writeFileSync(bigPath, readFileSync(perl, 'utf8').repeat(100)); // 65,200 lines
});
after(() => rmSync(dir, { recursive: true, force: true }));

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe('stracectl parse', () => {
  it('--no-normalize gives fixtures/ndjson/events.ndjson byte for byte (perl then sort, --date 2026-11-27)', () => {
    const result = runCli(['parse', '--no-normalize', '--date', '2026-11-27', perl, sort]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, readFileSync(goldenPath, 'utf8'));
  });

  it('reads stdin when no file is given', () => {
    const result = runCli(['parse', '--no-normalize', '--date', '2026-11-27'], { input: readFileSync(perl) });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), lines(readFileSync(goldenPath, 'utf8')).slice(0, 627));
  });

  it('normalises by default: canonical name, raw_name when it differs, category', () => {
    const result = runCli(['parse', '--date', '2026-11-27', join(traceDir, 'node_net_dns.txt')]);
    assert.equal(result.status, 0, result.stderr);
    const events = lines(result.stdout).map((line) => JSON.parse(line) as SyscallEvent);
    assert.equal(events.length, 916);
    const truth = readJson<{ syscalls: Record<string, { calls: number }> }>(join(traceDir, 'node_net_dns.truth.json'));
    const fstat = events.filter((e) => e.name === 'fstat');
    assert.equal(fstat.length, (truth.syscalls.newfstatat?.calls ?? 0) + (truth.syscalls.fstat?.calls ?? 0) + (truth.syscalls.statx?.calls ?? 0));
    assert.ok(fstat.some((e) => e.raw_name === 'newfstatat' && e.category === 'FS'));
    for (const e of events) {
      assert.ok(typeof e.category === 'string', JSON.stringify(e));
      if (e.raw_name !== undefined) assert.notEqual(e.raw_name, e.name);
    }
    const opened = events.find((e) => e.name === 'openat' && e.ret === '3');
    assert.equal(opened?.ret_path, '/etc/ld.so.cache');
  });

  it('-t/-tt dates: the file modification date (UTC) by default, --date overrides', () => {
    const copy = join(dir, 'tt.txt');
    copyFileSync(perl, copy);
    const mtime = new Date('2024-02-29T12:00:00Z');
    utimesSync(copy, mtime, mtime);
    const byMtime = runCli(['parse', copy]);
    assert.equal(byMtime.status, 0, byMtime.stderr);
    assert.equal((JSON.parse(lines(byMtime.stdout)[0] as string) as SyscallEvent).timestamp, '2024-02-29T20:53:07.739371Z');
    const byFlag = runCli(['parse', '--date', '2025-01-02', copy]);
    assert.equal((JSON.parse(lines(byFlag.stdout)[0] as string) as SyscallEvent).timestamp, '2025-01-02T20:53:07.739371Z');
  });

  it('stdin without --date: today (UTC)', () => {
    const before = new Date().toISOString().slice(0, 10);
    const result = runCli(['parse'], { input: readFileSync(perl) });
    const after = new Date().toISOString().slice(0, 10);
    const day = (JSON.parse(lines(result.stdout)[0] as string) as SyscallEvent).timestamp.slice(0, 10);
    assert.ok(day === before || day === after, day);
  });

  it('-r stamps add up from --start; -ttt is absolute', () => {
    const relative = runCli(['parse', '--start', '2026-01-01T10:00:00.000001Z', join(traceDir, 'dd_zero_null.txt')]);
    assert.equal(relative.status, 0, relative.stderr);
    const events = lines(relative.stdout).map((line) => JSON.parse(line) as SyscallEvent);
    assert.equal(events[0]?.timestamp, '2026-01-01T10:00:00.000001Z');
    assert.equal(events[1]?.timestamp, '2026-01-01T10:00:00.000615Z');
    assert.equal(events.at(-1)?.timestamp, '2026-01-01T10:00:00.485010Z');
    const absolute = runCli(['parse', '--date', '1999-01-01', sort]);
    assert.equal((JSON.parse(lines(absolute.stdout)[0] as string) as SyscallEvent).timestamp, '2026-11-27T20:53:08.302184Z');
  });

  it('--meta adds signal and exit records', () => {
    const result = runCli(['parse', '--meta', '--no-normalize', '--date', '2026-11-27', perl]);
    const records = lines(result.stdout).map((line) => JSON.parse(line) as { type?: string });
    assert.equal(records.filter((r) => r.type === 'signal').length, 3);
    assert.equal(records.filter((r) => r.type === 'exit').length, 2);
    assert.equal(records.filter((r) => r.type === undefined).length, 627);
  });

  it('a bad line is skipped with FILE:LINE on stderr and counted; nothing valid is lost', () => {
    const text = readFileSync(perl, 'utf8').split('\n');
    text.splice(2, 0, 'this is not strace output', '\u001b[31mbinary\u0000junk');
    const file = join(dir, 'bad.txt');
    writeFileSync(file, text.join('\n'));
    const result = runCli(['parse', '--no-normalize', '--date', '2026-11-27', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^stracectl parse: ${file}:3: .*\\(line skipped\\)$`, 'm'));
    assert.match(result.stderr, new RegExp(`^stracectl parse: ${file}:4: `, 'm'));
    assert.match(result.stderr, /skipped 2 invalid lines/);
    assert.doesNotMatch(result.stderr, /[\u0000-\u0008\u000e-\u001f]/, 'junk must not reach the terminal');
    assert.equal(lines(result.stdout).length, 627);
  });

  it('--strict: exit 65 at the first bad line, naming it', () => {
    const result = runCli(['parse', '--strict'], { input: 'brk(NULL) = 0x1\nnot strace\nbrk(NULL) = 0x2\n' });
    assert.equal(result.status, 65);
    assert.match(result.stderr, /^stracectl parse: stdin:2: not a strace line\nhint: /);
  });

  it('a line over the 8 MiB cap: warned and skipped, or exit 65 under --strict', () => {
    const file = join(dir, 'huge.txt');
    writeFileSync(file, `1 brk(NULL) = 0x1\n1 write(1, "${'A'.repeat(9 * 1024 * 1024)}", 9437184) = 9437184\n1 brk(NULL) = 0x2\n`);
    const lenient = runCli(['parse', '--no-normalize', file]);
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.match(lenient.stderr, new RegExp(`^stracectl parse: ${file}:2: line too long`, 'm'));
    assert.deepEqual(
      lines(lenient.stdout).map((line) => (JSON.parse(line) as SyscallEvent).ret),
      ['0x1', '0x2'],
    );
    const strict = runCli(['parse', '--strict', file]);
    assert.equal(strict.status, 65);
    assert.match(strict.stderr, new RegExp(`^stracectl parse: ${file}:2: line too long`));
  });

  it('exits 0 quietly when the reader goes away (| head -1)', () => {
    const result = runShell(`$RUN parse ${bigPath} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`);
    assert.match(result.stdout, /status=0/);
    assert.equal(result.stderr, '');
  });

  it('SIGINT on a pipe: stops reading, flushes (calls still open included), exits 130', async () => {
    const child = spawn(process.execPath, [binRun, 'parse', '--no-normalize', '--date', '2026-11-27'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.write('1 20:00:00.000001 brk(NULL) = 0x1\n1 20:00:00.000002 brk(NULL) = 0x2\n2 20:00:00.000003 read(0,  <unfinished ...>\n');
    while (lines(stdout).length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 130, stderr);
    const out = lines(stdout).map((line) => JSON.parse(line) as SyscallEvent);
    assert.deepEqual(
      out.map((e) => [e.pid, e.name, e.ret]),
      [
        [1, 'brk', '0x1'],
        [1, 'brk', '0x2'],
        [2, 'read', '?'],
      ],
    );
  });

  it('usage errors: exit 2 with a one-line message and a hint', () => {
    for (const args of [['--no-such-flag'], ['--date', '2026-13-01'], ['--date', 'yesterday'], ['--start', 'noon']]) {
      const result = runCli(['parse', ...args]);
      assert.equal(result.status, 2, args.join(' '));
      const out = result.stderr.trimEnd().split('\n');
      assert.equal(out.length, 2, result.stderr);
      assert.match(out[0] as string, /^stracectl parse: /);
      assert.match(out[1] as string, /^hint: /);
    }
  });

  it('a missing file is a runtime error (exit 1)', () => {
    const result = runCli(['parse', '/nonexistent/trace.txt']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^stracectl parse: cannot read \/nonexistent\/trace.txt: no such file/);
  });

  it('a big input is scanned on worker threads and comes out exactly as on one thread (same output, warnings, exit status)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stracectl-parse-workers-'));
    try {
      // ~10 MB of the fixture traces (more than parse reads on its own thread before starting workers),
      // with a bad line deep inside, where the blocks go to the workers.
      const traces = ['sort_parallel', 'dd_zero_null', 'node_net_dns', 'find_doc_copyright', 'python_sqlite'].map((name) =>
        readFileSync(join(fixturesDir, 'strace', `${name}.txt`), 'utf8'),
      );
      let text = '';
      while (text.length < 10_000_000) text += traces.join('');
      const bad = `${text}not a strace line\n${text.slice(0, 2_000_000)}`;
      const file = join(dir, 'big.txt');
      writeFileSync(file, bad);
      const run = (workers: string, ...args: string[]) =>
        runCli(['parse', '--date', '2026-11-27', ...args, file], { env: { STRACECTL_WORKERS: workers }, timeoutMs: 120_000 });
      for (const args of [[], ['--no-normalize', '--meta'], ['--strict']]) {
        const one = run('0', ...args);
        const two = run('2', ...args);
        // A crash shows its signal and last words.
        assert.equal(two.status, one.status, `${args.join(' ')}: signal ${two.signal}, ${two.error?.message ?? ''}\n${two.stderr.slice(-2000)}`);
        assert.equal(two.stderr, one.stderr, args.join(' '));
        assert.ok(two.stdout === one.stdout, `${args.join(' ')}: outputs differ (${two.stdout.length} vs ${one.stdout.length} characters)`);
        assert.ok(one.stdout.length > 10_000_000, args.join(' '));
      }
      assert.equal(run('2', '--strict').status, 65);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
