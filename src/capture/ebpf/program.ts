/**
 * Generates the bpftrace program of a capture.
 *
 * How events leave the kernel. `printf` per event costs one perf-buffer
 * wakeup each, an IRQ-work interrupt on the traced CPU (measured ~45 µs per
 * event on our CI VM, where strace costs ~15 µs per call). So completed calls
 * are written into a BPF hash map instead (~1 µs), and the map is handed to
 * user space in generations:
 * - writers put each call into `@ev0` or `@ev1` (the parity of `@gen`) and
 *   count the attempt in `@n0` / `@n1`;
 * - every `flushMs` an interval probe flips `@gen`, prints the previous
 *   generation's maps, clears them and prints `F <gen>`;
 * - it flips only after stracectl acknowledged the previous `F` (it calls
 *   kill(ACK_BASE + generation, 0), seen by a probe), so a map is never
 *   written while bpftrace still prints or clears it;
 * - a full map refuses inserts: `@n` minus the entries printed is the exact
 *   number of events lost, reported as such.
 *
 * Strings (paths) are read at sys_exit from the argument pointers saved at
 * sys_enter: by then the kernel has faulted the pages in (bpf cannot), so a
 * path in a never-touched page is not lost. execve's are read at its
 * sys_enter (the old address space is gone at exit), through the per-syscall
 * tracepoint. Strings and socket addresses are copied by their own sys_exit
 * probe (BPF programs get 512 bytes of stack; one program doing it all does
 * not fit), keyed like the call (thread, entry time) so they pair up in user
 * space whatever order the probes ran in. The stack limit shapes much of the
 * code below (see the comments there); a test compiles every variant.
 *
 * Summary mode: per-syscall stats(), a log-linear histogram (histogram.ts)
 * and errno counts in maps, printed every `intervalMs` (cumulative); only
 * failing calls go through the generations.
 *
 * printf lines of the protocol: `R` ready, `F <gen> <time>` a generation was
 * printed (flipped at kernel time `time`), `W <gen>` still waiting for the
 * acknowledgement, `S` a stats snapshot (summary mode) was printed, `X <pid>`
 * a -p target exited, `Q` END ran. To stop, stracectl waits for the first `F`
 * flipped after the moment it decided to stop, does not acknowledge it (so
 * nothing is flipped again), then sends SIGINT: END only clears the maps.
 * (END's actions may be handled before earlier ones still queued on another
 * CPU's buffer, so END must not print generations.)
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
  /** stracectl's own pid: its kill(ACK_BASE + generation, 0) acknowledges a flush. */
  consumerPid: number;
  /** Syscall numbers to trace (or to leave out). */
  selection?: { mode: 'only' | 'except'; numbers: readonly number[] };
  /** Events mode: only failing calls. */
  errorsOnly: boolean;
  flushMs: number;
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

/** stracectl acknowledges generation g with kill(ACK_BASE + g, 0). */
export const ACK_BASE = 1_000_000_000;

/** Slot number for "argv had more elements than were read". */
export const ARGV_MORE_SLOT = 99;
const NO_SLOT = 9;
/** String arguments copied per call: two str() sites is what fits in one BPF program's stack. */
export const MAX_STRINGS = 2;

