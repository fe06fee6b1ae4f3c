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
 *   kill(own pid, 0), seen by a probe), so a map is never written while
 *   bpftrace still prints or clears it;
 * - a full map refuses inserts: `@n` minus the entries printed is the exact
 *   number of events lost, reported as such.
 *
 * Strings (paths) are read at sys_exit from the saved argument pointers: by
 * then the kernel has faulted the pages in (bpf cannot), so a path in a
 * never-touched page is not lost. execve's are read at its sys_enter (the old
 * address space is gone at exit), through the per-syscall tracepoint.
 *
 * printf lines of the protocol: `R` ready, `F <gen>` a generation was printed,
 * `W <gen>` still waiting for the acknowledgement, `S` a stats snapshot
 * (summary mode) was printed, `X <pid>` a -p target exited, `Q` final flush done.
 */
import { bucketBpf } from './histogram.js';

export interface ProgramPlan {
  mode: 'events' | 'summary';
  /** `-p` targets. */
  pids: readonly number[];
  /** Command mode: the launcher process waiting to exec the command (traced from its execve on). */
  launcherPid?: number;
  /** Follow children (and all threads of a target); else only the given threads. */
  follow: boolean;
  /** stracectl's own pid: its kill(self, 0) acknowledges a flush. */
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
  /** Syscall number → indexes of its string arguments (at most three; execve excluded). */
  strings: ReadonlyMap<number, readonly number[]>;
  /** Syscall number → index of its input socket address. */
  sockaddrs: ReadonlyMap<number, number>;
  /** execve argv elements read. */
  argvMax: number;
}

/** Slot number for "argv had more elements than were read". */
export const ARGV_MORE_SLOT = 99;
const NO_SLOT = 9;

const orList = (terms: string[]): string => (terms.length === 0 ? '0' : terms.join(' || '));

