/**
 * The generated bpftrace program: what each option turns into, and — where
 * bpftrace can run (root, tracefs) — that every variant compiles within the
 * 512-byte BPF stack with this machine's syscall signatures (bpftrace -d).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { describe, it } from 'node:test';
import { KERNEL_STRLEN, MAP_ENTRIES, planStringCalls } from '../../src/capture/ebpf.js';
import { checkEnvironment } from '../../src/capture/ebpf/environment.js';
import { ACK_CPU_SHIFT, ACK_MASK, buildProgram, CALL_FIELDS, CALLS_PER_RECORD, IN_FLIGHT_LIMIT, STOP_PID, TICK_HZ, type ProgramPlan } from '../../src/capture/ebpf/program.js';
import { loadSignatures, syscallTable } from '../../src/capture/ebpf/syscalls.js';

const base: ProgramPlan = {
  mode: 'events',
  pids: [4242],
  follow: false,
  consumerPid: 777,
  errorsOnly: false,
  intervalMs: 1000,
  execve: 59,
  execveat: 322,
  neverReturns: [60, 231],
  stringCalls: [
    { nr: 257, tracepoint: 'openat', slots: [1] },
    { nr: 82, tracepoint: 'rename', slots: [0, 1] },
    { nr: 42, tracepoint: 'connect', slots: [], sockaddr: 1 },
  ],
  argvMax: 8,
};

/** The text of the probe(s) whose header contains `head`. */
function probes(program: string, head: string): string[] {
  return program.split(/\n(?=[a-zA-Z])/).filter((block) => block.split('{')[0]!.includes(head));
}

