/**
 * `stracectl capture` end to end through the built CLI (run
 * `npx tsc -p tsconfig.build.json` first): usage and runtime errors with
 * their exit statuses, where the program's output goes, live streaming,
 * signals (Ctrl-C detaches from -p, reaches a command), EPIPE, and
 * capture-time selection with exact counts on counter.c.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processExists, tracerOf } from '../../src/capture/proc.js';
import type { SyscallEvent } from '../../src/event.js';
import { binRun, fixturesDir, runCli, runShell } from '../helpers.js';

const skip = spawnSync('strace', ['-V']).status !== 0 ? 'strace not installed' : false;

interface Running {
  child: ChildProcess;
  events: SyscallEvent[];
  stderr: () => string;
  /** Resolves with the first event matching, while the capture keeps running. */
  waitFor: (predicate: (event: SyscallEvent) => boolean) => Promise<SyscallEvent>;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the CLI in its own session (no controlling terminal, like CI) and parses stdout live. */
function startCli(args: string[], options: { stdin?: 'pipe' | 'ignore' } = {}): Running {
  const child = spawn(process.execPath, [binRun, 'capture', ...args], {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC', NO_COLOR: '1' },
    detached: true,
  });
  const events: SyscallEvent[] = [];
  const waiters: Array<{ predicate: (event: SyscallEvent) => boolean; resolve: (event: SyscallEvent) => void }> = [];
  let pending = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString();
    const parts = text.split('\n');
    pending = parts.pop()!;
    for (const line of parts) {
      const event = JSON.parse(line) as SyscallEvent;
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    }
  });
  const done = once(child, 'close').then(([status, signal]) => ({ status: status as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    events,
    stderr: () => stderr,
    waitFor: (predicate) => {
      const seen = events.find(predicate);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    done,
  };
}

function lines(text: string): SyscallEvent[] {
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as SyscallEvent);
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stracectl-capture-e2e-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('stracectl capture: usage errors exit 2 with a message and a hint', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /nothing to trace: give -p PID or a command after --/],
    [['-p', '1', '--', 'true'], /either -p PID or a command after --, not both/],
    [['ls'], /unexpected argument "ls"/],
    [['-p', 'abc'], /-p: "abc" is not a process id/],
    [['--summary', '--backend', 'strace', '--', 'true'], /need the eBPF backend/],
    [['--interval', '1s', '--backend', 'strace', '--', 'true'], /need the eBPF backend/],
    [['--program-output', 'null', '-p', '1'], /--program-output applies to a command/],
    [['--syscalls', 'openat', '--category', 'NET', '--', 'true'], /no syscall in --syscalls openat belongs to --category NET/],
  ];
  for (const [args, message] of cases) {
    it(`capture ${args.join(' ')}`, () => {
      const result = runCli(['capture', ...args]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^stracectl capture: /m);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^hint: /m);
      assert.equal(result.stdout, '');
    });
  }

  it('a syscall name strace does not know (checked by strace itself)', { skip }, () => {
    const result = runCli(['capture', '--syscalls', 'opnat', '--', 'true']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /stracectl capture: unknown syscall name "opnat"/);
  });
});

