/**
 * The eBPF backend against the real kernel, through the built CLI (run
 * `npx tsc -p tsconfig.build.json` first). Needs root and bpftrace; skipped
 * with the reason otherwise. Nothing here depends on timing: waits are for
 * output, exits, or files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ebpfBackend } from '../../src/capture/ebpf.js';
import { PERCENTILE_RESOLUTION } from '../../src/capture/ebpf/histogram.js';
import type { MetaRecord, StatsRecord, SyscallEvent } from '../../src/event.js';
import { binRun, fixturesDir, readJson, runShell } from '../helpers.js';

let dir: string;
let counter: string | undefined;
let skip: string | false = false;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-ebpf-'));
  chmodSync(dir, 0o755);
  const availability = await ebpfBackend.available();
  if (!availability.ok) skip = `the eBPF backend cannot run here: ${availability.reason}`;
  const build = spawnSync('gcc', ['-O1', '-static', '-o', join(dir, 'counter'), join(fixturesDir, 'workload/counter.c')], { encoding: 'utf8' });
  if (build.status === 0) counter = join(dir, 'counter');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const records = (text: string): Array<SyscallEvent | MetaRecord> => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as SyscallEvent | MetaRecord);
const isEvent = (record: SyscallEvent | MetaRecord): record is SyscallEvent => typeof (record as MetaRecord).type !== 'string';
const nearestRank = (sorted: number[], p: number): number => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;

/** Resolves once `child` has written `count` NDJSON events on stdout (or ended). */
function eventsSeen(child: ChildProcess, count: number): Promise<string[]> {
  const lines: string[] = [];
  let pending = '';
  return new Promise((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.filter((line) => line.startsWith('{"pid"')).length >= count) resolve(lines);
    });
    child.once('close', () => resolve(lines));
  });
}
const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('capture --backend ebpf (live)', () => {
  it('summary mode agrees with event mode on counter.c: counts exact, percentiles within the histogram resolution', { timeout: 180_000 }, (t) => {
    if (skip || !counter) return t.skip(skip || 'cannot build counter.c');
    const truth = readJson<{ designed: Record<string, { calls: number; errors: number }>; sleep_ns: number }>(join(fixturesDir, 'workload/counter.expected.json'));
    const eventRun = runShell(`$RUN capture --backend ebpf --no-normalize -- ${counter} | $RUN aggregate`, { timeoutMs: 120_000 });
    assert.equal(eventRun.status, 0, eventRun.stderr);
    const fromEvents = new Map((records(eventRun.stdout) as unknown as StatsRecord[]).map((r) => [r.name, r]));

    const summaryRun = runShell(`$RUN capture --backend ebpf --summary --no-normalize -- ${counter}`, { timeoutMs: 120_000 });
    assert.equal(summaryRun.status, 0, summaryRun.stderr);
    const out = records(summaryRun.stdout);
    const snapshots = out.filter((r): r is MetaRecord => !isEvent(r) && r.type === 'stats');
    assert.ok(snapshots.length >= 1);
    const final = new Map((snapshots.at(-1)!.stats as StatsRecord[]).map((r) => [r.name, r]));

    assert.deepEqual([...final.keys()].sort(), [...fromEvents.keys()].sort(), 'same syscalls');
    for (const [name, stats] of final) {
      assert.equal(stats.count, fromEvents.get(name)!.count, `${name} count`);
      assert.equal(stats.errors, fromEvents.get(name)!.errors, `${name} errors`);
      assert.deepEqual(stats.error_breakdown, fromEvents.get(name)!.error_breakdown, `${name} errnos`);
    }
    for (const [name, expected] of Object.entries(truth.designed)) assert.equal(final.get(name)?.count, expected.calls, name);
    assert.ok(final.get('nanosleep')!.min_ns >= truth.sleep_ns * (1 - PERCENTILE_RESOLUTION));

    // Only failing calls are streamed, with args; connect and ioctl always fail, so their streamed
    // latencies are the whole distribution of this run: the kernel's percentiles must match them.
    const failing = out.filter(isEvent);
    assert.equal(failing.length, 570);
    assert.ok(failing.every((event) => event.error !== ''));
    assert.match(failing.find((event) => event.name === 'openat')!.args, /"\/nonexistent\/stracectl-counter\/missing\.txt"/);
    for (const name of ['connect', 'ioctl']) {
      const sorted = failing.filter((event) => event.name === name).map((event) => event.latency_ns).sort((a, b) => a - b);
      const stats = final.get(name)!;
      const within = (got: number, exact: number, what: string): void => assert.ok(Math.abs(got - exact) <= exact * PERCENTILE_RESOLUTION + 1, `${name} ${what}: ${got} vs exact ${exact}`);
      within(stats.min_ns, sorted[0]!, 'min');
      within(stats.max_ns, sorted.at(-1)!, 'max');
      for (const p of [50, 95, 99] as const) {
        const exact = nearestRank(sorted, p);
        const got = stats[`p${p}_ns`];
        assert.ok(Math.abs(got - exact) <= exact * PERCENTILE_RESOLUTION + 1, `${name} p${p}: ${got} vs exact ${exact}`);
      }
    }
  });

  it('attaches to a running multi-threaded process with -f and detaches without harming it', { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const beats = join(dir, 'beats');
    const script = join(dir, 'threads.mjs');
    writeFileSync(
      script,
      `import { Worker, isMainThread } from 'node:worker_threads';
import { statSync, writeFileSync } from 'node:fs';
if (isMainThread) {
  let n = 0;
  const workers = [1, 2, 3].map(() => new Worker(new URL(import.meta.url)));
  const timer = setInterval(() => writeFileSync(${JSON.stringify(beats)}, String(++n)), 10);
  process.on('SIGUSR2', () => { clearInterval(timer); for (const w of workers) w.terminate(); process.exitCode = 42; });
} else {
  for (;;) { try { statSync('/nonexistent/stracectl-threads'); } catch {} await new Promise((r) => setTimeout(r, 2)); }
}
`,
    );
    const target = spawn(process.execPath, [script], { stdio: 'ignore' });
    try {
      while (!existsSync(beats)) await new Promise((resolve) => setTimeout(resolve, 20));
      const capture = spawn(process.execPath, [binRun, 'capture', '--backend', 'ebpf', '-f', '-p', String(target.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      capture.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const seen = eventsSeen(capture, 300);
      await seen;
      capture.kill('SIGINT');
      const lines = await seen;
      assert.equal(await exited(capture), 0, stderr);
      const events = lines.filter((line) => line.startsWith('{"pid"')).map((line) => JSON.parse(line) as SyscallEvent);
      const threads = new Set(events.filter((event) => event.args.includes('/nonexistent/stracectl-threads')).map((event) => event.pid));
      assert.ok(threads.size >= 3, `calls from the three worker threads (saw ${[...threads].join(', ')})`);
      assert.ok(events.some((event) => event.error === 'ENOENT' && event.ret === '-1'));

      // Detached: the process carries on (its heartbeat advances) and exits its own way.
      const before = Number(readFileSync(beats, 'utf8'));
      while (Number(readFileSync(beats, 'utf8')) < before + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      target.kill('SIGUSR2');
      assert.equal(await exited(target), 42);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('ends by itself, with status 0, when the -p target exits', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const target = spawn('sh', ['-c', 'while :; do sleep 0.02; done'], { stdio: 'ignore' });
    const capture = spawn(process.execPath, [binRun, 'capture', '--backend', 'ebpf', '-p', String(target.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await eventsSeen(capture, 3);
      target.kill('SIGTERM');
      assert.equal(await exited(capture), 0);
    } finally {
      target.kill('SIGKILL');
      capture.kill('SIGKILL');
    }
  });

  it('passes on the command’s exit status; a missing command is 127', { timeout: 120_000 }, (t) => {
    if (skip) return t.skip(skip);
    assert.equal(runShell('$RUN capture --backend ebpf -- sh -c "exit 3" > /dev/null').status, 3);
    const missing = runShell('$RUN capture --backend ebpf -- /nonexistent/command');
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /^stracectl capture: command not found: \/nonexistent\/command$/m);
  });

  it('escapes untrusted paths: no raw control byte reaches the output', { timeout: 120_000 }, (t) => {
    if (skip) return t.skip(skip);
    const run = runShell(`$RUN capture --backend ebpf --program-output null -- sh -c 'cat "$(printf "/nonexistent/\\033[31m\\n\\303\\251")"'`);
    assert.equal(run.status, 1, run.stderr);
    const openat = records(run.stdout).filter(isEvent).find((event) => event.name === 'openat' && event.args.includes('/nonexistent/'));
    assert.ok(openat, 'the openat of the strange path');
    assert.match(openat.args, /"\/nonexistent\/\\33\[31m\\n\\303\\251"/);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(run.stdout));
  });

  it('never loses events silently: delivered + reported lost = every call the kernel counted', { timeout: 180_000 }, (t) => {
    if (skip) return t.skip(skip);
    const dd = 'dd if=/dev/zero of=/dev/null bs=1 count=100000';
    const events = runShell(`$RUN capture --backend ebpf -- ${dd}`, { timeoutMs: 120_000 });
    assert.equal(events.status, 0, events.stderr);
    const out = records(events.stdout);
    const delivered = out.filter(isEvent).length;
    const lost = out.filter((r): r is MetaRecord => !isEvent(r) && r.type === 'lost').reduce((sum, r) => sum + (r.count as number), 0);
    const summary = runShell(`$RUN capture --backend ebpf --summary -- ${dd}`, { timeoutMs: 120_000 });
    assert.equal(summary.status, 0, summary.stderr);
    const stats = records(summary.stdout).filter((r): r is MetaRecord => !isEvent(r) && r.type === 'stats').at(-1)!.stats as StatsRecord[];
    const counted = stats.reduce((sum, r) => sum + r.count, 0);
    assert.equal(delivered + lost, counted);
    if (lost > 0) assert.match(events.stderr, /events lost/);
  });

  it('explains what is missing: not privileged, bpftrace not on PATH; auto then falls back to strace', { timeout: 180_000 }, (t) => {
    if (skip) return t.skip(skip);
    const setpriv = spawnSync('setpriv', ['--version']);
    if (setpriv.status !== 0) return t.skip('setpriv is not installed');
    const asNobody = `cd ${dir} && setpriv --reuid=nobody --regid=nogroup --clear-groups ${process.execPath} ${binRun}`;
    const denied = runShell(`${asNobody} capture --backend ebpf -- true`);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /^stracectl capture: not privileged: eBPF tracing needs root, or CAP_BPF and CAP_PERFMON/m);
    assert.match(denied.stderr, /^hint: run as root/m);
    assert.ok(!/\n\s+at /.test(denied.stderr), 'no stack trace');
    const fallback = runShell(`${asNobody} capture --backend auto -- true > /dev/null`);
    assert.equal(fallback.status, 0, fallback.stderr);
    assert.match(fallback.stderr, /backend: strace \(auto: eBPF unavailable: not privileged/);

    // The same PATH minus bpftrace: a directory of links to every other program on it.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const directory of (process.env.PATH ?? '').split(':')) {
      if (!directory || !existsSync(directory)) continue;
      for (const name of readdirSync(directory)) {
        if (name !== 'bpftrace' && !existsSync(join(bin, name))) symlinkSync(join(directory, name), join(bin, name));
      }
    }
    const noBpftrace = `PATH=${bin} ${process.execPath} ${binRun}`;
    const missing = runShell(`${noBpftrace} capture --backend ebpf -- true`);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^stracectl capture: bpftrace is not installed \(not found on PATH\)$/m);
    assert.match(missing.stderr, /^hint: install it: apt-get install -y bpftrace/m);
    const auto = runShell(`${noBpftrace} capture --backend auto -- true > /dev/null`);
    assert.equal(auto.status, 0, auto.stderr);
    assert.match(auto.stderr, /backend: strace \(auto: eBPF unavailable: bpftrace is not installed/);
  });
});