export function buildProgram(plan: ProgramPlan): string {
  for (const pid of [...plan.pids, plan.launcherPid ?? 1, plan.consumerPid]) {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`invalid pid ${pid}`);
  }
  const key = plan.follow ? 'pid' : 'tid';
  const targets = plan.pids.map((pid) => `${key} == ${pid}`);
  const launcher = plan.launcherPid;
  // @traced holds followed children and the launcher once it exec'd; without either it is not needed.
  const tracedMap = plan.follow || launcher !== undefined;
  const traced = orList([...(tracedMap ? [`@traced[${key}]`] : []), ...targets]);
  const execs = [plan.execve, plan.execveat].filter((nr): nr is number => nr !== undefined);
  const events = plan.mode === 'events';
  const hasStrings = plan.strings.size > 0 || plan.sockaddrs.size > 0;
  const hasSockaddrs = plan.sockaddrs.size > 0;
  const perGen = ['ev', 'n', ...(hasStrings ? ['sv'] : []), ...(hasSockaddrs ? ['sa'] : []), ...(execs.length > 0 ? ['xv'] : [])];
  const statsMaps = ['st', 'mn', 'mx', 'hi', 'er'];
  const out: string[] = [`// stracectl capture --backend ebpf (${plan.mode} mode): generated, do not edit`];
  const probe = (head: string, body: string[]): void => {
    out.push(`${head} {`, ...body.map((line) => `  ${line}`), '}');
  };

  // One call into the current generation: (id, ret, latency, flags, a0…a5); flags 1 = never returned.
  const emit = (q: number, tupleKey: string, id: string, ret: string, lat: string, flags: string, args: string[]): string =>
    `@ev${q}[${tupleKey}] = ((int64)${id}, (int64)${ret}, (uint64)${lat}, (uint64)${flags}, ${args.map((a) => `(uint64)${a}`).join(', ')}); @n${q} = count();`;
  const byParity = (make: (q: number) => string): string => `$p = @gen % 2; if ($p == 0) { ${make(0)} } else { ${make(1)} }`;
  const countStats = (id: string, lat: string): string =>
    `@st[${id}] = stats((uint64)${lat}); @mn[${id}] = min((uint64)${lat}); @mx[${id}] = max((uint64)${lat}); ${bucketBpf(`(uint64)${lat}`)} @hi[${id}, $b] = count();`;
  const saved = (i: number): string => `$s.${i + 2}`;
  const savedArgs = [0, 1, 2, 3, 4, 5].map(saved);

  out.push('BEGIN { printf("R\\n"); }');
  if (plan.follow) {
    probe(`tracepoint:task:task_newtask /${orList(['@traced[pid]', ...plan.pids.map((pid) => `pid == ${pid}`)])}/`, [
      // A new process (not a thread: CLONE_THREAD is 0x10000) of a traced one is traced too.
      'if (!(args->clone_flags & 0x10000)) { @traced[args->pid] = 1; }',
    ]);
  }
  if (launcher !== undefined) probe(`tracepoint:sched:sched_process_exec /pid == ${launcher}/`, [`@traced[${launcher}] = 1;`]);

  probe(`tracepoint:syscalls:sys_enter_kill /pid == ${plan.consumerPid} && args->pid == ${plan.consumerPid} && args->sig == 0/`, ['@acked = @gen;']);

  // One string variable, reused: each str() would otherwise take its own STRLEN bytes of the 512-byte BPF stack.
  const put = (map: string, key: string): string => `if ($p == 0) { @${map}0[${key}] = $str; } else { @${map}1[${key}] = $str; }`;
  for (const name of ['execve', 'execveat'] as const) {
    if (plan[name] === undefined) continue;
    const gate = launcher !== undefined ? `${traced} || ${key} == ${launcher}` : traced;
    const body = ['$t = nsecs; $p = @gen % 2; $a = args->argv;', `$str = str(uptr(args->filename)); ${put('xv', 'tid, $t, 0')}`, '$x = (uint64)0; if ($a != 0) { $x = (uint64)*uptr($a); }'];
    for (let i = 0; i < plan.argvMax; i++) {
      body.push(`if ($x != 0) { $str = str(uptr($x)); ${put('xv', `tid, $t, ${i + 1}`)} $x = (uint64)*uptr($a + ${i + 1}); }`);
    }
    body.push(`if ($x != 0) { $str = ""; ${put('xv', `tid, $t, ${ARGV_MORE_SLOT}`)} }`);
    probe(`tracepoint:syscalls:sys_enter_${name} /${gate}/`, body);
  }

  const selected = plan.selection
    ? `${plan.selection.mode === 'except' ? '!' : ''}(${orList(plan.selection.numbers.map((nr) => `args->id == ${nr}`))})`
    : undefined;
  const neverReturns = orList(plan.neverReturns.map((nr) => `args->id == ${nr}`));
  const enterGate = launcher !== undefined && execs.length > 0 ? `${traced} || (${key} == ${launcher} && (${orList(execs.map((nr) => `args->id == ${nr}`))}))` : traced;
  const onNeverReturn = events
    ? plan.errorsOnly
      ? ''
      : `$t = nsecs; ${byParity((q) => emit(q, 'tid, $t', 'args->id', '0', '0', '1', [0, 1, 2, 3, 4, 5].map((i) => `args->args[${i}]`)))}`
    : countStats('args->id', '0');
  const enterBody = `if (${neverReturns}) { ${onNeverReturn} } else { @start[tid] = (nsecs, args->id, args->args[0], args->args[1], args->args[2], args->args[3], args->args[4], args->args[5]); }`;
  probe(`tracepoint:raw_syscalls:sys_enter /${enterGate}/`, [selected ? `if (${selected}) { ${enterBody} }` : enterBody]);

  // A task that dies inside a call (killed, or a thread torn down by exit_group) made a call that never returned.
  const unreturned = events
    ? plan.errorsOnly
      ? []
      : [byParity((q) => emit(q, 'tid, $s.0', '$s.1', '0', '0', '1', savedArgs))]
    : [countStats('$s.1', '0')];
  probe(`tracepoint:sched:sched_process_exit /${traced}/`, [
    '$s = @start[tid];',
    `if ($s.0 != 0) { delete(@start[tid]); ${unreturned.join(' ')} }`,
    `if (args->group_dead) {${tracedMap ? ' delete(@traced[pid]);' : ''}${plan.pids.length > 0 ? ` if (${orList(plan.pids.map((pid) => `pid == ${pid}`))}) { printf("X %d\\n", pid); }` : ''} }`,
  ]);

  // Strings and socket addresses of the finished call, into the same generation as the call.
  // Flat tests over plain variables: a long else-if chain over tuple fields costs BPF stack per branch.
  const stringSetup: string[] = [];
  if (hasStrings) {
    stringSetup.push(`$ia = ${NO_SLOT}; $ib = ${NO_SLOT}; $ic = ${NO_SLOT}; $ik = ${NO_SLOT};`);
    const patterns = new Map<string, number[]>();
    const group = (assign: string, nr: number): void => patterns.set(assign, [...(patterns.get(assign) ?? []), nr]);
    for (const [nr, indexes] of plan.strings) group(indexes.slice(0, 3).map((index, n) => `$i${'abc'[n]} = ${index};`).join(' '), nr);
    for (const [nr, index] of plan.sockaddrs) group(`$ik = ${index};`, nr);
    for (const [assign, numbers] of [...patterns].sort()) {
      stringSetup.push(`if (${orList(numbers.sort((x, y) => x - y).map((nr) => `args->id == ${nr}`))}) { ${assign} }`);
    }
    for (const slot of ['a', 'b', 'c', 'k']) {
      stringSetup.push(`$p${slot} = (uint64)0; ${[0, 1, 2, 3, 4, 5].map((i) => `if ($i${slot} == ${i}) { $p${slot} = $a${i}; }`).join(' ')}`);
    }
  }
  const copyStrings: string[] = [];
  if (hasStrings) {
    for (const slot of ['a', 'b', 'c']) copyStrings.push(`if ($i${slot} != ${NO_SLOT} && $p${slot} != 0) { $str = str(uptr($p${slot})); ${put('sv', `tid, $s.0, $i${slot}`)} }`);
  }
  if (hasSockaddrs) {
    const sa = (words: string): string => `if ($p == 0) { @sa0[tid, $s.0] = (${words}); } else { @sa1[tid, $s.0] = (${words}); }`;
    const head = '$f, (uint64)*(uint16*)uptr($pk + 2), (uint64)*(uint32*)uptr($pk + 4)';
    copyStrings.push(
      `if ($ik != ${NO_SLOT} && $pk != 0) { $f = (uint64)*(uint16*)uptr($pk); if ($f == 1) { $str = str(uptr($pk + 2)); ${put('sv', 'tid, $s.0, $ik')} } else if ($f == 10) { ${sa(`${head}, *(uint64*)uptr($pk + 8), *(uint64*)uptr($pk + 16), (uint64)*(uint32*)uptr($pk + 24)`)} } else { ${sa(`${head}, (uint64)0, (uint64)0, (uint64)0`)} } }`,
    );
  }
  const emitFinished = [
    '$a0 = $s.2; $a1 = $s.3; $a2 = $s.4; $a3 = $s.5; $a4 = $s.6; $a5 = $s.7;',
    ...stringSetup,
    byParity((q) => emit(q, 'tid, $s.0', 'args->id', 'args->ret', '$lat', '0', ['$a0', '$a1', '$a2', '$a3', '$a4', '$a5'])),
    ...copyStrings,
  ];
  const isError = 'args->ret < 0 && args->ret >= -4095';
  const exitBody = [
    '$s = @start[tid];',
    'if ($s.0 == 0) { return; }',
    'delete(@start[tid]);',
    '$lat = nsecs - $s.0;',
    ...(events ? [] : [countStats('args->id', '$lat')]),
    ...(events && !plan.errorsOnly ? [] : [`if (!(${isError})) { return; }`]),
    ...(events ? [] : ['@er[args->id, -args->ret] = count();']),
    ...emitFinished,
  ];
  probe('tracepoint:raw_syscalls:sys_exit', exitBody);

  const dump = (q: number): string => [...perGen.map((m) => `print(@${m}${q});`), ...perGen.map((m) => `clear(@${m}${q});`)].join(' ');
  probe(`interval:ms:${Math.max(1, Math.round(plan.flushMs))}`, [
    'if (@acked == @gen) {',
    '  @gen = @gen + 1;',
    `  if (@gen % 2 == 1) { ${dump(0)} } else { ${dump(1)} }`,
    '  printf("F %d\\n", @gen);',
    '} else {',
    '  printf("W %d\\n", @gen);',
    '}',
  ]);
  const snapshot = statsMaps.map((m) => `print(@${m});`).join(' ');
  if (!events) probe(`interval:ms:${Math.max(1, Math.round(plan.intervalMs))}`, [snapshot, 'printf("S\\n");']);

  const clearAll = [...(tracedMap ? ['traced'] : []), 'start', 'gen', 'acked', ...perGen.flatMap((m) => [`${m}0`, `${m}1`]), ...(events ? [] : statsMaps)].map((m) => `clear(@${m});`);
  probe('END', [
    `if (@gen % 2 == 0) { ${perGen.map((m) => `print(@${m}0);`).join(' ')} } else { ${perGen.map((m) => `print(@${m}1);`).join(' ')} }`,
    'printf("F %d\\n", @gen + 1);',
    ...(events ? [] : [snapshot, 'printf("S\\n");']),
    'printf("Q\\n");',
    ...clearAll,
  ]);
  return out.join('\n') + '\n';
}
