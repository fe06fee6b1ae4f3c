/**
 * The strace backend driven in-process: real strace, real targets (fork +
 * exec, threads, SIGKILL, attach / detach), exact counts where the target's
 * syscalls are known.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { startStraceCapture } from '../../src/capture/strace.js';
import { processExists, tracerOf } from '../../src/capture/proc.js';
import type { CaptureOptions, CaptureSession } from '../../src/capture/types.js';
import { StracectlError } from '../../src/errors.js';
import { isSyscallEvent, type SyscallEvent } from '../../src/event.js';
import { repoRoot } from '../helpers.js';

const skip = spawnSync('strace', ['-V']).status !== 0 ? 'strace not installed' : false;
const threadsTarget = join(repoRoot, 'test/fixtures/capture/threads.mjs');
const MARKER = '/nonexistent/stracectl-mt/';

function options(overrides: Partial<CaptureOptions>): CaptureOptions {
  return { pids: [], follow: true, normalize: false, stringLimit: 256, programOutput: 'null', log: () => undefined, ...overrides };
}

async function run(session: CaptureSession): Promise<{ events: SyscallEvent[]; status: number }> {
  const records = await lastValueFrom(session.records$.pipe(toArray()));
  return { events: records.filter(isSyscallEvent), status: await session.exitStatus };
}

/** Resolves with the first event, while the capture keeps running. */
function firstEvent(session: CaptureSession): { first: Promise<SyscallEvent>; rest: Promise<{ events: SyscallEvent[]; status: number }> } {
  const events: SyscallEvent[] = [];
  let resolveFirst!: (event: SyscallEvent) => void;
  const first = new Promise<SyscallEvent>((resolve) => (resolveFirst = resolve));
  const rest = new Promise<{ events: SyscallEvent[]; status: number }>((resolve, reject) => {
    session.records$.subscribe({
      next: (record) => {
        if (!isSyscallEvent(record)) return;
        events.push(record);
        if (events.length === 1) resolveFirst(record);
      },
      error: reject,
      complete: () => session.exitStatus.then((status) => resolve({ events, status }), reject),
    });
  });
  return { first, rest };
}

function markerCounts(events: SyscallEvent[]): { total: number; byWorker: Map<string, { count: number; tids: Set<number>; errors: Set<string> }> } {
  const byWorker = new Map<string, { count: number; tids: Set<number>; errors: Set<string> }>();
  let total = 0;
  for (const event of events) {
    const match = /\/nonexistent\/stracectl-mt\/(w\d+)\//.exec(event.args);
    if (!match) continue;
    total++;
    const entry = byWorker.get(match[1]!) ?? { count: 0, tids: new Set(), errors: new Set() };
    entry.count++;
    entry.tids.add(event.pid);
    entry.errors.add(event.error);
    byWorker.set(match[1]!, entry);
  }
  return { total, byWorker };
}

function assertThreadMarkers(events: SyscallEvent[], mainPid: number | undefined): void {
  const { total, byWorker } = markerCounts(events);
  assert.equal(total, 4 * 300, 'every stat of every worker, exactly once');
  assert.equal(byWorker.size, 4);
  const tids = new Set<number>();
  for (const [worker, entry] of byWorker) {
    assert.equal(entry.count, 300, worker);
    assert.equal(entry.tids.size, 1, `${worker} runs on one thread`);
    assert.deepEqual([...entry.errors], ['ENOENT'], worker);
    tids.add([...entry.tids][0]!);
  }
  assert.equal(tids.size, 4, 'four distinct threads');
  if (mainPid !== undefined) assert.ok(!tids.has(mainPid), 'workers are not the main thread');
  assert.ok(events.every((event) => Number.isSafeInteger(event.pid) && event.pid > 0), 'every event has its pid');
  assert.ok(!events.some((event) => event.args.includes(MARKER) && event.unfinished === true), 'every marker call was resumed');
}

