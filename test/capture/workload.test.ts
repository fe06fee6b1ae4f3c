/**
 * Exact counts: `../shared/fixtures/workload/counter.c` makes a known set of
 * syscalls (parent + child). Captured through the built CLI with each
 * backend and aggregated with raw names, every count, error count and errno
 * breakdown must equal the `designed` block of counter.expected.json.
 * A table over backends: a backend that is not in this build, or cannot run
 * here, is skipped with the reason. (Run `npx tsc -p tsconfig.build.json` first.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findBackend } from '../../src/capture/index.js';
import type { BackendName } from '../../src/capture/types.js';
import type { StatsRecord, SyscallEvent } from '../../src/event.js';
import { fixturesDir, readJson, runShell } from '../helpers.js';

interface Expected {
  calls: number;
  errors: number;
  error_breakdown?: Record<string, number>;
}
interface CounterTruth {
  exit_status: number;
  designed: Record<string, Expected>;
  dynamic_build_designed: Record<string, Expected>;
  per_process: { parent: Record<string, number>; child: Record<string, number> };
  sleep_ns: number;
}

const truth = readJson<CounterTruth>(join(fixturesDir, 'workload/counter.expected.json'));
const source = join(fixturesDir, 'workload/counter.c');

let dir: string;
let counter: string | undefined;
let designed = truth.designed;
let buildProblem: string | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-workload-'));
  const output = join(dir, 'counter');
  const staticBuild = spawnSync('gcc', ['-O1', '-static', '-o', output, source], { encoding: 'utf8' });
  if (staticBuild.status === 0) counter = output;
  else {
    // No libc.a: the dynamic build's loader adds a few known calls (README: dynamic_build_designed).
    const dynamicBuild = spawnSync('gcc', ['-O1', '-o', output, source], { encoding: 'utf8' });
    if (dynamicBuild.status === 0) {
      counter = output;
      designed = truth.dynamic_build_designed;
    } else buildProblem = `cannot build counter.c: ${staticBuild.error?.message ?? staticBuild.stderr.trim()}`;
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function lines<T>(text: string): T[] {
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T);
}

async function skipReason(name: BackendName): Promise<string | false> {
  const backend = findBackend(name);
  if (backend === undefined) return `the ${name} backend is not part of this build`;
  const availability = await backend.available();
  return availability.ok ? false : `the ${name} backend cannot run here: ${availability.reason}`;
}

const BACKENDS: BackendName[] = ['strace', 'ebpf'];

for (const backend of BACKENDS) {
  describe(`capture --backend ${backend} on counter.c`, () => {
    it('reproduces every designed count, error and errno exactly, per process too', async (t) => {
      const reason = (await skipReason(backend)) || buildProblem;
      if (reason) return t.skip(reason);
      const events = join(dir, `${backend}.ndjson`);
      const run = runShell(`$RUN capture --backend ${backend} --no-normalize -- ${JSON.stringify(counter)} > ${JSON.stringify(events)}`, { timeoutMs: 120_000 });
      assert.equal(run.status, truth.exit_status, run.stderr);

      const stats = runShell(`$RUN aggregate < ${JSON.stringify(events)}`);
      assert.equal(stats.status, 0, stats.stderr);
      const byName = new Map(lines<StatsRecord>(stats.stdout).map((record) => [record.name, record]));
      for (const [name, expected] of Object.entries(designed)) {
        const got = byName.get(name);
        assert.ok(got, `${name} missing`);
        assert.equal(got.count, expected.calls, `${name} count`);
        assert.equal(got.errors, expected.errors, `${name} errors`);
        if (expected.error_breakdown !== undefined || designed === truth.designed) {
          assert.deepEqual(got.error_breakdown, expected.error_breakdown ?? {}, `${name} error_breakdown`);
        }
      }

      // Parent and child: the child is the pid that made exactly the child's calls.
      const perPid = runShell(`$RUN aggregate --by name,pid < ${JSON.stringify(events)}`);
      assert.equal(perPid.status, 0, perPid.stderr);
      const counts = new Map<number, Map<string, number>>();
      for (const record of lines<StatsRecord>(perPid.stdout)) {
        const of = counts.get(record.pid!) ?? new Map<string, number>();
        of.set(record.name, record.count);
        counts.set(record.pid!, of);
      }
      assert.equal(counts.size, 2, 'parent and child');
      const [child, parent] = [...counts.values()].sort((a, b) => a.size - b.size);
      for (const [name, count] of Object.entries(truth.per_process.child)) assert.equal(child!.get(name), count, `child ${name}`);
      for (const [name, expected] of Object.entries(designed)) {
        assert.equal(parent!.get(name) ?? 0, expected.calls - (truth.per_process.child[name] ?? 0), `parent ${name}`);
      }
    });

    it('normalises pipe2 to pipe (raw_name kept) and times each 7 ms nanosleep', async (t) => {
      const reason = (await skipReason(backend)) || buildProblem;
      if (reason) return t.skip(reason);
      const run = runShell(`$RUN capture --backend ${backend} -- ${JSON.stringify(counter)}`, { timeoutMs: 120_000 });
      assert.equal(run.status, truth.exit_status, run.stderr);
      const events = lines<SyscallEvent>(run.stdout);
      const pipes = events.filter((event) => event.raw_name === 'pipe2');
      assert.equal(pipes.length, 1);
      assert.equal(pipes[0]!.name, 'pipe');
      assert.equal(pipes[0]!.category, 'I/O');
      assert.ok(!events.some((event) => event.name === 'pipe2'));
      const sleeps = events.filter((event) => event.name === 'nanosleep');
      assert.equal(sleeps.length, designed.nanosleep!.calls);
      for (const sleep of sleeps) assert.ok(sleep.latency_ns >= truth.sleep_ns, `nanosleep took ${sleep.latency_ns} ns`);
    });
  });
}
