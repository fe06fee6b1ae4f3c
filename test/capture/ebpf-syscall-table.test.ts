/**
 * The generated number → name tables: checked against the kernel header of
 * this machine when it exists (and the generator reproduces the committed
 * files), and against well-known numbers always.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SYSCALL_NAMES_AARCH64 } from '../../src/capture/syscall-table-aarch64.js';
import { SYSCALL_NAMES_X86_64 } from '../../src/capture/syscall-table-x86_64.js';
import { currentArch, syscallTable } from '../../src/capture/ebpf/syscalls.js';
import { repoRoot } from '../helpers.js';

const X86_64_HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const GENERIC_HEADER = '/usr/include/asm-generic/unistd.h';

describe('syscall tables', () => {
  it('x86_64 agrees with asm/unistd_64.h, number for number', (t) => {
    if (!existsSync(X86_64_HEADER)) return t.skip(`${X86_64_HEADER} is not installed`);
    const fromHeader = new Map<number, string>();
    for (const line of readFileSync(X86_64_HEADER, 'utf8').split('\n')) {
      const match = /^#define __NR_(\w+)\s+(\d+)\s*$/.exec(line.trim());
      if (match) fromHeader.set(Number(match[2]), match[1]!);
    }
    assert.ok(fromHeader.size > 300);
    assert.deepEqual([...SYSCALL_NAMES_X86_64].sort((a, b) => a[0] - b[0]), [...fromHeader].sort((a, b) => a[0] - b[0]));
  });

  it('the committed tables are what the generator makes from this machine’s headers', (t) => {
    if (!existsSync(X86_64_HEADER) || !existsSync(GENERIC_HEADER)) return t.skip('kernel headers are not installed');
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/gen-syscall-tables.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  it('x86_64 well-known numbers', () => {
    const expected: Record<number, string> = { 0: 'read', 1: 'write', 2: 'open', 3: 'close', 9: 'mmap', 15: 'rt_sigreturn', 42: 'connect', 49: 'bind', 56: 'clone', 59: 'execve', 60: 'exit', 61: 'wait4', 231: 'exit_group', 257: 'openat', 262: 'newfstatat', 322: 'execveat', 435: 'clone3' };
    for (const [number, name] of Object.entries(expected)) assert.equal(SYSCALL_NAMES_X86_64.get(Number(number)), name, `x86_64 ${number}`);
  });

  it('aarch64 (asm-generic) well-known numbers, including the 64-bit __NR3264 names', () => {
    const expected: Record<number, string> = { 25: 'fcntl', 56: 'openat', 57: 'close', 62: 'lseek', 63: 'read', 64: 'write', 79: 'newfstatat', 80: 'fstat', 93: 'exit', 94: 'exit_group', 101: 'nanosleep', 203: 'connect', 220: 'clone', 221: 'execve', 222: 'mmap', 260: 'wait4', 435: 'clone3' };
    for (const [number, name] of Object.entries(expected)) assert.equal(SYSCALL_NAMES_AARCH64.get(Number(number)), name, `aarch64 ${number}`);
    // asm-generic has no open(2) or fork(2): those are x86_64 legacy.
    assert.ok(![...SYSCALL_NAMES_AARCH64.values()].includes('open'));
    assert.ok(![...SYSCALL_NAMES_AARCH64.values()].includes('fork'));
  });

  it('unknown numbers read like strace prints them; names map back to numbers', () => {
    const table = syscallTable('x86_64');
    assert.equal(table.nameOf(999), 'syscall_0x3e7');
    assert.equal(table.numberOf('openat'), 257);
    assert.equal(syscallTable('aarch64').numberOf('openat'), 56);
    assert.equal(currentArch('x64'), 'x86_64');
    assert.equal(currentArch('arm64'), 'aarch64');
    assert.equal(currentArch('riscv64'), undefined);
  });
});
