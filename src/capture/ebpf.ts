/**
 * The eBPF capture backend: a generated bpftrace program on the
 * raw_syscalls:sys_enter/sys_exit tracepoints (see ebpf/program.ts for how
 * calls leave the kernel cheaply), decoded into the same SyscallEvents as the
 * strace backend, or — with `summary` — per-syscall stats aggregated in the
 * kernel plus the failing calls.
 *
 * Child-process rules (as for strace, after execa's termination rules):
 * - A command is started by a launcher shell that blocks on a pipe until the
 *   probes are attached, then execs it: no early call is missed, and the
 *   launcher's own pre-exec calls are not traced (only its execve is).
 *   The command's stdin is ours, its stdout/stderr go where `programOutput`
 *   says; bpftrace's output never mixes with it.
 * - The capture ends when the command exits (then bpftrace gets SIGINT and
 *   runs END), or with -p when every target has exited,
 *   or on stop(): -p detaches (SIGINT to bpftrace; the targets are never
 *   touched), a command gets the signal forwarded.
 * - Lost events are counted exactly and reported: `{type: 'lost'}` records
 *   and a line on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants as osConstants, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Observable } from 'rxjs';
import { StracectlError, diagnostic, printable } from '../errors.js';
import type { TraceRecord } from '../event.js';
import { linesFromStream } from '../io.js';
import { BpftraceDecoder } from './ebpf/decoder.js';
import { checkEnvironment, type EbpfEnvironment, type EnvironmentCheck } from './ebpf/environment.js';
import { parseBpftraceLine } from './ebpf/output.js';
import { ACK_BASE, ACK_CPU_SHIFT, ACK_MASK, buildProgram, MAX_STRINGS, STOP_PID, type ProgramPlan, type StringCall } from './ebpf/program.js';
import { loadSignatures, syscallTable, tracepointName, type Signature, type SyscallTable } from './ebpf/syscalls.js';
import { findExecutable, onlineCpus, processExists } from './proc.js';
import { resolveSyscallSelection } from './selection.js';
import { singleSubscription, type Availability, type CaptureBackend, type CaptureOptions, type CaptureSession } from './types.js';

/** Bytes read per string in the kernel (BPFTRACE_STRLEN): the most that fits the BPF stack of our probes. */
export const KERNEL_STRLEN = 200;
/** Entries per BPF map: threads in a call at once, traced processes. */
export const MAP_ENTRIES = 65536;
/**
 * Perf buffer pages per CPU (a power of two): 4 MiB each, about 40k calls, up to 32 MiB in all. The
 * buffers absorb bursts and our own pauses (bpftrace blocks while its output pipe is full).
 */
export function perfBufferPages(cpus: number): number {
  const pages = Math.floor((32 * 1024 * 1024) / 4096 / Math.max(1, cpus));
  return Math.max(64, Math.min(1024, 2 ** Math.floor(Math.log2(pages))));
}
/** execve argv elements read. */
const ARGV_MAX = 8;
/** How long bpftrace may take to load and attach its probes. */
const START_TIMEOUT_MS = 60_000;
/** Calls read between two acknowledgements to the kernel (see program.ts, IN_FLIGHT_LIMIT). */
const ACK_EVERY = 4096;
/** Stopping: bpftrace is interrupted once no call arrived for this long (its buffers are read). */
const STOP_QUIET_MS = 100;
/** How long stopping may wait for the last calls, and bpftrace to exit after SIGINT; past this it is killed. */
const STOP_GRACE_MS = 10_000;

let cachedCheck: EnvironmentCheck | undefined;
function environment(): EnvironmentCheck {
  // A failed check is retried (the user may fix it); a good one is kept for the process.
  if (cachedCheck?.ok) return cachedCheck;
  cachedCheck = checkEnvironment();
  return cachedCheck;
}

export const ebpfBackend: CaptureBackend = {
  name: 'ebpf',
  async available(): Promise<Availability> {
    const check = environment();
    return check.ok ? { ok: true } : { ok: false, reason: check.reason };
  },
  start: startEbpfCapture,
};