function killQuietly(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

describe('strace backend', { skip }, () => {
  it('follows fork + exec and returns the command\'s exit status', async () => {
    const session = await startStraceCapture(options({ command: ['sh', '-c', 'cat /nonexistent/stracectl-fe 2>/dev/null; exit 3'] }));
    const { events, status } = await run(session);
    assert.equal(status, 3);
    const exec = events.find((event) => event.name === 'execve' && event.args.includes('"cat"'));
    assert.ok(exec, 'the child\'s execve of cat');
    const open = events.find((event) => event.name === 'openat' && event.args.includes('/nonexistent/stracectl-fe'));
    assert.equal(open?.pid, exec.pid, 'cat opened it');
    assert.equal(open?.error, 'ENOENT');
    const shPid = events[0]!.pid;
    assert.notEqual(exec.pid, shPid);
    const fork = events.find((event) => event.pid === shPid && /^(clone3?|v?fork)$/.test(event.name) && event.ret === String(exec.pid));
    assert.ok(fork, 'sh forked the cat process');
  });

  it('reports a command killed by SIGKILL as 137', async () => {
    const session = await startStraceCapture(options({ command: ['sh', '-c', 'kill -9 $$'] }));
    const { events, status } = await run(session);
    assert.equal(status, 137);
    assert.ok(events.some((event) => event.name === 'kill' && /SIGKILL/.test(event.args)));
  });

  it('without -f traces only the command itself, under its own pid', async () => {
    const session = await startStraceCapture(options({ command: ['sh', '-c', 'cat /nonexistent/stracectl-nf 2>/dev/null; true'], follow: false }));
    const { events, status } = await run(session);
    assert.equal(status, 0);
    assert.ok(events.length > 10);
    assert.equal(new Set(events.map((event) => event.pid)).size, 1);
    assert.ok(events[0]!.pid > 0);
    assert.ok(events.some((event) => event.name === 'execve' && event.args.includes('stracectl-nf')), 'sh itself is traced');
    assert.ok(!events.some((event) => event.name === 'openat' && event.args.includes('/nonexistent/stracectl-nf')), 'its child cat is not followed');
  });

  it('keeps every call of a multi-threaded target exact (unfinished/resumed under load)', async () => {
    const session = await startStraceCapture(options({ command: [process.execPath, threadsTarget] }));
    const { events, status } = await run(session);
    assert.equal(status, 0);
    assertThreadMarkers(events, events[0]!.pid);
    assert.ok(events.some((event) => event.name === 'futex'), 'the barrier waits are there too');
  });

  it('attaches with -p -f to every thread of a running process', async () => {
    const target = spawn(process.execPath, [threadsTarget], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, MT_WAIT_FOR_GO: '1' } });
    try {
      const [ready] = (await once(target.stdout!, 'data')) as [Buffer];
      assert.equal(ready.toString(), 'ready\n');
      const session = await startStraceCapture(options({ pids: [target.pid!], follow: true }));
      const capture = firstEvent(session);
      // Go only once strace holds every thread, so no marker call can slip by.
      const tasks = readdirSync(`/proc/${target.pid}/task`).map(Number);
      while (!tasks.every((tid) => Number(/TracerPid:\s*(\d+)/.exec(readFileSync(`/proc/${target.pid}/task/${tid}/status`, 'utf8'))?.[1]) > 0)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      target.stdin!.write('go\n');
      const { events, status } = await capture.rest;
      assert.equal(status, 0, 'strace ends with its last tracee');
      assertThreadMarkers(events, target.pid);
    } finally {
      killQuietly(target);
    }
  });

  it('detaches from -p on stop: the target survives, untraced, and the capture exits 0', async () => {
    // Its own process group, so the loop's current `sleep` dies with it (no orphan).
    const target = spawn('sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore', detached: true });
    try {
      await once(target, 'spawn');
      const session = await startStraceCapture(options({ pids: [target.pid!], follow: false }));
      const capture = firstEvent(session);
      const first = await capture.first;
      assert.equal(first.pid, target.pid, 'unprefixed lines get the attached pid');
      session.stop('SIGINT');
      const { events, status } = await capture.rest;
      assert.equal(status, 0);
      assert.ok(events.length >= 1);
      assert.ok(processExists(target.pid!) && target.exitCode === null, 'the target is still running');
      assert.equal(tracerOf(target.pid!), undefined, 'and nobody traces it any more');
    } finally {
      process.kill(-target.pid!, 'SIGKILL');
    }
  });

  it('forwards SIGTERM to the command and exits 143 after flushing what was traced', async () => {
    const session = await startStraceCapture(options({ command: ['sleep', '30'] }));
    const capture = firstEvent(session);
    const execve = await capture.first;
    assert.equal(execve.name, 'execve');
    // Signal only once sleep is inside its sleeping syscall (clock_nanosleep 230 / nanosleep 35 on x86_64),
    // so there is an interrupted call to flush whatever the machine's load.
    for (let waited = 0; waited < 10_000; waited += 20) {
      const syscall = readFileSync(`/proc/${execve.pid}/syscall`, 'utf8').split(' ')[0];
      if (syscall === '230' || syscall === '35') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    session.stop('SIGTERM');
    const { events, status } = await capture.rest;
    assert.equal(status, 143);
    assert.ok(events.some((event) => event.name === 'clock_nanosleep' || event.name === 'nanosleep'), 'the interrupted sleep is flushed');
  });

  it('refuses clearly before starting: dead pid, traced pid, missing command, missing strace', async () => {
    const rejects = async (overrides: Partial<CaptureOptions>, code: string, pattern: RegExp, exit?: number): Promise<void> => {
      await assert.rejects(startStraceCapture(options(overrides)), (error: unknown) => {
        assert.ok(error instanceof StracectlError);
        assert.equal(error.code, code);
        assert.match(error.message, pattern);
        if (exit !== undefined) assert.equal(error.exit, exit);
        return true;
      });
    };
    await rejects({ pids: [2 ** 22 + 1] }, 'NO_SUCH_PROCESS', /no process with pid 4194305/);
    await rejects({ command: ['stracectl-no-such-command'] }, 'COMMAND_NOT_FOUND', /command not found: stracectl-no-such-command/, 127);
    const dir = mkdtempSync(join(tmpdir(), 'stracectl-capture-test-'));
    try {
      writeFileSync(join(dir, 'not-executable'), 'echo hi\n', { mode: 0o644 });
      await rejects({ command: [join(dir, 'not-executable')] }, 'COMMAND_NOT_FOUND', /permission denied/, 126);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await rejects({ command: ['/bin/true'] }, 'STRACE_MISSING', /strace is not installed/);
    } finally {
      process.env.PATH = path;
    }
    const tracer = spawn('strace', ['-o', '/dev/null', 'sleep', '30'], { stdio: 'ignore' });
    let traced: number | undefined;
    try {
      while (traced === undefined || tracerOf(traced) === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        traced = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim()) || undefined;
      }
      await rejects({ pids: [traced] }, 'PTRACE_DENIED', new RegExp(`already being traced by pid ${tracer.pid} \\(strace\\)`));
    } finally {
      // strace ends with its tracee and reaps it (killing strace first would orphan a zombie).
      if (traced !== undefined) process.kill(traced, 'SIGKILL');
      else killQuietly(tracer);
      if (tracer.exitCode === null && tracer.signalCode === null) await once(tracer, 'exit');
    }
  });

  it('reports a syscall name strace does not know as a usage error', async () => {
    const session = await startStraceCapture(options({ command: ['true'], syscalls: ['opnat'] }));
    await assert.rejects(lastValueFrom(session.records$.pipe(toArray())), (error: unknown) => {
      assert.ok(error instanceof StracectlError);
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /unknown syscall name "opnat"/);
      return true;
    });
    await assert.rejects(session.exitStatus, StracectlError);
  });
});