const orList = (terms: string[]): string => (terms.length === 0 ? '0' : terms.join(' || '));

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
  const perGen = ['ev', 'n', ...(hasStrings || hasSockaddrs ? ['sv'] : []), ...(hasSockaddrs ? ['sa'] : []), ...(execs.length > 0 ? ['xv'] : [])];
  // No min()/max() maps: two more map updates per call (~20% of summary mode's cost); the histogram
  // gives min and max within its resolution.
  const statsMaps = ['st', 'hi', 'er'];
  const out: string[] = [`// stracectl capture --backend ebpf (${plan.mode} mode): generated, do not edit`];
  const probe = (head: string, body: string[]): void => {
    out.push(`${head} {`, ...body.map((line) => `  ${line}`), '}');
  };

  // One call into the current generation: (id, ret, latency, flags, a0…a5); flags 1 = never returned.
  // The tuple is built once: a tuple literal per parity would take its stack space twice.
  const buildCall = (id: string, ret: string, lat: string, flags: string, args: string[]): string =>
    `$ev = ((int64)${id}, (int64)${ret}, (uint64)${lat}, (uint64)${flags}, ${args.map((a) => `(uint64)${a}`).join(', ')});`;
  const writeCall = (tupleKey: string): string => `$p = @gen % 2; if ($p == 0) { @ev0[${tupleKey}] = $ev; @n0 = count(); } else { @ev1[${tupleKey}] = $ev; @n1 = count(); }`;
  const emitCall = (tupleKey: string, id: string, ret: string, lat: string, flags: string, args: string[]): string =>
    `${buildCall(id, ret, lat, flags, args)} ${writeCall(tupleKey)}`;
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
  // kill(ACK_BASE + generation, 0) from stracectl acknowledges that generation (no such pid exists:
  // pid_max is at most 2^22, so the call does nothing). Only the current generation can be acknowledged.
  probe(`tracepoint:syscalls:sys_enter_kill /pid == ${plan.consumerPid} && args->sig == 0/`, [
    `$g = (int64)args->pid - ${ACK_BASE};`,
    'if ($g == @gen) { @acked = $g; }',
  ]);

  // execve's strings, read at entry into the generation current then; matched to the call in user space.
  const put = (map: string, key: string, value: string): string => `if ($p == 0) { @${map}0[${key}] = ${value}; } else { @${map}1[${key}] = ${value}; }`;
  for (const name of ['execve', 'execveat'] as const) {
    if (plan[name] === undefined) continue;
    const gate = launcher !== undefined ? `${traced} || ${key} == ${launcher}` : traced;
    const body = ['$t = nsecs; $p = @gen % 2; $a = args->argv;', put('xv', 'tid, $t, 0', 'str(uptr(args->filename))'), '$x = (uint64)0; if ($a != 0) { $x = (uint64)*uptr($a); }'];
    for (let i = 0; i < plan.argvMax; i++) {
      body.push(`if ($x != 0) { ${put('xv', `tid, $t, ${i + 1}`, 'str(uptr($x))')} $x = (uint64)*uptr($a + ${i + 1}); }`);
    }
    body.push(`if ($x != 0) { ${put('xv', `tid, $t, ${ARGV_MORE_SLOT}`, '""')} }`);
    probe(`tracepoint:syscalls:sys_enter_${name} /${gate}/`, body);
  }

  // Entry. Tracepoint fields are read once into variables: bpftrace copies a field to a new stack slot on every access.
  const selection = plan.selection
    ? `$sel = ${plan.selection.mode === 'only' ? 0 : 1}; ${plan.selection.numbers.map((nr) => `if ($id == ${nr}) { $sel = ${plan.selection!.mode === 'only' ? 1 : 0}; }`).join(' ')}`
    : undefined;
  const neverReturns = orList(plan.neverReturns.map((nr) => `$id == ${nr}`));
  const enterGate = launcher !== undefined && execs.length > 0 ? `${traced} || (${key} == ${launcher} && (${orList(execs.map((nr) => `args->id == ${nr}`))}))` : traced;
  const argRegs = [0, 1, 2, 3, 4, 5].map((i) => `$r${i}`);
  const onNeverReturn = events
    ? plan.errorsOnly
      ? ''
      : emitCall('tid, $t', '$id', '0', '0', '1', argRegs)
    : countStats('$id', '0');
  const enterBody = [
    '$t = nsecs;',
    `$r0 = args->args[0]; $r1 = args->args[1]; $r2 = args->args[2]; $r3 = args->args[3]; $r4 = args->args[4]; $r5 = args->args[5];`,
    `if (${neverReturns}) { ${onNeverReturn} return; }`,
    // Summary mode keeps time and arguments apart: its stats probe then fits in the BPF stack.
    events ? '@start[tid] = ($t, $id, $r0, $r1, $r2, $r3, $r4, $r5);' : '@start[tid] = ($t, $id); @sargs[tid] = ($t, $id, $r0, $r1, $r2, $r3, $r4, $r5);',
  ];
  // Pointers to strings and socket addresses, for the probes that copy them at exit. One `if` per
  // number: bpftrace gives every `||` its own stack slot, so long OR chains overflow the stack.
  // @sp[tid] = (entry time, pointer, argument index, syscall, kind): the first string, or (kind 1) the
  // socket address; @sb[tid] the same for a second string argument.
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
    enterBody.push(`if ($ia != ${NO_SLOT}) { @sp[tid] = ($t, $pa, $ia, $id, $kind); }`);
    if (doubles.length > 0) enterBody.push(`if ($ib != ${NO_SLOT}) { @sb[tid] = ($t, $pb, $ib, $id); }`);
  }
  probe(`tracepoint:raw_syscalls:sys_enter /${enterGate}/`, ['$id = args->id;', ...(selection ? [selection, 'if (!$sel) { return; }'] : []), ...enterBody]);

  // Exit: the call itself. Several small probes on sys_exit rather than one: each gets its own 512-byte
  // BPF stack, and each finds its data in its own map, so their order does not matter.
  const failureGate = `$ret = args->ret; if (!(${isError('$ret')})) { return; }`;
  if (events) {
    probe('tracepoint:raw_syscalls:sys_exit', [
      '$s = @start[tid];',
      'if ($s.0 == 0) { return; }',
      'delete(@start[tid]);',
      // The number from entry: at exit it reads -1 when a signal handler ran (strace reports the entry's too).
      '$lat = nsecs - $s.0; $id = $s.1; $ret = args->ret;',
      // Built before the --errors-only test: the other order overflows the stack (bpftrace 0.17 codegen).
      buildCall('$id', '$ret', '$lat', '0', [0, 1, 2, 3, 4, 5].map((i) => `$s.${i + 2}`)),
      ...(plan.errorsOnly ? [`if (!(${isError('$ret')})) { return; }`] : []),
      writeCall('tid, $s.0'),
    ]);
  } else {
    // One probe, so a streamed failing call has exactly the latency the stats counted.
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
      emitCall('tid, $s.0', '$id', '$ret', '$lat', '0', [0, 1, 2, 3, 4, 5].map((i) => `$a.${i + 2}`)),
    ]);
  }
  // Exit: strings and socket addresses. One raw_syscalls probe for the first string (every probe on
  // raw_syscalls costs every syscall of the system, bpftrace's own included); the rare second string
  // on the per-syscall exit tracepoints of the calls that have one (each tracepoint adds ~20 ms to
  // attaching and detaching, so not for all). A str() takes STRLEN bytes of the 512-byte BPF stack:
  // two str() sites per probe at most. An AF_UNIX address is a path, kept with the strings.
  const gate = onlyFailures ? [failureGate] : [];
  if (hasStrings || hasSockaddrs) {
    const sockaddr = hasSockaddrs
      ? [
          `if ($q.4 == 1) { $f = (uint64)*(uint16*)uptr($a); if ($f != 1) { $w1 = (uint64)*(uint16*)uptr($a + 2); $w2 = (uint64)*(uint32*)uptr($a + 4); $w3 = (uint64)0; $w4 = (uint64)0; $w5 = (uint64)0; if ($f == 10) { $w3 = *(uint64*)uptr($a + 8); $w4 = *(uint64*)uptr($a + 16); $w5 = (uint64)*(uint32*)uptr($a + 24); } $w = ($f, $w1, $w2, $w3, $w4, $w5); if (@gen % 2 == 0) { @sa0[tid, $q.0] = $w; } else { @sa1[tid, $q.0] = $w; } return; } $a = $a + 2; }`,
        ]
      : [];
    probe('tracepoint:raw_syscalls:sys_exit', [
      ...gate,
      '$q = @sp[tid];',
      // Its own entry's pointers (the exit's number is -1 after a signal handler ran: then trust the entry).
      '$x = args->id; if ($q.0 == 0) { return; } if ($x != -1) { if ($q.3 != $x) { return; } }',
      'delete(@sp[tid]);',
      '$a = $q.1;',
      ...sockaddr,
      'if (@gen % 2 == 0) { @sv0[tid, $q.0, $q.2] = str(uptr($a)); } else { @sv1[tid, $q.0, $q.2] = str(uptr($a)); }',
    ]);
  }
  if (doubles.length > 0) {
    probe(doubles.map((call) => `tracepoint:syscalls:sys_exit_${call.tracepoint}`).join(',\n'), [
      ...gate,
      '$q = @sb[tid];',
      'if ($q.0 == 0) { return; } if ($q.3 != args->__syscall_nr) { return; }',
      'delete(@sb[tid]);',
      'if (@gen % 2 == 0) { @sv0[tid, $q.0, $q.2] = str(uptr($q.1)); } else { @sv1[tid, $q.0, $q.2] = str(uptr($q.1)); }',
    ]);
  }

  // A task that dies inside a call (killed, or a thread torn down by exit_group) made a call that never returned.
  const unreturned = events
    ? plan.errorsOnly
      ? ''
      : emitCall('tid, $s.0', '$s.1', '0', '0', '1', [0, 1, 2, 3, 4, 5].map((i) => `$s.${i + 2}`))
    : countStats('$s.1', '0');
  probe(`tracepoint:sched:sched_process_exit /${traced}/`, [
    `${hasStrings || hasSockaddrs ? 'delete(@sp[tid]); ' : ''}${doubles.length > 0 ? 'delete(@sb[tid]); ' : ''}${events ? '' : 'delete(@sargs[tid]); '}$s = @start[tid];`,
    `if ($s.0 != 0) { delete(@start[tid]); ${unreturned} }`,
    `if (args->group_dead) {${tracedMap ? ' delete(@traced[pid]);' : ''}${plan.pids.length > 0 ? ` if (${orList(plan.pids.map((pid) => `pid == ${pid}`))}) { printf("X %d\\n", pid); }` : ''} }`,
  ]);

  const dump = (q: number): string => [...perGen.map((m) => `print(@${m}${q});`), ...perGen.map((m) => `clear(@${m}${q});`)].join(' ');
  probe(`interval:ms:${Math.max(1, Math.round(plan.flushMs))}`, [
    'if (@acked == @gen) {',
    '  @gen = @gen + 1;',
    `  if (@gen % 2 == 1) { ${dump(0)} } else { ${dump(1)} }`,
    '  printf("F %d %llu\\n", @gen, nsecs);',
    '} else {',
    '  printf("W %d\\n", @gen);',
    '}',
  ]);
  const snapshot = statsMaps.map((m) => `print(@${m});`).join(' ');
  if (!events) probe(`interval:ms:${Math.max(1, Math.round(plan.intervalMs))}`, [snapshot, 'printf("S\\n");']);

  const scratch = [...(tracedMap ? ['traced'] : []), 'start', ...(events ? [] : ['sargs']), ...(hasStrings || hasSockaddrs ? ['sp'] : []), ...(doubles.length > 0 ? ['sb'] : []), 'gen', 'acked'];
  const clearAll = [...scratch, ...perGen.flatMap((m) => [`${m}0`, `${m}1`]), ...(events ? [] : statsMaps)].map((m) => `clear(@${m});`);
  // END only reports the final stats and empties the maps (so bpftrace prints nothing more): the last calls
  // were already printed by a regular flush, which stracectl waits for before stopping bpftrace.
  probe('END', [...(events ? [] : [snapshot, 'printf("S\\n");']), 'printf("Q\\n");', ...clearAll]);
  return out.join('\n') + '\n';
}
