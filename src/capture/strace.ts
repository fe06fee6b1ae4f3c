/**
 * The strace (ptrace) capture backend: runs the real `strace`, reads its
 * trace live from a dedicated FIFO, parses it into SyscallEvents.
 *
 * Child-process rules (after execa's written-down termination rules):
 * - strace's trace never mixes with the program's output: `-o FIFO`.
 * - The traced program's stdin is ours; its stdout goes where
 *   `programOutput` says; its stderr is strace's stderr, which we read to
 *   pick out strace's own `strace: …` lines and pass the rest on unchanged.
 * - Stop (SIGINT/SIGTERM): with `-p`, strace is told to detach (the targets
 *   keep running) and the capture exits 0; a second stop kills strace (the
 *   kernel then detaches). With a command, the signal goes to the command
 *   (strace blocks it for itself, `-I3`), unless a terminal already sent it
 *   to the whole foreground group; the capture ends when the command does.
 * - The reader going away (EPIPE downstream): `-p` detaches; with a command,
 *   strace is killed and the command runs on untraced, as after `strace | head`.
 * - Everything strace wrote before it exited is read and emitted before the
 *   stream completes; the exit status settles after that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Observable, Subscription } from 'rxjs';
import { StracectlError, diagnostic } from '../errors.js';
import { isSyscallEvent, type TraceRecord } from '../event.js';
import { linesFromStream } from '../io.js';
import { normalize } from '../operators/normalize.js';
import { parseStrace } from '../operators/parseStrace.js';
import { childrenOf, commOf, findExecutable, processExists, ptraceObstacles, tracerOf } from './proc.js';
import { buildStraceArgs } from './straceArgs.js';
import { StraceStderrSplitter, classifyStraceMessage, type StraceMessage } from './straceMessages.js';
import { TraceFifo } from './traceFifo.js';
import { singleSubscription, type Availability, type CaptureBackend, type CaptureOptions, type CaptureSession } from './types.js';

export const straceBackend: CaptureBackend = {
  name: 'strace',
  async available(): Promise<Availability> {
    return findExecutable('strace').path !== undefined
      ? { ok: true }
      : { ok: false, reason: 'strace is not installed (not found on PATH)' };
  },
  start: startStraceCapture,
};

/** How long strace's stderr may stay open after strace exited (a program's orphan can hold it). */
const STDERR_GRACE_MS = 200;

interface Outcome {
  status: number;
  error?: StracectlError;
}

function defaultLog(message: string): void {
  process.stderr.write(diagnostic('capture', message) + '\n');
}

/** Checks what can be checked before strace runs, so common mistakes get precise errors. */
function preflight(options: CaptureOptions): string {
  const hasCommand = options.command !== undefined && options.command.length > 0;
  if (hasCommand === options.pids.length > 0) {
    throw new StracectlError('USAGE', 'give either -p PID or a command after --, not both and not neither');
  }
  const strace = findExecutable('strace').path;
  if (strace === undefined) throw new StracectlError('STRACE_MISSING', 'strace is not installed (not found on PATH)');
  if (hasCommand) {
    const name = options.command![0]!;
    const found = findExecutable(name);
    if (found.problem === 'not-found') throw new StracectlError('COMMAND_NOT_FOUND', `command not found: ${name}`, { hint: 'check the spelling and PATH' });
    if (found.problem === 'not-executable') throw new StracectlError('COMMAND_NOT_FOUND', `cannot execute ${name}: permission denied`, { exit: 126, hint: 'is it executable (chmod +x) and not a directory?' });
  } else {
    for (const pid of options.pids) {
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new StracectlError('USAGE', `invalid pid ${pid}`);
      // strace stopping the process that reads its output would hang both.
      if (pid === process.pid) throw new StracectlError('USAGE', `pid ${pid} is stracectl itself`);
      if (!processExists(pid)) throw new StracectlError('NO_SUCH_PROCESS', `no process with pid ${pid}`, { hint: 'check the pid with `ps -p PID` or `pgrep NAME`' });
      const tracer = tracerOf(pid);
      if (tracer !== undefined) {
        throw new StracectlError('PTRACE_DENIED', `cannot trace pid ${pid}: it is already being traced by pid ${tracer} (${commOf(tracer) ?? '?'})`, {
          hint: 'a process can have only one tracer: stop the other strace/gdb first',
        });
      }
    }
  }
  return strace;
}

/** Where the traced program's stdout (and non-strace stderr) go. */
class ProgramOutput {
  readonly stdio: 'ignore' | number;
  private readonly fd: number | undefined;

  constructor(private readonly target: CaptureOptions['programOutput']) {
    if (target === 'null') this.stdio = 'ignore';
    else if (target === 'stderr') this.stdio = 2;
    else {
      try {
        this.fd = openSync(target.file, 'w');
      } catch (error) {
        throw new StracectlError('OUTPUT_FAILED', `cannot write --program-output ${target.file}: ${(error as Error).message}`);
      }
      this.stdio = this.fd;
    }
  }