function defaultLog(message: string): void {
  process.stderr.write(diagnostic('capture', message) + '\n');
}

/**
 * Calls whose second string is read too. Each costs a per-syscall tracepoint, ~70 ms more to attach
 * and detach, so only the two-path calls; for the others (mount, xattrs…) the second is an address.
 */
const TWO_PATH_CALLS = new Set(['rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat']);

/** What the program needs to know about each syscall: its string and socket-address arguments. */
export function planStringCalls(table: SyscallTable, signatures: ReadonlyMap<string, Signature>): StringCall[] {
  const calls: StringCall[] = [];
  for (const [name, signature] of signatures) {
    const nr = table.numberOf(name);
    if (nr === undefined || name === 'execve' || name === 'execveat') continue;
    const strings = signature.args.flatMap((spec, index) => (spec.kind === 'path' || spec.kind === 'string' ? [index] : []));
    const slots = strings.slice(0, TWO_PATH_CALLS.has(name) ? MAX_STRINGS : 1);
    const sockaddr = signature.args.findIndex((spec) => spec.kind === 'sockaddr');
    if (slots.length === 0 && sockaddr < 0) continue;
    calls.push({ nr, tracepoint: tracepointName(name), slots, ...(sockaddr >= 0 ? { sockaddr } : {}) });
  }
  return calls;
}

/** The syscall numbers of a --syscalls / --category selection, or undefined for all. */
function selectionNumbers(options: CaptureOptions, table: SyscallTable): ProgramPlan['selection'] {
  let selection;
  try {
    selection = resolveSyscallSelection({ syscalls: options.syscalls, categories: options.categories });
  } catch (error) {
    throw new StracectlError('USAGE', (error as Error).message);
  }
  if (selection === undefined) return undefined;
  const numbers: number[] = [];
  for (const { name, optional } of selection.names) {
    const nr = table.numberOf(name);
    if (nr !== undefined) numbers.push(nr);
    else if (!optional) throw new StracectlError('USAGE', `unknown syscall name "${name}" on ${table.arch}`, { hint: 'see `stracectl explain --list` for the names stracectl knows' });
  }
  return { mode: selection.mode, numbers: [...new Set(numbers)] };
}

/**
 * The launcher: a shell that blocks reading one line from fd 3, then execs
 * the command (fd 3 closed). bash can keep the command's own argv[0]
 * (`exec -a`), as strace does; POSIX sh execs it under its resolved path.
 */
export function launcherArgv(path: string, command: readonly string[], bash: string | null = findExecutable('bash').path ?? null): [string, string[]] {
  if (bash !== null) return [bash, ['-c', 'IFS= read -r _ <&3 || exit 125; exec -a "$0" "$@" 3<&-', command[0]!, path, ...command.slice(1)]];
  return ['/bin/sh', ['-c', 'IFS= read -r _ <&3 || exit 125; exec "$0" "$@" 3<&-', path, ...command.slice(1)]];
}

function programStdio(target: CaptureOptions['programOutput']): { stdio: 'ignore' | number; close: () => void } {
  if (target === 'null') return { stdio: 'ignore', close: () => undefined };
  if (target === 'stderr') return { stdio: 2, close: () => undefined };
  let fd: number;
  try {
    fd = openSync(target.file, 'w');
  } catch (error) {
    throw new StracectlError('OUTPUT_FAILED', `cannot write --program-output ${target.file}: ${(error as Error).message}`);
  }
  return { stdio: fd, close: () => closeSync(fd) };
}

/** Unix time minus CLOCK_MONOTONIC (what bpftrace's nsecs counts), in ns. */
function clockOffsetNs(): bigint {
  const monotonic = process.hrtime.bigint();
  const unix = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  return unix - monotonic;
}

/** bpftrace's stderr lines that are noise here: the memlock warning of kernels that account BPF memory by cgroup. */
function isNoise(line: string): boolean {
  return line.trim() === '' || line.includes("couldn't set RLIMIT_MEMLOCK") || line.startsWith('__BPFTRACE_NOTIFY_PROBES_ATTACHED');
}

