/**
 * Whether the eBPF backend can run, and the exact reason when not: bpftrace
 * on PATH, privileges from /proc/self/status, the bpftrace version, and how
 * bpftrace's start-up failures map to catalog errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStartFailure, launcherArgv } from '../../src/capture/ebpf.js';
import { checkEnvironment, hasTracingPrivileges, parseBpftraceVersion } from '../../src/capture/ebpf/environment.js';

const status = (uid: number, capEff: string): string => `Name:\tnode\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nCapEff:\t${capEff}\n`;

describe('eBPF environment checks', () => {
  it('privileges: root, CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON', () => {
    assert.equal(hasTracingPrivileges(status(0, '0000000000000000')), true);
    assert.equal(hasTracingPrivileges(status(1000, '0000000000000000')), false);
    assert.equal(hasTracingPrivileges(status(1000, (1n << 21n).toString(16).padStart(16, '0'))), true);
    assert.equal(hasTracingPrivileges(status(1000, ((1n << 38n) | (1n << 39n)).toString(16).padStart(16, '0'))), true);
    assert.equal(hasTracingPrivileges(status(1000, (1n << 39n).toString(16).padStart(16, '0'))), false, 'CAP_BPF alone is not enough');
  });

  it('reads bpftrace versions', () => {
    assert.deepEqual(parseBpftraceVersion('bpftrace v0.17.0'), [0, 17, 0]);
    assert.deepEqual(parseBpftraceVersion('bpftrace v0.21.2-dirty'), [0, 21, 2]);
    assert.equal(parseBpftraceVersion('nonsense'), undefined);
  });

  it('bpftrace missing from PATH is BPFTRACE_MISSING, with nothing else tried', () => {
    const check = checkEnvironment({ path: '/nonexistent-dir', mount: false });
    assert.equal(check.ok, false);
    if (!check.ok) {
      assert.equal(check.code, 'BPFTRACE_MISSING');
      assert.match(check.reason, /bpftrace is not installed/);
    }
  });

  it('maps bpftrace start-up failures to catalog errors, without its noise', () => {
    const denied = describeStartFailure("ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.\nERROR: Error loading program: tracepoint:raw_syscalls:sys_enter (try -v)\nbpf: Failed to load program: Operation not permitted\n");
    assert.equal(denied.code, 'EBPF_UNAVAILABLE');
    assert.match(denied.hint ?? '', /root/);
    const missing = describeStartFailure('stdin:1:1-34: ERROR: tracepoint not found: raw_syscalls:sys_enter\n');
    assert.equal(missing.code, 'EBPF_UNAVAILABLE');
    assert.match(missing.message, /tracepoint not found: raw_syscalls:sys_enter/);
    const other = describeStartFailure('ERROR: something else \u001b[31m\n');
    assert.equal(other.code, 'TRACER_FAILED');
    assert.ok(!other.message.includes('\u001b'), 'terminal escapes are neutralised');
  });

  it('the launcher keeps the command’s argv[0] when bash is there, and execs by path otherwise', () => {
    const [shell, args] = launcherArgv('/usr/bin/ls', ['ls', '-l'], '/bin/bash');
    assert.equal(shell, '/bin/bash');
    assert.deepEqual(args.slice(2), ['ls', '/usr/bin/ls', '-l']);
    const [sh, plain] = launcherArgv('/usr/bin/ls', ['ls', '-l'], null);
    assert.equal(sh, '/bin/sh');
    assert.deepEqual(plain.slice(2), ['/usr/bin/ls', '-l']);
  });
});
