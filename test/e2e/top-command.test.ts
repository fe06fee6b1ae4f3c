/**
 * `stracectl top` without a terminal: the table / --json forms with the
 * flags the live view brought (--report, -p, -- CMD, --no-tui) and their
 * usage errors. The live view itself is tested in top-tmux.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkEnvironment } from '../../src/capture/ebpf/environment.js';
import { binRun, fixturesDir, repoRoot, runCli } from '../helpers.js';

const EVENTS = join(fixturesDir, 'ndjson/events.ndjson');
const hasStrace = spawnSync('strace', ['-V']).status === 0;
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-top-'));
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('top: usage errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-p', '1', '--', 'true'], /give either -p PID or -- CMD, not both/],
    [['--'], /nothing to run after --/],
    [['--backend', 'strace', EVENTS], /--backend applies only when top traces a process itself/],
    [['--follow', EVENTS], /--follow applies only when top traces a process itself/],
    [['-p', '1', EVENTS], /unexpected argument .*events\.ndjson/],
    [['--sort', 'bogus', EVENTS], /sort/],
    [['-p', '1', '--program-output', 'null'], /--program-output applies to a command started by top/],
    [['-p', 'x1'], /-p: "x1" is not a process id/],
    [[EVENTS, '--', 'true'], /unexpected argument .*events\.ndjson/],
  ];
  for (const [args, message] of cases) {
    test(`top ${args.join(' ')} → exit 2`, () => {
      const result = runCli(['top', ...args]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^stracectl top: /);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^hint: /m);
      assert.equal(result.stdout, '');
    });
  }
});

describe('top --report', () => {
  test('prints the table and also writes the HTML report', () => {
    const file = join(dir, 'report.html');
    const result = runCli(['top', '--report', file, EVENTS]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /│ fstat +│ FS +│ +187 │ +131 │/);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /openat/);
    assert.match(result.stderr, /wrote .*report\.html/);
  });

  test('with --json, the JSON array on stdout and the report', () => {
    const file = join(dir, 'report-json.html');
    const result = runCli(['top', '--json', '--limit', '2', '--report', file, EVENTS]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as Array<{ name: string }>).map((record) => record.name), ['write', 'fstat']);
    assert.ok(existsSync(file));
  });

  test('an unwritable report path fails before the input is read (exit 1)', () => {
    const result = runCli(['top', '--report', join(dir, 'missing-dir/report.html'), EVENTS]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /cannot write .*report\.html: no such directory/);
    assert.equal(result.stdout, '');
  });
});

describe('top traces a process itself (strace)', { skip: hasStrace ? false : 'strace is not installed' }, () => {
  test('top -- CMD: the table when the command ends, its output on stderr, its exit status', () => {
    const result = runCli(['top', '--backend', 'strace', '--', 'sh', '-c', 'echo from-the-program; cat /nonexistent-stracectl-top 2>/dev/null; exit 3']);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stdout, /│ execve +│ PROC +│/);
    assert.match(result.stdout, /│ openat +│ I\/O +│/);
    assert.doesNotMatch(result.stdout, /from-the-program/, "the program's output never enters stdout");
    assert.match(result.stderr, /from-the-program/);
  });

  test('top -p PID: Ctrl-C detaches, prints the table, exits 0 and the target lives on', async () => {
    const target = spawn('sh', ['-c', 'while :; do cat /nonexistent-stracectl-top 2>/dev/null; sleep 0.05; done'], { stdio: 'ignore' });
    try {
      const top = spawn(process.execPath, [binRun, 'top', '--backend', 'strace', '-p', String(target.pid)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      top.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      top.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Attached once the kernel names a tracer for the target.
      const tracer = (): string => /TracerPid:\s*(\d+)/.exec(readFileSync(`/proc/${target.pid}/status`, 'utf8'))?.[1] ?? '0';
      for (let i = 0; i < 300 && tracer() === '0'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.notEqual(tracer(), '0', `strace never attached: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      top.kill('SIGINT');
      const status = await new Promise<number | null>((resolve) => top.once('exit', (code) => resolve(code)));
      assert.equal(status, 0, stderr);
      assert.match(stdout, /│ wait4 +│ PROC +│|│ clone +│ PROC +│/);
      assert.equal(target.exitCode, null, 'the target is still running');
      assert.equal(tracer(), '0', 'and no longer traced');
    } finally {
      target.kill('SIGKILL');
    }
  });
});

const ebpf = checkEnvironment({ mount: false });
describe('top -p with the eBPF backend', { skip: ebpf.ok ? false : ebpf.reason }, () => {
  test('aggregates in the kernel (summary mode): the table counts calls it never streamed, the target lives on', async () => {
    const target = spawn('sh', ['-c', 'while :; do cat /nonexistent-stracectl-top 2>/dev/null; sleep 0.02; done'], { stdio: 'ignore' });
    try {
      const top = spawn(process.execPath, [binRun, 'top', '--backend', 'ebpf', '--json', '-p', String(target.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      top.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      top.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      for (let i = 0; i < 300 && !/aggregating in the kernel/.test(stderr); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(stderr, /eBPF: aggregating in the kernel \(--summary\); only failing calls are streamed/);
      // Attached, then at least one stats snapshot (every second).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      top.kill('SIGINT');
      const status = await new Promise<number | null>((resolve) => top.once('exit', (code) => resolve(code)));
      assert.equal(status, 0, stderr);
      const rows = JSON.parse(stdout) as Array<{ name: string; count: number; errors: number }>;
      const wait4 = rows.find((row) => row.name === 'wait4');
      // sh waits for each cat: dozens of wait4 calls, all successful, so none of them was streamed as an event.
      assert.ok(wait4 !== undefined && wait4.count >= 10, stdout);
      assert.equal(target.exitCode, null, 'the target is still running');
    } finally {
      target.kill('SIGKILL');
    }
  });
});