/** A bpftrace failure before tracing started, as a catalog error. */
export function describeStartFailure(stderr: string): StracectlError {
  const lines = stderr.split('\n').filter((line) => !isNoise(line));
  const first = lines.find((line) => /ERROR|error/.test(line)) ?? lines[0] ?? 'bpftrace exited before attaching its probes';
  const text = printable(first.replace(/^.*?ERROR:\s*/, '').trim());
  if (/Operation not permitted|Permission denied|EPERM/.test(stderr)) {
    return new StracectlError('EBPF_UNAVAILABLE', `the kernel refused to load the eBPF program: ${text}`, { hint: 'run as root (or with CAP_BPF and CAP_PERFMON), check kernel.unprivileged_bpf_disabled and lockdown, or use --backend strace' });
  }
  if (/tracepoint not found|No such file or directory/.test(stderr)) {
    return new StracectlError('EBPF_UNAVAILABLE', `a tracepoint is missing in this kernel: ${text}`, { hint: 'use --backend strace' });
  }
  return new StracectlError('TRACER_FAILED', `bpftrace: ${text}`);
}

export async function startEbpfCapture(options: CaptureOptions): Promise<CaptureSession> {
  const log = options.log ?? defaultLog;
  const hasCommand = options.command !== undefined && options.command.length > 0;
  if (hasCommand === options.pids.length > 0) throw new StracectlError('USAGE', 'give either -p PID or a command after --, not both and not neither');
  const check = environment();
  if (!check.ok) throw new StracectlError(check.code, check.reason, check.hint !== undefined ? { hint: check.hint } : {});
  for (const note of check.notes.splice(0)) log(note);
  const env = check.env;

  let commandPath: string | undefined;
  if (hasCommand) {
    const name = options.command![0]!;
    const found = findExecutable(name);
    if (found.problem === 'not-found') throw new StracectlError('COMMAND_NOT_FOUND', `command not found: ${name}`, { hint: 'check the spelling and PATH' });
    if (found.problem === 'not-executable') throw new StracectlError('COMMAND_NOT_FOUND', `cannot execute ${name}: permission denied`, { exit: 126, hint: 'is it executable (chmod +x) and not a directory?' });
    commandPath = found.path;
  } else {
    for (const pid of options.pids) {
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new StracectlError('USAGE', `invalid pid ${pid}`);
      if (pid === process.pid) throw new StracectlError('USAGE', `pid ${pid} is stracectl itself`);
      if (!processExists(pid)) throw new StracectlError('NO_SUCH_PROCESS', `no process with pid ${pid}`, { hint: 'check the pid with `ps -p PID` or `pgrep NAME`' });
    }
  }

  const table = syscallTable(env.arch);
  const signatures = loadSignatures(table, env.tracefs);
  const selection = selectionNumbers(options, table);
  const output = hasCommand ? programStdio(options.programOutput) : undefined;

  // The launcher: waits for one line on fd 3 (sent once the probes are attached), then execs the command.
  let launcher: ChildProcess | undefined;
  if (hasCommand) {
    launcher = spawn(...launcherArgv(commandPath!, options.command!), {
      stdio: ['inherit', output!.stdio, output!.stdio, 'pipe'],
    });
    output!.close();
    await new Promise<void>((resolve, reject) => {
      launcher!.once('spawn', resolve);
      launcher!.once('error', reject);
    }).catch((error: Error) => {
      throw new StracectlError('COMMAND_NOT_FOUND', `cannot start the command: ${error.message}`);
    });
  }

  const mode = options.summary ? 'summary' : 'events';
  const program = buildProgram({
    mode,
    pids: options.pids,
    launcherPid: launcher?.pid,
    follow: options.follow,
    consumerPid: process.pid,
    selection,
    errorsOnly: options.errorsOnly === true,
    intervalMs: options.intervalMs ?? 1000,
    execve: table.numberOf('execve'),
    execveat: table.numberOf('execveat'),
    neverReturns: ['exit', 'exit_group'].map((name) => table.numberOf(name)).filter((nr): nr is number => nr !== undefined),
    // Calls left out by --syscalls/--category need no string probe (each probe costs every syscall of the system).
    stringCalls: planStringCalls(table, signatures).filter((call) => selection === undefined || selection.numbers.includes(call.nr) === (selection.mode === 'only')),
    argvMax: ARGV_MAX,
  });
  const tracer = spawn(env.bpftrace, ['--no-warnings', '-f', 'json', '-e', program], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BPFTRACE_STRLEN: String(KERNEL_STRLEN),
      BPFTRACE_MAP_KEYS_MAX: String(MAP_ENTRIES),
      // bpftrace opens one perf buffer per online CPU.
      BPFTRACE_PERF_RB_PAGES: String(perfBufferPages(onlineCpus()?.length ?? cpus().length)),
      // bpftrace prints this line on stderr once every probe is attached.
      __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1',
    },
  });
  const session = new EbpfSession(options, env, tracer, launcher, { table, signatures, log });
  try {
    await session.started;
  } catch (error) {
    launcher?.kill('SIGKILL');
    tracer.kill('SIGKILL');
    throw error;
  }
  session.release();
  return session;
}

