/**
 * Generates the bpftrace program of a capture.
 *
 * How events leave the kernel. A bpftrace 0.17 `printf` is one record in the
 * CPU's perf buffer, and each record costs the traced program ~15 µs on a VM
 * (bcc opens the buffer with wakeup_events = 1: an IRQ-work interrupt and a
 * wakeup per record). Printing calls from BPF maps instead costs bpftrace
 * ~12 µs of its own per entry (a lookup, a delete and JSON each): it cannot
 * keep up with 100k calls/s. So completed calls go out CALLS_PER_RECORD to a
 * printf record:
 * - a per-CPU stage (`@sg[cpu, slot]`, `@sn[cpu]`) collects them; the probe
 *   after the one that filled it prints the stage as one `E` record.
 *   Everything touching a CPU's stage runs on that CPU, and BPF programs
 *   never interleave on one CPU (the kernel's bpf_prog_active guard), so no
 *   locking is needed;
 * - a `profile` probe on every busy CPU, TICK_HZ times a second, prints what
 *   the stage holds, then a `P` line with that CPU's count so far; a CPU
 *   going idle prints its stage too: a staged call waits at most 50 ms;
 * - each `E` and `P` carries `@cum[cpu]`, the calls that CPU counted so far:
 *   a record dropped by a full perf buffer leaves a gap in that sequence, so
 *   the number lost is known exactly;
 * - stracectl acknowledges what it read (kill(ACK_BASE + …, 0), seen by a
 *   probe) at each `P` and every few thousand calls. A CPU more than
 *   IN_FLIGHT_LIMIT calls ahead of the acknowledgements only counts calls (so
 *   they show as lost) until the next one: when the traced program outruns
 *   the reader, it is not slowed down to the reader's pace by the cost of
 *   records that would be late anyway.
 *
 * Strings (paths) are read at sys_exit from the argument pointers saved at
 * sys_enter: by then the kernel has faulted the pages in (bpf cannot), so a
 * path in a never-touched page is not lost. execve's are read at its
 * sys_enter (the old address space is gone at exit), through the per-syscall
 * tracepoint. Strings and socket addresses are printed by their own sys_exit
 * probes (BPF programs get 512 bytes of stack; one program doing it all does
 * not fit), declared before the call's probe: probes on one tracepoint run in
 * the order they were attached, so a call's strings reach its CPU's buffer
 * before the call. They carry the call's thread and entry time, to pair up in
 * user space. The stack limit shapes much of the code below (see the comments
 * there); a test compiles every variant.
 *
 * Summary mode: per-syscall stats(), a log-linear histogram (histogram.ts)
 * and errno counts in maps, printed every `intervalMs` (cumulative); only
 * failing calls are printed as above.
 *
 * printf lines of the protocol: `R` ready; `E <cpu> <cum> <n>` and the stage's
 * CALLS_PER_RECORD calls of CALL_FIELDS numbers each (thread, entry time,
 * syscall number, return value, latency (-1: never returned), six
 * arguments), the first n of them new; `P <cpu> <cum> <time>`; `S`/`T
 * <thread> <time> <string>` (a call's first/second string argument);
 * `A <thread> <time> <six numbers>`
 * (socket address); `V <thread> <time> <slot> <string>` (execve's filename
 * and argv, read at its entry: `time` is that probe's); `M` a stats snapshot
 * (summary mode) was printed; `X <pid>` a -p target exited; `Q` END ran. To
 * stop, stracectl calls kill(STOP_PID, 0): calls from then on are not taken;
 * once what was printed has been read it sends SIGINT, and END prints the
 * last stats, the stages' contents and each CPU's count (@sn, @sg, @cum),
 * from which the last lost are known.
 */
import { bucketBpf } from './histogram.js';

export interface StringCall {
  nr: number;
  /** Its per-syscall tracepoint: `syscalls:sys_exit_<tracepoint>`. */
  tracepoint: string;
  /** Indexes of its string arguments. */
  slots: readonly number[];
  /** Index of its input socket address. */
  sockaddr?: number;
}