describe('bpftrace program generation', () => {
  it('-p without -f: only the given thread, no child tracking, exits of the target reported', () => {
    const program = buildProgram(base);
    assert.equal(probes(program, 'task:task_newtask').length, 0);
    assert.ok(!program.includes('@traced'));
    assert.match(probes(program, 'raw_syscalls:sys_enter')[0]!, /^tracepoint:raw_syscalls:sys_enter \/tid == 4242\//);
    assert.match(probes(program, 'sched:sched_process_exit')[0]!, /printf\("X %d\\n", pid\)/);
  });

  it('-f follows new processes (not threads) of traced ones', () => {
    const program = buildProgram({ ...base, follow: true });
    const [newtask] = probes(program, 'task:task_newtask');
    assert.match(newtask!, /\/@traced\[pid\] \|\| pid == 4242\//);
    assert.match(newtask!, /clone_flags & 0x10000/);
    assert.match(probes(program, 'raw_syscalls:sys_enter')[0]!, /\/@traced\[pid\] \|\| pid == 4242\//);
  });

  it('a command: the launcher is traced from its execve on, its pre-exec calls are not', () => {
    const program = buildProgram({ ...base, pids: [], launcherPid: 555, follow: true });
    assert.match(probes(program, 'sched:sched_process_exec')[0]!, /\/pid == 555\/ \{\s+@traced\[555\] = 1;/);
    assert.match(probes(program, 'raw_syscalls:sys_enter')[0]!, /\/@traced\[pid\] \|\| \(pid == 555 && \(args->id == 59 \|\| args->id == 322\)\)\//);
    assert.match(probes(program, 'syscalls:sys_enter_execve ')[0]!, /\/@traced\[pid\] \|\| pid == 555\//);
  });

  it('calls are staged per CPU and printed CALLS_PER_RECORD to a record; every CPU ticks; strings come before their call', () => {
    const program = buildProgram(base);
    const exits = probes(program, 'raw_syscalls:sys_exit');
    // Socket address, first string, the call, then the flush of a full stage: in that order (attach order is run order).
    assert.equal(exits.length, 4);
    assert.match(exits[0]!, /printf\("A %d %llu/);
    assert.match(exits[1]!, /printf\("S %d %llu %s\\n", tid, \$q\.0, str\(/);
    assert.match(exits[2]!, /@sg\[\$sc, \$sj\] = \(\(int64\)\(tid\), \(int64\)\(\$s\.0\)/);
    assert.match(exits[3]!, new RegExp(`^tracepoint:raw_syscalls:sys_exit /@sn\\[cpu\\] >= ${CALLS_PER_RECORD}/`));
    // The record: cpu, count so far, calls in it, and every slot's CALL_FIELDS numbers.
    const format = /printf\("E %d %lld %lld((?: %lld)*)\\n"/.exec(exits[3]!);
    assert.equal(format?.[1]?.trim().split(' ').length, CALLS_PER_RECORD * CALL_FIELDS);
    assert.ok(exits[3]!.includes(`@sg[$sc, ${CALLS_PER_RECORD - 1}].${CALL_FIELDS - 1}`));
    assert.equal(probes(program, 'sched:sched_process_exit /@sn[cpu]').length, 1, 'calls staged at a task\'s exit are flushed too');
    const [tick] = probes(program, `profile:hz:${TICK_HZ}`);
    assert.match(tick!, /if \(@sn\[\$sc\] > 0\) \{ \$sn = @sn\[\$sc\]; @sn\[\$sc\] = 0; \$sk = @cum\[\$sc\] \+ \$sn;/);
    assert.match(tick!, /printf\("P %d %lld %llu\\n", \$sc, @cum\[\$sc\], nsecs\)/);
    // A full stage (not flushed in between) takes no call: it is counted, so it shows as lost.
    assert.ok(exits[2]!.includes(`if ($sj == ${CALLS_PER_RECORD}) { @cum[$sc] = @cum[$sc] + 1; } else { if ($sj < ${CALLS_PER_RECORD}) { @sn[$sc] = $sj + 1; } }`));
    // A CPU going idle prints its stage (idle CPUs do not tick); END prints what the stages still hold.
    assert.equal(probes(program, 'sched:sched_switch /args->next_pid == 0 && @sn[cpu] > 0/').length, 1);
    const [end] = probes(program, 'END');
    assert.match(end!, /print\(@sn\); print\(@sg\); print\(@cum\);\s+printf\("Q\\n"\)/);
  });

  it('stracectl acknowledges ticks; a CPU too far ahead of the acknowledgements only counts calls', () => {
    const program = buildProgram(base);
    const [kill] = probes(program, 'syscalls:sys_enter_kill');
    assert.match(kill!, new RegExp(`/pid == 777 && args->sig == 0 && args->pid >= ${STOP_PID}/`));
    assert.ok(kill!.includes(`$c = $v >> ${ACK_CPU_SHIFT}; $a = $v & ${ACK_MASK}; @acked[$c] = $a; @over[$c] = ((@cum[$c] - $a) & ${ACK_MASK}) > ${IN_FLIGHT_LIMIT};`));
    // The verdict is taken again as each stage is printed (the count grows).
    const [, , call, flush] = probes(program, 'raw_syscalls:sys_exit');
    assert.ok(flush!.includes(`@over[$sc] = (($sk - @acked[$sc]) & ${ACK_MASK}) > ${IN_FLIGHT_LIMIT};`));
    assert.ok(call!.includes(`if (@over[$sc]) { $sj = ${CALLS_PER_RECORD}; }`));
    // After kill(STOP_PID, 0) calls go to a slot that is neither printed nor counted.
    assert.match(kill!, /if \(\$v < 0\) \{ @stop = 1; return; \}/);
    assert.ok(call!.includes(`if (@stop) { $sj = ${CALLS_PER_RECORD + 1}; }`));
    // Room for the calls in flight at 100k calls/s on one CPU between two ticks, well within the perf buffer.
    assert.ok(IN_FLIGHT_LIMIT > (100_000 / TICK_HZ) * 2 && IN_FLIGHT_LIMIT < ACK_MASK);
  });

  it('never-returning calls are taken at entry; strings at exit; the second path of rename on its own tracepoint', () => {
    const program = buildProgram(base);
    assert.match(probes(program, 'raw_syscalls:sys_enter')[0]!, /if \(\$id == 60 \|\| \$id == 231\) \{ \$sc = cpu; .*\(int64\)\(\$id\), \(int64\)\(0\), \(int64\)\(-1\)/);
    assert.equal(probes(program, 'syscalls:sys_exit_rename').length, 1);
    assert.equal(probes(program, 'syscalls:sys_exit_openat').length, 0, 'a one-string call costs no per-syscall probe');
  });

  it('selection, --errors-only and summary mode', () => {
    const only = buildProgram({ ...base, selection: { mode: 'only', numbers: [257, 42] } });
    assert.match(only, /\$sel = 0; if \(\$id == 257\) \{ \$sel = 1; \} if \(\$id == 42\) \{ \$sel = 1; \}/);
    const except = buildProgram({ ...base, selection: { mode: 'except', numbers: [0] } });
    assert.match(except, /\$sel = 1; if \(\$id == 0\) \{ \$sel = 0; \}/);
    const errors = buildProgram({ ...base, errorsOnly: true });
    assert.match(probes(errors, 'raw_syscalls:sys_exit')[0]!, /if \(!\(\$ret < 0 && \$ret >= -4095\)\) \{ return; \}/);
    assert.match(probes(errors, 'raw_syscalls:sys_exit')[2]!, /\$ret = args->ret;\s+if \(!\(\$ret < 0 && \$ret >= -4095\)\) \{ delete\(@start\[tid\]\); return; \}/);
    const summary = buildProgram({ ...base, mode: 'summary', intervalMs: 250 });
    assert.match(summary, /@st\[\$id\] = stats\(\(uint64\)\$lat\)/);
    assert.match(probes(summary, 'interval:ms:250')[0]!, /print\(@st\);[\s\S]*printf\("M\\n"\)/);
  });

  it('no long || chains (each costs a BPF stack slot) and pids are checked', () => {
    const program = buildProgram({ ...base, selection: { mode: 'only', numbers: Array.from({ length: 200 }, (_, i) => i) } });
    for (const line of program.split('\n')) assert.ok((line.match(/\|\|/g) ?? []).length <= 4, line.slice(0, 120));
    assert.throws(() => buildProgram({ ...base, pids: [0] }), RangeError);
    assert.throws(() => buildProgram({ ...base, launcherPid: 1.5 }), RangeError);
    assert.throws(() => buildProgram({ ...base, consumerPid: -3 }), RangeError);
  });

  it('every variant compiles within the BPF stack limit on this kernel (bpftrace -d)', { timeout: 300_000 }, (t) => {
    const check = checkEnvironment({ mount: false });
    if (!check.ok) return t.skip(check.reason);
    const table = syscallTable(check.env.arch);
    const stringCalls = planStringCalls(table, loadSignatures(table, check.env.tracefs));
    assert.ok(stringCalls.length > 50, 'string arguments found in the tracepoint formats');
    const real = { ...base, stringCalls, execve: table.numberOf('execve'), execveat: table.numberOf('execveat'), neverReturns: [table.numberOf('exit')!, table.numberOf('exit_group')!] };
    const variants: Array<[string, ProgramPlan]> = [
      ['events -p', real],
      ['events command -f', { ...real, pids: [], launcherPid: process.pid, follow: true }],
      ['events --errors-only', { ...real, errorsOnly: true }],
      ['summary -p -f', { ...real, mode: 'summary', follow: true }],
      ['summary command', { ...real, mode: 'summary', pids: [], launcherPid: process.pid }],
      ['events with a selection', { ...real, selection: { mode: 'except', numbers: [0, 1, 257] } }],
    ];
    for (const [name, plan] of variants) {
      const run: SpawnSyncReturns<string> = spawnSync(check.env.bpftrace, ['-d', '-e', buildProgram(plan)], {
        encoding: 'utf8',
        env: { ...process.env, BPFTRACE_STRLEN: String(KERNEL_STRLEN), BPFTRACE_MAP_KEYS_MAX: String(MAP_ENTRIES) },
        maxBuffer: 256 * 1024 * 1024,
        timeout: 120_000,
      });
      const problems: string[] = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => /error/i.test(line) && !/RLIMIT_MEMLOCK|available_filter_functions/.test(line));
      assert.deepEqual(problems, [], `${name} does not compile`);
      assert.equal(run.status, 0, `${name}: bpftrace -d exited ${run.status}`);
    }
  });
});