interface SessionContext {
  table: SyscallTable;
  signatures: ReadonlyMap<string, Signature>;
  log: (message: string) => void;
}

class EbpfSession implements CaptureSession {
  readonly backend = 'ebpf' as const;
  readonly records$: Observable<TraceRecord>;
  readonly exitStatus: Promise<number>;
  /** Resolves when the probes are attached; rejects if bpftrace fails to start. */
  readonly started: Promise<void>;

  private stderrText = '';
  private attached = false;
  private stopping = false;
  private abandoned = false;
  private done = false;
  private commandStatus: number | undefined;
  private readonly liveTargets: Set<number>;
  private readonly tracerExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private killTimer: NodeJS.Timeout | undefined;
  private onAbandoned: () => void = () => undefined;
  private readonly abandonedSignal = new Promise<void>((resolve) => (this.onAbandoned = resolve));
  private stopRequested = false;
  private lostReported = false;
  private readonly decoder: BpftraceDecoder;

  constructor(
    private readonly options: CaptureOptions,
    env: EbpfEnvironment,
    private readonly tracer: ChildProcess,
    private readonly launcher: ChildProcess | undefined,
    private readonly context: SessionContext,
  ) {
    this.liveTargets = new Set(options.pids);
    let onReady: () => void = () => undefined;
    let onFail: (error: Error) => void = () => undefined;
    this.started = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    const startTimer = setTimeout(() => onFail(new StracectlError('TRACER_FAILED', `bpftrace did not attach its probes within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const ready = (): void => {
      if (this.attached) return;
      this.attached = true;
      clearTimeout(startTimer);
      onReady();
    };

    tracer.stderr!.setEncoding('utf8');
    let pending = '';
    tracer.stderr!.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('__BPFTRACE_NOTIFY_PROBES_ATTACHED')) ready();
        else if (!isNoise(line)) {
          if (this.stderrText.length < 64 * 1024) this.stderrText += line + '\n';
          if (this.attached && !this.abandoned) context.log(`bpftrace: ${printable(line)}`);
        }
      }
    });

    this.tracerExited = new Promise((resolve) => {
      tracer.once('exit', (code, signal) => resolve({ code, signal }));
      tracer.once('error', (error) => {
        onFail(new StracectlError('TRACER_FAILED', `cannot run bpftrace: ${error.message}`));
        resolve({ code: null, signal: null });
      });
    });
    void this.tracerExited.then(() => {
      clearTimeout(startTimer);
      clearTimeout(this.killTimer);
      clearTimeout(this.settleTimer);
      if (!this.attached) onFail(describeStartFailure(this.stderrText));
    });

    const commandExited = launcher
      ? new Promise<number>((resolve) => {
          launcher.once('exit', (code, signal) => {
            this.commandStatus = signal !== null ? 128 + (osConstants.signals[signal] ?? 0) : (code ?? 1);
            this.finish();
            resolve(this.commandStatus);
          });
        })
      : undefined;

    this.decoder = new BpftraceDecoder(
      {
        table: context.table,
        signatures: context.signatures,
        arch: env.arch,
        stringLimit: options.stringLimit,
        normalize: options.normalize,
        clockOffsetNs: clockOffsetNs(),
        strlen: KERNEL_STRLEN,
      },
      {
        record: (record) => this.emit?.(record),
        progress: (cpu, counted, tick) => this.acknowledge(cpu, counted, tick !== undefined),
        ready,
        targetExited: (pid) => {
          this.liveTargets.delete(pid);
          if (!launcher && this.liveTargets.size === 0) this.finish();
        },
        done: () => {
          this.done = true;
        },
      },
    );

    this.exitStatus = this.tracerExited.then(async (exit) => {
      // After our reader went away the command runs on untraced: its end is not waited for.
      const status = commandExited ? await Promise.race([commandExited, this.abandonedSignal.then(() => 0)]) : 0;
      if (!this.attached) return Promise.reject(describeStartFailure(this.stderrText));
      // After our SIGINT it may exit before we read its last line (Q): that is the end we asked for.
      if (!this.done && !this.stopping && !this.stopRequested && !this.abandoned) {
        throw new StracectlError('TRACER_FAILED', `bpftrace ended unexpectedly (${exit.signal ?? `exit status ${exit.code}`})${this.stderrText ? `: ${printable(this.stderrText.trim().split('\n')[0]!)}` : ''}`);
      }
      return status;
    });
    this.exitStatus.catch(() => undefined);

    this.records$ = singleSubscription<TraceRecord>((subscriber) => {
      let finished = false;
      this.emit = (record) => {
        if (record.type === 'lost') this.reportLost(record.count as number);
        subscriber.next(record);
      };
      const inner = linesFromStream(tracer.stdout!, {
        name: 'bpftrace output',
        flow: options.flow,
        // Summary mode prints each stats map on one line (a histogram: syscalls x buckets entries).
        maxLineBytes: 64 * 1024 * 1024,
        onOversizedLine: (location, length) => context.log(`${location}: line of ${length} bytes skipped`),
      }).subscribe({
        next: (line) => {
          let message;
          try {
            message = parseBpftraceLine(line);
          } catch (error) {
            context.log(`cannot read bpftrace output: ${(error as Error).message}`);
            return;
          }
          if (message) this.decoder.push(message);
        },
        error: (error) => {
          finished = true;
          subscriber.error(error);
        },
        complete: () => {
          this.decoder.end();
          void this.exitStatus.then(
            () => {
              finished = true;
              if (this.decoder.lost > 0) context.log(`${this.decoder.lost} of ${this.decoder.lost + this.decoder.delivered} events were lost in total`);
              else if (this.decoder.droppedRecords > 0) context.log(`${this.decoder.droppedRecords} records of bpftrace output were dropped: some strings or arguments may be missing`);
              subscriber.complete();
            },
            (error) => {
              finished = true;
              subscriber.error(error);
            },
          );
        },
      });
      return () => {
        inner.unsubscribe();
        if (!finished) this.abandon();
      };
    });
  }

  private emit: ((record: TraceRecord) => void) | undefined;

  /** Opens the launcher's gate (the probes are attached) and checks the -p targets are still there. */
  release(): void {
    if (this.launcher) {
      const gate = this.launcher.stdio[3] as (NodeJS.WritableStream & NodeJS.EventEmitter) | null;
      // The launcher may be gone already (killed): its exit is reported, not a write error.
      gate?.on('error', () => undefined);
      gate?.write('\n');
      gate?.end();
    }
    for (const pid of [...this.liveTargets]) if (!processExists(pid)) this.liveTargets.delete(pid);
    if (!this.launcher && this.liveTargets.size === 0) this.finish();
  }

  /**
   * We read what a CPU printed up to `counted`: tell its probes (it may print on, we keep up), at each
   * tick and every ACK_EVERY calls (a syscall each; busy CPUs tick, but an idle-most-of-the-time one,
   * like a paced program's, rarely does).
   */
  private acknowledge(cpu: number, counted: number, tick: boolean): void {
    const last = this.acknowledged.get(cpu) ?? 0;
    if (!tick && counted - last < ACK_EVERY) return;
    this.acknowledged.set(cpu, counted);
    signalProbe(ACK_BASE + cpu * 2 ** ACK_CPU_SHIFT + (counted & ACK_MASK));
  }
  private readonly acknowledged = new Map<number, number>();

  /**
   * Stop tracing as of now: the program takes no call after this kill(STOP_PID, 0). SIGINT follows once
   * the calls already printed have been read (bpftrace drops what is still in its perf buffers when it
   * exits): when nothing new arrived for STOP_QUIET_MS. END then prints what is still staged and each
   * CPU's count, so anything missing is reported as lost, never silently.
   */
  private finish(): void {
    if (this.stopRequested || this.tracer.exitCode !== null || this.tracer.signalCode !== null) return;
    this.stopRequested = true;
    signalProbe(STOP_PID);
    const deadline = Date.now() + STOP_GRACE_MS;
    let seen = -1;
    const settle = (): void => {
      const now = this.decoder.delivered + this.decoder.lost;
      if (now === seen || Date.now() > deadline) return this.interruptTracer();
      seen = now;
      this.settleTimer = setTimeout(settle, STOP_QUIET_MS);
    };
    settle();
  }
  private settleTimer: NodeJS.Timeout | undefined;

  private reportLost(count: number): void {
    if (!this.lostReported) {
      this.lostReported = true;
      this.context.log(`${count} events lost: the traced program made calls faster than bpftrace could read them (counted in {"type":"lost"} records; --summary aggregates in the kernel instead)`);
    }
  }

  /** SIGINT: bpftrace runs END (the last stats) and exits; killed if it does not. */
  private interruptTracer(): void {
    if (this.tracer.exitCode !== null || this.tracer.signalCode !== null || this.killTimer !== undefined) return;
    this.tracer.kill('SIGINT');
    this.killTimer = setTimeout(() => {
      this.context.log('bpftrace did not exit after SIGINT; killing it');
      this.tracer.kill('SIGKILL');
    }, STOP_GRACE_MS);
  }

  stop(signal: NodeJS.Signals): void {
    if (this.tracer.exitCode !== null || this.tracer.signalCode !== null) return;
    if (!this.launcher) {
      // Detach: the targets never notice. A second request does not wait for the last calls.
      if (this.stopping) this.tracer.kill('SIGKILL');
      this.stopping = true;
      this.finish();
      return;
    }
    if (signal === 'SIGINT' && sentByTerminal()) return; // the command got it from the tty already
    if (this.launcher.pid === undefined || this.launcher.exitCode !== null || this.launcher.signalCode !== null) return;
    try {
      process.kill(this.launcher.pid, signal);
    } catch {
      // Already gone: its exit ends the capture.
    }
  }

  /** Nobody reads the records any more: detach (a command runs on untraced). */
  private abandon(): void {
    this.abandoned = true;
    this.onAbandoned();
    // The command is not waited for: it carries on, untraced, as after `strace … | head`.
    this.launcher?.unref();
    if (this.tracer.exitCode !== null || this.tracer.signalCode !== null) return;
    if (this.launcher) this.tracer.kill('SIGKILL');
    else this.interruptTracer();
  }
}

/** Did a terminal's Ctrl-C send this SIGINT (to the command too)? Our group is the tty's foreground group. */
function sentByTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[4]) !== 0 && Number(fields[5]) === Number(fields[2]);
  } catch {
    return false;
  }
}

/** kill(pid, 0) for a pid that cannot exist (> pid_max): it does nothing but reach the program's probe. */
function signalProbe(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH, as intended.
  }
}