export interface ProgramPlan {
  mode: 'events' | 'summary';
  /** `-p` targets. */
  pids: readonly number[];
  /** Command mode: the launcher process waiting to exec the command (traced from its execve on). */
  launcherPid?: number;
  /** Follow children (and all threads of a target); else only the given threads. */
  follow: boolean;
  /** stracectl's own pid: its kill(ACK_BASE + …, 0) calls acknowledge what it read. */
  consumerPid: number;
  /** Syscall numbers to trace (or to leave out). */
  selection?: { mode: 'only' | 'except'; numbers: readonly number[] };
  /** Events mode: only failing calls. */
  errorsOnly: boolean;
  /** Summary mode: stats snapshot interval. */
  intervalMs: number;
  execve?: number;
  execveat?: number;
  /** exit, exit_group: taken from sys_enter. */
  neverReturns: readonly number[];
  /** Syscalls with string arguments (the first MAX_STRINGS are read; execve excluded) or an input socket address. */
  stringCalls: readonly StringCall[];
  /** execve argv elements read. */
  argvMax: number;
}

/** Numbers per call in an `E` record: thread, entry time, syscall number, return value, latency, six arguments. */
export const CALL_FIELDS = 11;
/** Calls per `E` record: the most whose numbers fit a printf on the BPF stack. */
export const CALLS_PER_RECORD = 5;
/** How often each CPU prints a lone staged call and its `P` line. */
export const TICK_HZ = 20;
/**
 * stracectl acknowledges each tick it read with kill(ACK_BASE + (cpu << ACK_CPU_SHIFT) + (count & ACK_MASK), 0):
 * no process has such a pid (pid_max is at most 2^22), so the call does nothing but reach our probe.
 */
export const ACK_BASE = 2 ** 30;
/** kill(STOP_PID, 0) from stracectl: the capture stops here; later calls are not taken. */
export const STOP_PID = ACK_BASE - 1;
export const ACK_CPU_SHIFT = 20;
export const ACK_MASK = 2 ** ACK_CPU_SHIFT - 1;
/**
 * Calls a CPU may have printed that stracectl has not acknowledged yet. Past this it is behind (the
 * traced program makes calls faster than bpftrace and stracectl take them): calls are only counted,
 * as lost, until the next acknowledgement. Printing costs the traced program ~3 µs a call (the
 * perf-buffer wakeup), counting ~0.1 µs; and the perf buffer (~40k calls) never overflows.
 */
export const IN_FLIGHT_LIMIT = 30_000;

/** Slot number for "argv had more elements than were read". */
export const ARGV_MORE_SLOT = 99;
const NO_SLOT = 9;
/** String arguments copied per call: two str() sites is what fits in one BPF program's stack. */
export const MAX_STRINGS = 2;

const orList = (terms: string[]): string => (terms.length === 0 ? '0' : terms.join(' || '));
const CALLS_FORMAT = `E %d %lld %lld${' %lld'.repeat(CALL_FIELDS * CALLS_PER_RECORD)}\\n`;

