import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childrenOf, findExecutable, onlineCpus, processExists, ptraceObstacles, tracerOf } from '../../src/capture/proc.js';
import { perfBufferPages } from '../../src/capture/ebpf.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;

describe('findExecutable', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stracectl-proc-'));
    writeFileSync(join(dir, 'runme'), '#!/bin/sh\n');
    chmodSync(join(dir, 'runme'), 0o755);
    writeFileSync(join(dir, 'plain'), 'not a program\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('searches PATH for a bare name, like execvp', () => {
    assert.deepEqual(findExecutable('runme', `/nonexistent:${dir}`), { path: join(dir, 'runme') });
    assert.deepEqual(findExecutable('runme', '/nonexistent'), { problem: 'not-found' });
  });

  it('takes a name with a slash as a path and tells missing from not executable', () => {
    assert.deepEqual(findExecutable(join(dir, 'runme'), ''), { path: join(dir, 'runme') });
    assert.deepEqual(findExecutable(join(dir, 'missing'), ''), { problem: 'not-found' });
    assert.deepEqual(findExecutable(join(dir, 'plain'), ''), { problem: 'not-executable' });
    assert.deepEqual(findExecutable(dir, ''), { problem: 'not-executable' });
    assert.deepEqual(findExecutable('plain', dir), { problem: 'not-executable' });
  });
});

describe('/proc inspection', () => {
  it('sees processes, their children and that nobody traces them', async () => {
    assert.ok(processExists(process.pid));
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      assert.ok(childrenOf(process.pid).includes(child.pid!));
      assert.equal(tracerOf(child.pid!), undefined);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(!processExists(child.pid!) || tracerOf(child.pid!) === undefined);
    assert.ok(!processExists(2 ** 22 + 1), 'beyond pid_max');
  });

  it('names the other tracer as the obstacle when one is attached', { skip: !hasStrace && 'strace not installed' }, async () => {
    // `strace sleep` makes sleep a traced child of strace.
    const tracer = spawn('strace', ['-o', '/dev/null', 'sleep', '30'], { stdio: 'ignore' });
    let target: number | undefined;
    try {
      while (target === undefined || tracerOf(target) === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        target = childrenOf(tracer.pid!)[0];
      }
      assert.equal(tracerOf(target), tracer.pid);
      const [first] = ptraceObstacles(target);
      assert.match(first ?? '', new RegExp(`another tracer is attached: pid ${tracer.pid} \\(strace\\)`));
    } finally {
      // strace ends with its tracee and reaps it (killing strace first would orphan it).
      if (target !== undefined) process.kill(target, 'SIGKILL');
      else tracer.kill('SIGKILL');
      if (tracer.exitCode === null && tracer.signalCode === null) await once(tracer, 'exit');
    }
  });

  it('lists the online CPUs from the kernel\'s range syntax', () => {
    assert.deepEqual(onlineCpus('0-3,6,8-9\n'), [0, 1, 2, 3, 6, 8, 9]);
    assert.deepEqual(onlineCpus('0\n'), [0]);
    assert.equal(onlineCpus('garbage'), undefined);
    const here = onlineCpus();
    assert.ok(here !== undefined && here.length >= 1 && here.includes(0));
  });

  it('sizes the perf buffers: a power of two per CPU, at most 4 MiB each, about 32 MiB in all', () => {
    assert.equal(perfBufferPages(1), 1024);
    assert.equal(perfBufferPages(2), 1024);
    assert.equal(perfBufferPages(16), 512);
    assert.equal(perfBufferPages(48), 128);
    assert.equal(perfBufferPages(1024), 64);
  });
});