describe('stracectl capture: runtime errors are clear, without stack traces', { skip }, () => {
  const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

  it('strace not installed (PATH without it): exit 1 and how to install it', () => {
    const result = runCli(['capture', '--', '/bin/true'], { env: { PATH: join(dir, 'empty-path') } });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /stracectl capture: strace is not installed \(not found on PATH\)/);
    assert.match(result.stderr, /hint: install it: apt-get install -y strace/);
    noStack(result.stderr);
  });

  it('a PID that does not exist: exit 1', () => {
    const result = runCli(['capture', '-p', String(2 ** 22 + 1)]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /stracectl capture: no process with pid 4194305/);
    noStack(result.stderr);
  });

  it('a PID another tracer holds: exit 1, naming the tracer', async () => {
    const tracer = spawn('strace', ['-o', '/dev/null', 'sleep', '30'], { stdio: 'ignore' });
    let target: number | undefined;
    try {
      while (target === undefined || tracerOf(target) === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        target = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim()) || undefined;
      }
      const result = runCli(['capture', '--backend', 'strace', '-p', String(target)]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`cannot trace pid ${target}: it is already being traced by pid ${tracer.pid} \\(strace\\)`));
      assert.match(result.stderr, /^hint: /m);
      noStack(result.stderr);
    } finally {
      if (target !== undefined) process.kill(target, 'SIGKILL');
      else tracer.kill('SIGKILL');
      if (tracer.exitCode === null && tracer.signalCode === null) await once(tracer, 'exit');
    }
  });

  const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  it('a PID the kernel will not let us ptrace (unprivileged user, root target): exit 1 with the likely cause', { skip: !canDropPrivileges && 'needs root and setpriv' }, async () => {
    const target = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await once(target, 'spawn');
      const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binRun, 'capture', '-p', String(target.pid)], {
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp' },
        timeout: 60_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`stracectl capture: not permitted to trace pid ${target.pid} \\(strace: attach: ptrace\\(PTRACE_SEIZE, ${target.pid}\\): Operation not permitted\\)`));
      assert.match(result.stderr, new RegExp(`hint: likely cause: .*pid ${target.pid} runs as uid 0 and you are uid 65534 without CAP_SYS_PTRACE`));
      noStack(result.stderr);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('a command that does not exist exits 127, one that cannot run 126', () => {
    const missing = runCli(['capture', '--', 'stracectl-no-such-command', '-x']);
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /stracectl capture: command not found: stracectl-no-such-command/);
    const file = join(dir, 'not-executable');
    writeFileSync(file, 'echo hi\n', { mode: 0o644 });
    const denied = runCli(['capture', '--', file]);
    assert.equal(denied.status, 126);
    assert.match(denied.stderr, /permission denied/);
  });
});