export function buildProgram(plan: ProgramPlan): string {
  for (const pid of [...plan.pids, plan.launcherPid ?? 1, plan.consumerPid]) {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`invalid pid ${pid}`);
  }
  const key = plan.follow ? 'pid' : 'tid';
  const launcher = plan.launcherPid;
  // @traced holds followed children and the launcher once it exec'd; without either it is not needed.
  const tracedMap = plan.follow || launcher !== undefined;
  const traced = orList([...(tracedMap ? [`@traced[${key}]`] : []), ...plan.pids.map((pid) => `${key} == ${pid}`)]);
  const execs = [plan.execve, plan.execveat].filter((nr): nr is number => nr !== undefined);
  const events = plan.mode === 'events';
  const stringCalls = [...plan.stringCalls].sort((a, b) => a.nr - b.nr);
  const hasStrings = stringCalls.some((call) => call.slots.length > 0);
  const hasSockaddrs = stringCalls.some((call) => call.sockaddr !== undefined);
  // No min()/max() maps: two more map updates per call (~20% of summary mode's cost); the histogram
  // gives min and max within its resolution.
  const statsMaps = ['st', 'hi', 'er'];
  const out: string[] = [`// stracectl capture --backend ebpf (${plan.mode} mode): generated, do not edit`];
  const probe = (head: string, body: string[]): void => {
    out.push(`${head} {`, ...body.map((line) => `  ${line}`), '}');
  };

  // One call out of the kernel (see the header): into this CPU's stage; a full stage is printed by the
  // flush probe that runs next. Slot CALLS_PER_RECORD is never printed: a call that finds the stage full
  // (it was not flushed in between) or stracectl too far behind (IN_FLIGHT_LIMIT, @over) is counted in @cum
  // only, so it shows as lost. After the stop, calls go to the slot after it, not counted: they are not
  // part of the capture. The index is redirected rather than the write skipped: bpftrace 0.17 puts a
  // tuple built inside an `if` on the stack twice.
  const emitCall = (fields: string[]): string =>
    [
      `$sc = cpu; $sj = @sn[$sc]; if ($sj > ${CALLS_PER_RECORD}) { $sj = ${CALLS_PER_RECORD}; }`,
      `if (@over[$sc]) { $sj = ${CALLS_PER_RECORD}; }`,
      `if (@stop) { $sj = ${CALLS_PER_RECORD + 1}; }`,
      `@sg[$sc, $sj] = (${fields.map((f) => `(int64)(${f})`).join(', ')});`,
      `if ($sj == ${CALLS_PER_RECORD}) { @cum[$sc] = @cum[$sc] + 1; } else { if ($sj < ${CALLS_PER_RECORD}) { @sn[$sc] = $sj + 1; } }`,
    ].join(' ');
  // The stage as one E record: every slot, read straight from the map (a tuple variable per slot would
  // not fit the stack); only the first n are this round's.
  const slots = Array.from({ length: CALLS_PER_RECORD }, (_, slot) => Array.from({ length: CALL_FIELDS }, (_, i) => `@sg[$sc, ${slot}].${i}`)).flat();
  // The verdict on calls in flight is taken here, as the count grows (and as acknowledgements come).
  const flushStage = `$sn = @sn[$sc]; @sn[$sc] = 0; $sk = @cum[$sc] + $sn; @cum[$sc] = $sk; printf("${CALLS_FORMAT}", $sc, $sk, $sn, ${slots.join(', ')}); @over[$sc] = (($sk - @acked[$sc]) & ${ACK_MASK}) > ${IN_FLIGHT_LIMIT};`;
  const countStats = (id: string, lat: string): string =>
    `@st[${id}] = stats((uint64)${lat}); ${bucketBpf(`(uint64)${lat}`)} @hi[${id}, $b] = count();`;
  const isError = (ret: string): string => `${ret} < 0 && ${ret} >= -4095`;
  // Only failing calls leave the kernel with their strings in summary mode and with --errors-only.
  const onlyFailures = !events || plan.errorsOnly;

  out.push('BEGIN { printf("R\\n"); }');
  if (plan.follow) {
    probe(`tracepoint:task:task_newtask /${orList(['@traced[pid]', ...plan.pids.map((pid) => `pid == ${pid}`)])}/`, [
      // A new process (not a thread: CLONE_THREAD is 0x10000) of a traced one is traced too.
      'if (!(args->clone_flags & 0x10000)) { @traced[args->pid] = 1; }',
    ]);
  }
  if (launcher !== undefined) probe(`tracepoint:sched:sched_process_exec /pid == ${launcher}/`, [`@traced[${launcher}] = 1;`]);
  probe(`tracepoint:syscalls:sys_enter_kill /pid == ${plan.consumerPid} && args->sig == 0 && args->pid >= ${STOP_PID}/`, [
    `$v = (int64)args->pid - ${ACK_BASE}; if ($v < 0) { @stop = 1; return; }`,
    `$c = $v >> ${ACK_CPU_SHIFT}; $a = $v & ${ACK_MASK}; @acked[$c] = $a; @over[$c] = ((@cum[$c] - $a) & ${ACK_MASK}) > ${IN_FLIGHT_LIMIT};`,
  ]);

  // execve's strings, printed at entry; matched to the call in user space.
  for (const name of ['execve', 'execveat'] as const) {
    if (plan[name] === undefined) continue;
    const gate = launcher !== undefined ? `${traced} || ${key} == ${launcher}` : traced;
    const body = ['$t = nsecs; $a = args->argv;', 'printf("V %d %llu 0 %s\\n", tid, $t, str(uptr(args->filename)));', '$x = (uint64)0; if ($a != 0) { $x = (uint64)*uptr($a); }'];
    for (let i = 0; i < plan.argvMax; i++) {
      body.push(`if ($x != 0) { printf("V %d %llu ${i + 1} %s\\n", tid, $t, str(uptr($x))); $x = (uint64)*uptr($a + ${i + 1}); }`);
    }
    body.push(`if ($x != 0) { printf("V %d %llu ${ARGV_MORE_SLOT} \\n", tid, $t); }`);
    probe(`tracepoint:syscalls:sys_enter_${name} /${gate}/`, body);
  }

  // Entry. Tracepoint fields are read once into variables: bpftrace copies a field to a new stack slot on every access.
  const selection = plan.selection
    ? `$sel = ${plan.selection.mode === 'only' ? 0 : 1}; ${plan.selection.numbers.map((nr) => `if ($id == ${nr}) { $sel = ${plan.selection!.mode === 'only' ? 1 : 0}; }`).join(' ')}`
    : undefined;
  const neverReturns = orList(plan.neverReturns.map((nr) => `$id == ${nr}`));
  const enterGate = launcher !== undefined && execs.length > 0 ? `${traced} || (${key} == ${launcher} && (${orList(execs.map((nr) => `args->id == ${nr}`))}))` : traced;
  const argRegs = [0, 1, 2, 3, 4, 5].map((i) => `$r${i}`);
  const onNeverReturn = events ? (plan.errorsOnly ? '' : emitCall(['tid', '$t', '$id', '0', '-1', ...argRegs])) : countStats('$id', '0');
  const enterBody = [
    '$t = nsecs;',
    `$r0 = args->args[0]; $r1 = args->args[1]; $r2 = args->args[2]; $r3 = args->args[3]; $r4 = args->args[4]; $r5 = args->args[5];`,
    `if (${neverReturns}) { ${onNeverReturn} return; }`,
    // Summary mode keeps time and arguments apart: its stats probe then fits in the BPF stack.
    events ? '@start[tid] = ($t, $id, $r0, $r1, $r2, $r3, $r4, $r5);' : '@start[tid] = ($t, $id); @sargs[tid] = ($t, $id, $r0, $r1, $r2, $r3, $r4, $r5);',
  ];
  // Pointers to strings and socket addresses, for the probes that copy them at exit. One `if` per
  // number: bpftrace gives every `||` its own stack slot, so long OR chains overflow the stack.
  // @sp[tid] = (entry time, pointer, syscall << 4 | argument index << 1 | kind): the first string, or
  // (kind 1) the socket address; @sb[tid] the same for a second string argument. Packed: the string
  // probes' printf and str() leave room for a tuple of three on the stack, not five.
  const doubles = stringCalls.filter((call) => call.sockaddr === undefined && call.slots.length > 1);
  if (hasStrings || hasSockaddrs) {
    enterBody.push(`$ia = ${NO_SLOT}; $ib = ${NO_SLOT}; $kind = 0;`);
    for (const call of stringCalls) {
      const assign =
        call.sockaddr !== undefined ? `$ia = ${call.sockaddr}; $kind = 1;` : call.slots.slice(0, MAX_STRINGS).map((index, n) => `$i${'ab'[n]} = ${index};`).join(' ');
      enterBody.push(`if ($id == ${call.nr}) { ${assign} }`);
    }
    for (const slot of doubles.length > 0 ? ['a', 'b'] : ['a']) {
      enterBody.push(`$p${slot} = (uint64)0; ${[0, 1, 2, 3, 4, 5].map((i) => `if ($i${slot} == ${i}) { $p${slot} = $r${i}; }`).join(' ')}`);
    }
    enterBody.push(`if ($ia != ${NO_SLOT}) { @sp[tid] = ($t, $pa, ($id << 4) | ($ia << 1) | $kind); }`);
    if (doubles.length > 0) enterBody.push(`if ($ib != ${NO_SLOT}) { @sb[tid] = ($t, $pb, ($id << 4) | ($ib << 1)); }`);
  }
  probe(`tracepoint:raw_syscalls:sys_enter /${enterGate}/`, ['$id = args->id;', ...(selection ? [selection, 'if (!$sel) { return; }'] : []), ...enterBody]);

  // Exit, first the strings and socket addresses (see the header: they must precede their call). One
  // raw_syscalls probe for the first string (every probe on raw_syscalls costs every syscall of the
  // system, bpftrace's own included); the rare second string on the per-syscall exit tracepoints of the
  // calls that have one (each tracepoint adds ~20 ms to attaching and detaching, so not for all). A str()
  // takes STRLEN bytes of the 512-byte BPF stack. An AF_UNIX address is a path, printed as a string.
  const failureGate = `$ret = args->ret; if (!(${isError('$ret')})) { return; }`;
  const gate = onlyFailures ? [failureGate] : [];
  // Its own entry's pointers (the exit's number is -1 after a signal handler ran: then trust the entry).
  const ownEntry = 'if ($q.0 == 0) { return; } if (args->id != -1) { if (($q.2 >> 4) != args->id) { return; } }';
  if (hasSockaddrs) {
    // An internet address: its words. Its own probe: with a string's printf it would not fit the stack.
    probe('tracepoint:raw_syscalls:sys_exit', [
      ...gate,
      '$q = @sp[tid];',
      'if (($q.2 & 1) != 1) { return; }',
      ownEntry,
      '$a = $q.1; $f = (uint64)*(uint16*)uptr($a); if ($f == 1) { return; }',
      'delete(@sp[tid]);',
      '$w1 = (uint64)*(uint16*)uptr($a + 2); $w2 = (uint64)*(uint32*)uptr($a + 4); $w3 = (uint64)0; $w4 = (uint64)0; $w5 = (uint64)0;',
      'if ($f == 10) { $w3 = *(uint64*)uptr($a + 8); $w4 = *(uint64*)uptr($a + 16); $w5 = (uint64)*(uint32*)uptr($a + 24); }',
      'printf("A %d %llu %lld %lld %lld %lld %lld %lld\\n", tid, $q.0, $f, $w1, $w2, $w3, $w4, $w5);',
    ]);
  }
  if (hasStrings || hasSockaddrs) {
    probe('tracepoint:raw_syscalls:sys_exit', [
      ...gate,
      '$q = @sp[tid];',
      ownEntry,
      'delete(@sp[tid]);',
      // An AF_UNIX address (left by the probe above): the path after sun_family (kind 1: 2 bytes on).
      `printf("S %d %llu %s\\n", tid, $q.0, str(uptr($q.1${hasSockaddrs ? ' + (($q.2 & 1) << 1)' : ''})));`,
    ]);
  }
  if (doubles.length > 0) {
    probe(doubles.map((call) => `tracepoint:syscalls:sys_exit_${call.tracepoint}`).join(',\n'), [
      ...gate,
      '$q = @sb[tid];',
      'if ($q.0 == 0) { return; } if (($q.2 >> 4) != args->__syscall_nr) { return; }',
      'delete(@sb[tid]);',
      'printf("T %d %llu %s\\n", tid, $q.0, str(uptr($q.1)));',
    ]);
  }
  // Exit: the call itself.
  const callArgs = (tuple: string, from: number): string[] => [0, 1, 2, 3, 4, 5].map((i) => `${tuple}.${i + from}`);
  if (events) {
    probe('tracepoint:raw_syscalls:sys_exit', [
      '$ret = args->ret;',
      // --errors-only: tested first (after the lookup, the stack would overflow).
      ...(plan.errorsOnly ? [`if (!(${isError('$ret')})) { delete(@start[tid]); return; }`] : []),
      '$s = @start[tid];',
      'if ($s.0 == 0) { return; }',
      'delete(@start[tid]);',
      // The number from entry: at exit it reads -1 when a signal handler ran (strace reports the entry's too).
      emitCall(['tid', '$s.0', '$s.1', '$ret', 'nsecs - $s.0', ...callArgs('$s', 2)]),
    ]);
  } else {
    // One probe, so a printed failing call has exactly the latency the stats counted.
    probe('tracepoint:raw_syscalls:sys_exit', [
      '$s = @start[tid];',
      'if ($s.0 == 0) { return; }',
      'delete(@start[tid]);',
      `$lat = nsecs - $s.0; $id = $s.1; ${countStats('$id', '$lat')}`,
      failureGate,
      '@er[$id, -$ret] = count();',
      '$a = @sargs[tid];',
      'if ($a.0 != $s.0) { return; }',
      'delete(@sargs[tid]);',
      emitCall(['tid', '$s.0', '$id', '$ret', '$lat', ...callArgs('$a', 2)]),
    ]);
  }

  // A task that dies inside a call (killed, or a thread torn down by exit_group) made a call that never returned.
  const unreturned = events ? (plan.errorsOnly ? '' : emitCall(['tid', '$s.0', '$s.1', '0', '-1', ...callArgs('$s', 2)])) : countStats('$s.1', '0');
  probe(`tracepoint:sched:sched_process_exit /${traced}/`, [
    `${hasStrings || hasSockaddrs ? 'delete(@sp[tid]); ' : ''}${doubles.length > 0 ? 'delete(@sb[tid]); ' : ''}${events ? '' : 'delete(@sargs[tid]); '}$s = @start[tid];`,
    `if ($s.0 != 0) { delete(@start[tid]); ${unreturned} }`,
    `if (args->group_dead) {${tracedMap ? ' delete(@traced[pid]);' : ''}${plan.pids.length > 0 ? ` if (${orList(plan.pids.map((pid) => `pid == ${pid}`))}) { printf("X %d\\n", pid); }` : ''} }`,
  ]);

  // A full stage, printed after the probes that fill it (attached later, so run later). Two probes: one
  // block on both tracepoints is attached to one only by bpftrace 0.17.
  for (const tracepoint of ['raw_syscalls:sys_exit', 'sched:sched_process_exit']) {
    probe(`tracepoint:${tracepoint} /@sn[cpu] >= ${CALLS_PER_RECORD}/`, ['$sc = cpu;', flushStage]);
  }
  // Every busy CPU: what its stage holds, then how many calls it counted so far, and when. (An idle CPU
  // does not tick: its stage is printed as it goes idle.)
  probe(`profile:hz:${TICK_HZ}`, ['$sc = cpu;', `if (@sn[$sc] > 0) { ${flushStage} }`, 'printf("P %d %lld %llu\\n", $sc, @cum[$sc], nsecs);']);
  probe('tracepoint:sched:sched_switch /args->next_pid == 0 && @sn[cpu] > 0/', ['$sc = cpu;', flushStage]);
  const snapshot = statsMaps.map((m) => `print(@${m});`).join(' ');
  if (!events) probe(`interval:ms:${Math.max(1, Math.round(plan.intervalMs))}`, [snapshot, 'printf("M\\n");']);

  const scratch = [...(tracedMap ? ['traced'] : []), 'start', ...(events ? [] : ['sargs']), ...(hasStrings || hasSockaddrs ? ['sp'] : []), ...(doubles.length > 0 ? ['sb'] : []), 'sg', 'sn', 'cum', 'acked', 'stop', 'over'];
  const clearAll = [...scratch, ...(events ? [] : statsMaps)].map((m) => `clear(@${m});`);
  // END: the final stats, what the stages still hold and each CPU's count (stracectl stopped the stages
  // first, so nothing writes them any more), then it empties the maps (so bpftrace prints nothing more).
  probe('END', [...(events ? [] : [snapshot, 'printf("M\\n");']), 'print(@sn); print(@sg); print(@cum);', 'printf("Q\\n");', ...clearAll]);
  return out.join('\n') + '\n';
}
