import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { resolveSyscallSelection } from '../../src/capture/selection.js';
import { DEFAULT_STRING_LIMIT, buildStraceArgs, traceExpression } from '../../src/capture/straceArgs.js';
import type { CaptureOptions } from '../../src/capture/types.js';

const base: CaptureOptions = { pids: [], command: ['ls', '-l'], follow: true, normalize: true, stringLimit: DEFAULT_STRING_LIMIT, programOutput: 'stderr' };

function names(selection: ReturnType<typeof resolveSyscallSelection>): string[] {
  return (selection?.names ?? []).map((entry) => entry.name).sort();
}

describe('resolveSyscallSelection', () => {
  it('traces everything when nothing is selected', () => {
    assert.equal(resolveSyscallSelection({}), undefined);
    assert.equal(resolveSyscallSelection({ syscalls: [], categories: [] }), undefined);
    assert.equal(resolveSyscallSelection({ categories: ['I/O', 'FS', 'NET', 'MEM', 'PROC', 'SIG', 'OTHER'] }), undefined);
  });

  it('expands a name to its whole alias family, marked optional', () => {
    const selection = resolveSyscallSelection({ syscalls: ['stat'] });
    assert.equal(selection?.mode, 'only');
    assert.deepEqual(names(selection), ['fstat', 'lstat', 'newfstatat', 'stat', 'statx']);
    assert.ok(selection!.names.every((entry) => entry.optional));
  });

  it('passes a name unknown to the knowledge base as typed, for strace to validate', () => {
    const selection = resolveSyscallSelection({ syscalls: ['pread64', 'openat'] });
    assert.deepEqual(selection!.names.find((entry) => entry.name === 'pread64'), { name: 'pread64', optional: false });
    assert.deepEqual(names(selection), ['open', 'openat', 'pread64']);
  });

  it('maps a category to its syscalls and their aliases', () => {
    const selection = resolveSyscallSelection({ categories: ['NET'] });
    const list = names(selection);
    for (const name of ['socket', 'connect', 'accept', 'accept4', 'recvmsg', 'sendmmsg', 'getpeername', 'ppoll', 'epoll_pwait']) assert.ok(list.includes(name), name);
    assert.ok(!list.includes('openat') && !list.includes('read'));
  });

  it('expresses OTHER as "everything except the other categories"', () => {
    const selection = resolveSyscallSelection({ categories: ['OTHER', 'NET'] });
    assert.equal(selection?.mode, 'except');
    const list = names(selection);
    assert.ok(list.includes('openat') && list.includes('mmap') && list.includes('clone3'));
    assert.ok(!list.includes('connect') && !list.includes('futex') && !list.includes('ioctl'));
  });

  it('combines --syscalls and --category with AND, and refuses an empty result', () => {
    assert.deepEqual(names(resolveSyscallSelection({ syscalls: ['connect', 'openat'], categories: ['NET'] })), ['connect']);
    assert.throws(() => resolveSyscallSelection({ syscalls: ['openat'], categories: ['NET'] }), /no syscall in --syscalls openat belongs to --category NET/);
  });
});

describe('buildStraceArgs', () => {
  it('starts a command with parse-friendly flags and the trace on its own file', () => {
    assert.deepEqual(buildStraceArgs(base, '/tmp/x/trace'), ['-o', '/tmp/x/trace', '-ttt', '-T', '-q', '-s', '256', '-f', '--', 'ls', '-l']);
  });

  it('attaches to every -p pid, following only with -f', () => {
    assert.deepEqual(buildStraceArgs({ ...base, command: undefined, pids: [12, 34], follow: false, stringLimit: 64 }, 'T'), ['-o', 'T', '-ttt', '-T', '-q', '-s', '64', '-p', '12', '-p', '34']);
  });

  it('maps the selection to -e trace= with --seccomp-bpf only for a followed command, and --errors-only to -Z', () => {
    const args = buildStraceArgs({ ...base, syscalls: ['openat', 'connect'], errorsOnly: true }, 'T');
    assert.deepEqual(args.slice(args.indexOf('-e'), args.indexOf('--')), ['-e', 'trace=?openat,?open,?connect', '--seccomp-bpf', '-Z']);
    const attach = buildStraceArgs({ ...base, command: undefined, pids: [1], syscalls: ['openat'] }, 'T');
    assert.ok(!attach.includes('--seccomp-bpf'), 'seccomp-bpf cannot apply to -p');
    const unfollowed = buildStraceArgs({ ...base, follow: false, syscalls: ['openat'] }, 'T');
    assert.ok(!unfollowed.includes('--seccomp-bpf'), 'strace needs -f for seccomp-bpf');
  });

  it('produces trace expressions the installed strace accepts', { skip: spawnSync('strace', ['-V']).status !== 0 && 'strace not installed' }, () => {
    for (const categories of [['NET'], ['OTHER'], ['FS', 'MEM', 'PROC', 'SIG', 'I/O']] as const) {
      const expression = traceExpression(resolveSyscallSelection({ categories: [...categories] })!);
      const result = spawnSync('strace', ['-f', '-o', '/dev/null', '-e', expression, '--', 'true'], { encoding: 'utf8' });
      assert.equal(result.status, 0, `${categories.join(',')}: ${result.stderr}`);
    }
    const typo = spawnSync('strace', ['-o', '/dev/null', '-e', traceExpression(resolveSyscallSelection({ syscalls: ['opnat'] })!), '--', 'true'], { encoding: 'utf8' });
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /invalid system call 'opnat'/);
  });
});
