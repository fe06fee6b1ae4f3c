/**
 * `stracectl diff` on the built CLI with two fixture runs: A is
 * ndjson/events.ndjson, B the same run with known regressions (see
 * test/diff-support.ts), as events, aggregate NDJSON and top --json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunDiff } from '../../src/diff.js';
import { runAPath, runB, toNdjson } from '../diff-support.js';
import { fixturesDir, runCli, runShell } from '../helpers.js';

let dir: string;
const paths = { bEvents: '', aStats: '', bTop: '', big: '' };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-diff-'));
  paths.bEvents = join(dir, 'b.ndjson');
  writeFileSync(paths.bEvents, toNdjson(runB()));
  // Stats made by the CLI itself: aggregate NDJSON (raw names) for A, the top --json array for B.
  const aggregate = runCli(['aggregate', runAPath]);
  assert.equal(aggregate.status, 0, aggregate.stderr);
  paths.aStats = join(dir, 'a.stats.ndjson');
  writeFileSync(paths.aStats, aggregate.stdout);
  const top = runCli(['top', '--json', paths.bEvents]);
  assert.equal(top.status, 0, top.stderr);
  paths.bTop = join(dir, 'b.top.json');
  writeFileSync(paths.bTop, top.stdout);
  paths.big = join(dir, 'big.ndjson');
  writeFileSync(paths.big, readFileSync(runAPath, 'utf8').repeat(20));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const diffJson = (...args: string[]): RunDiff & { fail_on: Array<{ expr: string; holds: boolean; matches: Array<{ name: string }> }> } => {
  const result = runCli(['diff', '--json', ...args]);
  assert.ok(result.status === 0 || result.status === 1, result.stderr);
  return JSON.parse(result.stdout);
};

describe('stracectl diff', () => {
  it('prints a table of what changed, sorted by impact, exit 0 without --fail-on', () => {
    const result = runCli(['diff', runAPath, paths.bEvents]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^A: .*events\.ndjson \(events\), B: .*b\.ndjson \(events\); calls 1266 → 1213 \(-53, -4\.2%\); errors 190 → 199 \(\+9, \+4\.7%\); syscalls 38 → 38 \(1 new, 1 vanished\)$/);
    const rows = lines.filter((line) => line.startsWith('│ ') && !line.includes('SYSCALL'));
    assert.equal(rows.length, 39);
    assert.deepEqual(rows.slice(0, 5).map((line) => line.split('│')[1]!.trim()).sort(), ['openat', 'ptrace', 'read', 'rt_sigaction', 'write']);
    assert.match(result.stdout, /│ ptrace +│ new +│ – → 5 /);
    assert.match(result.stdout, /│ rt_sigaction +│ vanished +│ 158 → – /);
  });

  it('--json: new/vanished, per-syscall values of both runs and their changes', () => {
    const diff = diffJson(runAPath, paths.bEvents);
    assert.deepEqual(diff.new, ['ptrace']);
    assert.deepEqual(diff.vanished, ['rt_sigaction']);
    const write = diff.syscalls.find((s) => s.name === 'write')!;
    assert.equal(write.status, 'changed');
    assert.deepEqual([write.a!.count, write.b!.count, write.delta.count.abs, write.delta.count.pct], [322, 422, 100, 31.06]);
    const read = diff.syscalls.find((s) => s.name === 'read')!;
    assert.deepEqual(read.delta.error_pct, { abs: 20, pct: 900.9 });
    const openat = diff.syscalls.find((s) => s.name === 'openat')!;
    for (const metric of ['p50', 'p95', 'p99'] as const) assert.ok(Math.abs(openat.delta[metric].pct! - 100) < 3, `${metric} ${openat.delta[metric].pct}`);
    assert.deepEqual(diff.fail_on, []);
  });

  it('events, aggregate NDJSON and top --json arrays compare alike (names normalised on both sides)', () => {
    const fromEvents = diffJson(runAPath, paths.bEvents);
    const fromStats = diffJson(paths.aStats, paths.bTop);
    assert.equal(fromStats.a.kind, 'stats');
    assert.equal(fromStats.b.kind, 'stats');
    const summary = (d: RunDiff) => d.syscalls.map((s) => [s.name, s.status === 'unchanged' ? 'changed' : s.status, s.delta.count.abs, s.delta.errors.abs]).sort();
    // Raw-name stats merged into one canonical name keep exact counts (only their percentiles are upper bounds).
    assert.deepEqual(summary(fromStats).map(([name, , count, errors]) => [name, count, errors]), summary(fromEvents).map(([name, , count, errors]) => [name, count, errors]));
    assert.deepEqual(fromStats.new, ['ptrace']);
    assert.deepEqual(fromStats.vanished, ['rt_sigaction']);
    const mixed = diffJson(runAPath, paths.bTop);
    assert.deepEqual(mixed.syscalls.map((s) => [s.name, s.status]), fromEvents.syscalls.map((s) => [s.name, s.status]));
  });

  describe('--fail-on: exit 1 when any condition holds, naming it on stderr; 0 otherwise', () => {
    const cases: Array<{ conditions: string[]; status: number; stderr?: RegExp }> = [
      { conditions: ['error_pct>+5'], status: 1, stderr: /^stracectl diff: fail-on "error_pct>\+5" holds: read error_pct 2\.2% → 22\.2% \(\+20\.0pp\)$/m },
      { conditions: ['error_pct>+25'], status: 0 },
      { conditions: ['p95>+20%'], status: 1, stderr: /fail-on "p95>\+20%" holds: openat p95 .* \(\+.*, \+\d+\.\d%\)/ },
      { conditions: ['p95>+150%'], status: 0 },
      { conditions: ['count>+10%'], status: 1, stderr: /fail-on "count>\+10%" holds: write count 322 → 422 \(\+100, \+31\.1%\)/ },
      { conditions: ['count>+40%'], status: 0 },
      { conditions: ['openat:p95>+20%'], status: 1, stderr: /holds: openat p95/ },
      { conditions: ['read:p95>+20%'], status: 0 },
      { conditions: ['openat:p99>+1us'], status: 1 },
      { conditions: ['total:error_pct>+1'], status: 1, stderr: /holds: run error_pct 15\.0% → 16\.4% \(\+1\.4pp\)/ },
      { conditions: ['total:count<-10%'], status: 0 },
      { conditions: ['new'], status: 1, stderr: /fail-on "new" holds: ptrace is new/ },
      { conditions: ['ptrace:new'], status: 1 },
      { conditions: ['connect:new'], status: 0 },
      { conditions: ['vanished'], status: 1, stderr: /rt_sigaction is vanished/ },
      { conditions: ['error_pct>+25', 'count>+40%', 'new'], status: 1, stderr: /^(?!.*error_pct>\+25)(?!.*count>\+40%).*holds: ptrace is new\n$/s },
      { conditions: ['error_pct>+25', 'count>+40%', 'p95>+150%'], status: 0 },
    ];
    for (const { conditions, status, stderr } of cases) {
      it(`${conditions.join(' ')} → ${status}`, () => {
        const result = runCli(['diff', ...conditions.flatMap((condition) => ['--fail-on', condition]), runAPath, paths.bEvents]);
        assert.equal(result.status, status, result.stderr);
        assert.match(result.stdout, /SYSCALL/);
        if (status === 0) assert.equal(result.stderr, '');
        if (stderr) assert.match(result.stderr, stderr);
      });
    }

    it('--json reports each condition and whether it held', () => {
      const result = runCli(['diff', '--json', '--fail-on', 'new', '--fail-on', 'count>+40%', runAPath, paths.bEvents]);
      assert.equal(result.status, 1);
      assert.deepEqual(JSON.parse(result.stdout).fail_on, [
        { expr: 'new', holds: true, matches: [{ name: 'ptrace', message: 'ptrace is new' }] },
        { expr: 'count>+40%', holds: false, matches: [] },
      ]);
    });

    it('--min-count leaves rarely called syscalls out of unscoped conditions', () => {
      assert.equal(runCli(['diff', '--fail-on', 'error_pct>+5', '--min-count', '46', runAPath, paths.bEvents]).status, 0);
      assert.equal(runCli(['diff', '--fail-on', 'error_pct>+5', '--min-count', '45', runAPath, paths.bEvents]).status, 1);
    });

    it('a malformed expression is a usage error: exit 2, nothing on stdout', () => {
      for (const condition of ['p95>+20', 'p95>>20%', 'latency>1ms', 'total:p99>+1%']) {
        const result = runCli(['diff', '--fail-on', condition, runAPath, paths.bEvents]);
        assert.equal(result.status, 2, condition);
        assert.equal(result.stdout, '');
        const lines = result.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 2, result.stderr);
        assert.match(lines[0]!, new RegExp(`^stracectl diff: --fail-on "${condition.replace(/[+>%]/g, '\\$&')}": `));
        assert.match(lines[1]!, /^hint: expected /);
      }
    });

    it('a scoped condition on a syscall missing from one run is reported, not held', () => {
      const result = runCli(['diff', '--fail-on', 'rt_sigaction:count<-50%', runAPath, paths.bEvents]);
      assert.equal(result.status, 0);
      assert.match(result.stderr, /rt_sigaction:count<-50%: rt_sigaction is vanished \(not in both runs\), not checked/);
    });
  });

  it('reads one run from stdin (-)', () => {
    const result = runCli(['diff', '--json', '-', paths.bEvents], { input: readFileSync(runAPath) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).a.source, 'stdin');
    assert.equal(JSON.parse(result.stdout).a.calls, 1266);
  });

  it('bad lines: a warning with file:line (exit 0), or exit 65 with --strict', () => {
    const bad = join(fixturesDir, 'ndjson/bad.ndjson');
    const result = runCli(['diff', bad, paths.bEvents]);
    assert.equal(result.status, 0);
    assert.match(result.stderr, new RegExp(`${bad.replace(/[./]/g, '\\$&')}:4: .*\\(line skipped\\)`));
    assert.equal(runCli(['diff', '--strict', bad, paths.bEvents]).status, 65);
  });

  it('usage and runtime errors', () => {
    assert.equal(runCli(['diff', runAPath]).status, 2);
    assert.equal(runCli(['diff', '-', '-']).status, 2);
    assert.equal(runCli(['diff', '--sort', 'nope', runAPath, paths.bEvents]).status, 2);
    const missing = runCli(['diff', runAPath, join(dir, 'missing.ndjson')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^stracectl diff: cannot read .*missing\.ndjson: no such file/);
  });

  it('exits 0 quietly when the reader goes away (| head -1)', () => {
    const result = runShell(`$RUN diff ${paths.big} ${paths.bEvents} | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`);
    assert.match(result.stdout, /status=0/);
    assert.equal(result.stderr, '');
  });
});