describe('stracectl capture -- CMD', { skip }, () => {
  it('exits with the command\'s status and says which backend it picked', () => {
    const result = runCli(['capture', '--', 'sh', '-c', 'exit 3']);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /stracectl capture: backend: (strace|ebpf) \(auto: /);
    assert.ok(lines(result.stdout).some((event) => event.name === 'exit_group' && event.args === '3'));
  });

  it('keeps the program\'s stdout and stderr off stdout: on stderr by default, in --program-output FILE, or nowhere', () => {
    const script = 'echo to-stdout; echo to-stderr >&2';
    const plain = runCli(['capture', '--', 'sh', '-c', script]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(lines(plain.stdout).length > 0, 'stdout is events only');
    assert.match(plain.stderr, /^to-stdout$/m);
    assert.match(plain.stderr, /^to-stderr$/m);

    const file = join(dir, 'program.out');
    const toFile = runCli(['capture', '--program-output', file, '--', 'sh', '-c', script]);
    assert.equal(toFile.status, 0, toFile.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'to-stdout\nto-stderr\n');
    assert.doesNotMatch(toFile.stderr, /to-std/);
    lines(toFile.stdout);

    const dropped = runCli(['capture', '--program-output', 'null', '--', 'sh', '-c', script]);
    assert.equal(dropped.status, 0, dropped.stderr);
    assert.doesNotMatch(dropped.stderr + dropped.stdout.replace(/"args":"(?:[^"\\]|\\.)*"/g, ''), /to-std/);
  });

  it('streams events live while the command runs, and the command reads our stdin', async () => {
    const running = startCli(['--', 'sh', '-c', 'cat /nonexistent/stracectl-live-1 2>/dev/null; read next; cat /nonexistent/stracectl-live-$next 2>/dev/null'], { stdin: 'pipe' });
    try {
      // The command is blocked in `read` until we answer: this event can only arrive live.
      const first = await running.waitFor((event) => event.name === 'openat' && event.args.includes('stracectl-live-1'));
      assert.equal(first.error, 'ENOENT');
      running.child.stdin!.end('2\n');
      const { status } = await running.done;
      assert.equal(status, 1, `cat's failure is the command's status: ${running.stderr()}`);
      assert.ok(running.events.some((event) => event.name === 'openat' && event.args.includes('stracectl-live-2')));
    } finally {
      if (running.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
    }
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} reaches the command; the capture exits ${status} with everything traced so far`, async () => {
      const running = startCli(['--', 'sleep', '30']);
      try {
        await running.waitFor((event) => event.name === 'clock_nanosleep' || event.name === 'nanosleep' || event.name === 'fstat');
        process.kill(running.child.pid!, signal);
        const result = await running.done;
        assert.equal(result.status, status, running.stderr());
        assert.ok(running.events.some((event) => event.name === 'execve' && event.args.includes('sleep')));
        assert.ok(running.events.some((event) => /nanosleep$/.test(event.name)), 'the interrupted sleep was flushed');
      } finally {
        if (running.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
      }
    });
  }

  it('exits 0 quietly when the reader goes away (| head -1)', () => {
    const result = runShell(`$RUN capture -- sh -c 'for i in 1 2 3 4 5 6 7 8; do cat /nonexistent/stracectl-epipe 2>/dev/null; done' | head -1; echo "status=\${PIPESTATUS[0]}" >&2`);
    assert.match(result.stderr, /status=0/);
    assert.equal(lines(result.stdout).length, 1);
    assert.doesNotMatch(result.stderr, /Broken pipe|strace:|EPIPE/);
  });
});

describe('stracectl capture -p', { skip }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`attaches to several PIDs; ${signal} detaches, the targets keep running, exit 0`, async () => {
      // Own process groups, so each loop's current `sleep` dies with it afterwards.
      const targets = [0, 1].map(() => spawn('sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore', detached: true }));
      try {
        await Promise.all(targets.map((target) => once(target, 'spawn')));
        const pids = targets.map((target) => target.pid!);
        const running = startCli(['-p', String(pids[0]), '-p', String(pids[1])]);
        await running.waitFor((event) => event.pid === pids[0]);
        await running.waitFor((event) => event.pid === pids[1]);
        process.kill(running.child.pid!, signal);
        const result = await running.done;
        assert.equal(result.status, 0, running.stderr());
        for (const pid of pids) {
          assert.ok(processExists(pid), `target ${pid} survived`);
          assert.equal(tracerOf(pid), undefined, `target ${pid} is no longer traced`);
        }
        assert.ok(targets.every((target) => target.exitCode === null && target.signalCode === null));
      } finally {
        for (const target of targets) if (target.pid !== undefined) process.kill(-target.pid, 'SIGKILL');
      }
    });
  }
});

describe('stracectl capture: selection in the tracer, exact on counter.c', { skip }, () => {
  let counter: string | undefined;
  before(() => {
    const output = join(dir, 'counter');
    if (spawnSync('gcc', ['-O1', '-static', '-o', output, join(fixturesDir, 'workload/counter.c')]).status === 0) counter = output;
  });
  const capture = (args: string[]): SyscallEvent[] => {
    const result = runCli(['capture', ...args, '--', counter!], { timeoutMs: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    return lines(result.stdout);
  };
  const tally = (events: SyscallEvent[]): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const event of events) counts[event.name] = (counts[event.name] ?? 0) + 1;
    return counts;
  };

  it('--syscalls openat traces the 501 openat calls and nothing else', (t) => {
    if (!counter) return t.skip('cannot build counter.c statically');
    const events = capture(['--syscalls', 'openat', '--no-normalize']);
    assert.deepEqual(tally(events), { openat: 501 });
    assert.equal(events.filter((event) => event.error === 'ENOENT').length, 500);
  });

  it('--category NET traces exactly the network calls', (t) => {
    if (!counter) return t.skip('cannot build counter.c statically');
    assert.deepEqual(tally(capture(['--category', 'NET'])), { socket: 41, bind: 1, getsockname: 1, connect: 40 });
  });

  it('--errors-only keeps exactly the 570 failing calls', (t) => {
    if (!counter) return t.skip('cannot build counter.c statically');
    const events = capture(['--errors-only', '--no-normalize']);
    assert.deepEqual(tally(events), { openat: 500, connect: 40, ioctl: 30 });
    assert.ok(events.every((event) => event.error !== ''));
  });
});
