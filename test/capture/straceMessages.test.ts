import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFailure } from '../../src/capture/strace.js';
import { StraceStderrSplitter, classifyStraceMessage } from '../../src/capture/straceMessages.js';

describe('classifyStraceMessage', () => {
  // Messages as strace 6.1 prints them (seen on this machine).
  const cases: Array<[string, Record<string, unknown>]> = [
    ['strace: attach: ptrace(PTRACE_SEIZE, 999999): No such process', { kind: 'no-such-process', pid: 999999 }],
    ['strace: attach: ptrace(PTRACE_SEIZE, 25691): Operation not permitted', { kind: 'ptrace-denied', pid: 25691 }],
    ['strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted', { kind: 'ptrace-denied' }],
    ["strace: Can't stat 'nonexist': No such file or directory", { kind: 'command-not-found', command: 'nonexist' }],
    ['strace: exec: Permission denied', { kind: 'exec-failed', exit: 126 }],
    ['strace: exec: No such file or directory', { kind: 'exec-failed', exit: 127 }],
    ["strace: invalid system call 'foo'", { kind: 'invalid-syscall', name: 'foo' }],
    ['strace: Process 14828 attached', { kind: 'info' }],
    ['strace: Process 14828 detached', { kind: 'info' }],
    ['strace: --seccomp-bpf cannot be used without -f/--follow-forks, disabling', { kind: 'other' }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => {
      const message = classifyStraceMessage(line);
      for (const [key, value] of Object.entries(expected)) assert.equal((message as Record<string, unknown>)[key], value);
      assert.equal(message.text, line.slice('strace: '.length));
    });
  }

  it('turns each failure into its catalog error', () => {
    assert.equal(describeFailure(classifyStraceMessage(cases[0]![0])).code, 'NO_SUCH_PROCESS');
    const denied = describeFailure(classifyStraceMessage(cases[1]![0]));
    assert.equal(denied.code, 'PTRACE_DENIED');
    assert.match(denied.message, /not permitted to trace pid 25691/);
    assert.ok(denied.hint && denied.hint.length > 0);
    assert.equal(describeFailure(classifyStraceMessage(cases[3]![0])).exit, 127);
    assert.equal(describeFailure(classifyStraceMessage(cases[4]![0])).exit, 126);
    assert.equal(describeFailure(classifyStraceMessage(cases[6]![0])).exit, 2);
  });
});

describe('StraceStderrSplitter', () => {
  function split(chunks: Array<string | Buffer>): { program: Buffer; strace: string[]; writes: number } {
    const program: Buffer[] = [];
    const strace: string[] = [];
    const splitter = new StraceStderrSplitter((bytes) => program.push(bytes), (line) => strace.push(line));
    for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    splitter.end();
    return { program: Buffer.concat(program), strace, writes: program.length };
  }

  it('takes whole lines starting with "strace: " and passes everything else through unchanged', () => {
    const result = split(['hello\nstrace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\nworld\n']);
    assert.equal(result.program.toString(), 'hello\nworld\n');
    assert.deepEqual(result.strace, ['strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted']);
  });

  it('passes a partial line (a prompt) through at once', () => {
    const program: string[] = [];
    const splitter = new StraceStderrSplitter((bytes) => program.push(bytes.toString()), () => assert.fail('no strace line'));
    splitter.push(Buffer.from('Password: '));
    assert.deepEqual(program, ['Password: ']);
  });

  it('does not mistake "strace: " in the middle of a program line, or a line continued across chunks', () => {
    const result = split(['my strace: no\npartial ', 'strace: still the program\n']);
    assert.equal(result.program.toString(), 'my strace: no\npartial strace: still the program\n');
    assert.deepEqual(result.strace, []);
  });

  it('joins a strace line split across reads, and keeps one without a final newline', () => {
    const result = split(['strace: exec: Perm', 'ission denied\nstrace: tail']);
    assert.deepEqual(result.strace, ['strace: exec: Permission denied', 'strace: tail']);
    assert.equal(result.program.length, 0);
  });

  it('keeps binary program output byte for byte, in one write per chunk', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x1b, 0x5b, 0x0a, 0xc3]);
    const result = split([bytes]);
    assert.deepEqual(result.program, bytes);
    assert.equal(result.writes, 1);
  });
});