  write(bytes: Buffer): void {
    try {
      if (this.target === 'stderr') process.stderr.write(bytes);
      else if (this.fd !== undefined) writeSync(this.fd, bytes);
    } catch {
      // Our stderr or the file went away: the program's output is not worth dying for.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

export async function startStraceCapture(options: CaptureOptions): Promise<CaptureSession> {
  const stracePath = preflight(options);
  const output = options.command !== undefined ? new ProgramOutput(options.programOutput) : undefined;
  let fifo: TraceFifo;
  try {
    fifo = new TraceFifo();
  } catch (error) {
    output?.close();
    throw new StracectlError('TRACER_FAILED', `cannot create the trace channel: ${(error as Error).message}`);
  }
  let args: string[];
  try {
    args = buildStraceArgs(options, fifo.path);
  } catch (error) {
    fifo.dispose();
    output?.close();
    throw new StracectlError('USAGE', (error as Error).message);
  }
  const child = spawn(stracePath, args, {
    argv0: 'strace', // its messages then start with exactly "strace: "
    stdio: options.command !== undefined ? ['inherit', output!.stdio, 'pipe'] : ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    fifo.dispose();
    output?.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StracectlError('STRACE_MISSING', 'strace is not installed (not found on PATH)');
    throw new StracectlError('TRACER_FAILED', `cannot run strace: ${(error as Error).message}`);
  }
  const session = new StraceSession(options, child, fifo, output);
  // Without -f the trace has no pid prefixes: learn the command's pid (strace's only child).
  if (options.command !== undefined && !options.follow) await session.waitForTracee();
  return session;
}

class StraceSession implements CaptureSession {
  readonly backend = 'strace' as const;
  readonly records$: Observable<TraceRecord>;
  readonly exitStatus: Promise<number>;

  private readonly log: (message: string) => void;
  private readonly attachMode: boolean;
  private readonly failures: StraceMessage[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly outcome: Promise<Outcome>;
  private stopping = false;
  private abandoned = false;
  private traceePid: number | undefined;
  private firstEventPid: number | undefined;

  constructor(
    private readonly options: CaptureOptions,
    private readonly child: ChildProcess,
    private readonly fifo: TraceFifo,
    output: ProgramOutput | undefined,
  ) {
    this.log = options.log ?? defaultLog;
    this.attachMode = options.command === undefined;
    const stderr = child.stderr!;
    const splitter = new StraceStderrSplitter(
      (bytes) => (output ? output.write(bytes) : process.stderr.write(bytes)),
      (line) => this.onStraceLine(line),
    );
    stderr.on('data', (chunk: Buffer) => splitter.push(chunk));
    const stderrEnded = new Promise<void>((resolve) => {
      stderr.once('end', resolve);
      stderr.once('error', () => resolve());
      stderr.once('close', resolve);
    });

    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    this.outcome = this.exited.then(async (exit) => {
      // strace was the only writer besides us: from now on EOF means the whole trace was read.
      fifo.releaseWriter();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stderrEnded, new Promise((resolve) => (timer = setTimeout(resolve, STDERR_GRACE_MS)))]);
      clearTimeout(timer);
      splitter.end();
      stderr.destroy();
      output?.close();
      fifo.remove();
      return this.judge(exit.code, exit.signal);
    });
    this.exitStatus = this.outcome.then((outcome) => (outcome.error ? Promise.reject(outcome.error) : outcome.status));
    this.exitStatus.catch(() => undefined); // reported through records$ as well; never unhandled

    this.records$ = singleSubscription<TraceRecord>((subscriber) => {
      let finished = false;
      let invalid = 0;
      const lines$ = linesFromStream(fifo.reader, {
        name: 'strace output',
        flow: options.flow,
        onOversizedLine: (location, length) => this.log(`${location}: line too long (${length} characters), skipped`),
      });
      const single = this.attachMode ? (options.pids.length === 1 ? options.pids[0] : undefined) : this.traceePid;
      const parsed$ = lines$.pipe(
        parseStrace({
          pid: single,
          pidLookahead: 0, // never hold events back: with -f every line has its pid anyway
          onInvalidLine: (lineNumber, reason) => {
            if (invalid++ < 10) this.log(`strace output line ${lineNumber}: cannot parse (${reason}), skipped`);
          },
        }),
      );
      const records$ = options.normalize ? parsed$.pipe(normalize()) : parsed$;
      const inner: Subscription = records$.subscribe({
        next: (record) => {
          if (this.firstEventPid === undefined && isSyscallEvent(record)) this.firstEventPid = record.pid;
          subscriber.next(record);
        },
        error: (error) => {
          finished = true;
          subscriber.error(error);
        },
        complete: () => {
          if (invalid > 10) this.log(`${invalid} strace output lines could not be parsed`);
          void this.outcome.then((outcome) => {
            finished = true;
            if (outcome.error) subscriber.error(outcome.error);
            else subscriber.complete();
          });
        },
      });
      return () => {
        inner.unsubscribe();
        if (!finished) this.abandon();
      };
    });
  }

  /** Polls strace's children until the traced command shows up (a few ms after spawn). */
  async waitForTracee(): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (let attempt = 0; attempt < 1000 && !exited && this.child.pid !== undefined; attempt++) {
      const [pid] = childrenOf(this.child.pid);
      if (pid !== undefined) {
        this.traceePid = pid;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  stop(signal: NodeJS.Signals): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.attachMode) {
      // strace detaches from every target on SIGINT/SIGTERM; a second request forces it.
      this.child.kill(this.stopping ? 'SIGKILL' : signal);
      this.stopping = true;
      return;
    }
    if (signal === 'SIGINT' && sentByTerminal()) return; // the command got it from the tty already
    const pid = this.tracee();
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone: strace is about to report its exit.
    }
  }

  /** The command's pid: strace's one child while it lives. */
  private tracee(): number | undefined {
    if (this.child.pid !== undefined) {
      const [pid] = childrenOf(this.child.pid);
      if (pid !== undefined) this.traceePid = pid;
    }
    return this.traceePid ?? this.firstEventPid;
  }

  /** Nobody reads the records any more. */
  private abandon(): void {
    this.abandoned = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.attachMode) this.child.kill('SIGINT');
    else this.child.kill('SIGKILL');
    this.fifo.reader.destroy();
  }

  private onStraceLine(line: string): void {
    // After we stopped reading, strace's complaints about the closed FIFO are expected noise.
    if (this.abandoned) return;
    const message = classifyStraceMessage(line);
    switch (message.kind) {
      case 'info':
        return;
      case 'other':
        this.log(`strace: ${message.text}`);
        return;
      default:
        this.failures.push(message);
        // With several -p targets strace carries on with the others: say so now.
        if (this.attachMode && this.options.pids.length > 1) this.log(describeFailure(message).message);
    }
  }

  private judge(code: number | null, signal: NodeJS.Signals | null): Outcome {
    if (this.abandoned) return { status: 0 };
    const failure = this.failures[0];
    if (this.attachMode) {
      if (code === 0) return { status: 0 };
      if (this.stopping) return { status: 0 }; // strace exits 128+n after a clean detach on our signal
      if (failure !== undefined) return { status: 1, error: describeFailure(failure) };
      return { status: 1, error: new StracectlError('TRACER_FAILED', `strace ended unexpectedly (${signal ?? `exit status ${code}`})`) };
    }
    if (failure !== undefined && code !== 0) return { status: code ?? 1, error: describeFailure(failure) };
    if (signal !== null) return { status: 128 + (osConstants.signals[signal] ?? 0) };
    if (code === null) return { status: 1, error: new StracectlError('TRACER_FAILED', 'strace could not be run') };
    return { status: code };
  }
}

/** A strace failure message as a catalog error with the most useful hint. */
export function describeFailure(message: StraceMessage): StracectlError {
  switch (message.kind) {
    case 'no-such-process':
      return new StracectlError('NO_SUCH_PROCESS', `no process with pid ${message.pid} (it may have exited)`);
    case 'ptrace-denied': {
      const obstacles = ptraceObstacles(message.pid);
      const target = message.pid !== undefined ? `pid ${message.pid}` : 'the command';
      return new StracectlError('PTRACE_DENIED', `not permitted to trace ${target} (strace: ${message.text})`, obstacles.length > 0 ? { hint: `likely cause: ${obstacles.join('; ')}` } : {});
    }
    case 'command-not-found':
      return new StracectlError('COMMAND_NOT_FOUND', `command not found: ${message.command}`);
    case 'exec-failed':
      return new StracectlError('COMMAND_NOT_FOUND', `cannot execute the command (strace: ${message.text})`, { exit: message.exit });
    case 'invalid-syscall':
      return new StracectlError('USAGE', `unknown syscall name "${message.name}"`, { hint: 'see `stracectl explain --list` for the names stracectl knows' });
    default:
      return new StracectlError('TRACER_FAILED', `strace: ${message.text}`);
  }
}

/**
 * Did a terminal's Ctrl-C probably send this SIGINT? Then the whole
 * foreground process group — the traced command included — got it too, and
 * forwarding it would deliver it twice. True when we have a controlling
 * terminal and our group is its foreground group.
 */
function sentByTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "(comm) ": state ppid pgrp session tty_nr tpgid
    const pgrp = Number(fields[2]);
    const ttyNr = Number(fields[4]);
    const tpgid = Number(fields[5]);
    return ttyNr !== 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}
