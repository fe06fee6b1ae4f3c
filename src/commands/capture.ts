import { Flags } from '@oclif/core';
import { from, mergeMap } from 'rxjs';
import { BaseCommand } from '../command.js';
import { CATEGORIES, type Category } from '../event.js';
import { runPipeline } from '../io.js';
import { startCapture } from '../capture/index.js';
import { DEFAULT_STRING_LIMIT } from '../capture/straceArgs.js';
import { parsedRecordToJson } from '../strace/json.js';
import type { BackendChoice, CaptureOptions, CaptureSession } from '../capture/types.js';

export default class Capture extends BaseCommand {
  static summary = 'Trace a command or running processes and stream their syscalls as NDJSON events.';
  static description = [
    'Starts CMD under a tracer (`-- CMD ARGS…`, children followed) or attaches to running processes (`-p PID`, repeatable; -f to follow their threads and children), and writes one SyscallEvent per completed syscall to stdout as it happens.',
    "The traced program's stdout and stderr never reach stdout: they go to stderr, or to --program-output. Its stdin is ours.",
    'Exit status: the command\'s own (128+n when a signal killed it); 0 after detaching from -p targets. Ctrl-C / SIGTERM: with -p, detach and leave the targets running; with a command, the command gets the signal. Either way everything traced so far is written out.',
    '--syscalls, --category and --errors-only select in the tracer itself (strace -e trace=, --seccomp-bpf, -Z), which makes tracing much cheaper than filtering afterwards.',
  ].join('\n\n');
  static examples = [
    'stracectl capture -- curl -s http://127.0.0.1:8080/ > run.ndjson',
    'stracectl capture -p 4242 | stracectl filter --errors',
    'stracectl capture -p 4242 -p 4243 -f --category NET',
    'stracectl capture --syscalls openat,connect --errors-only -- make -j4',
    'stracectl capture --program-output null -- ./server | stracectl top',
  ];
  static usage = ['capture [FLAGS] -- CMD [ARGS…]', 'capture [FLAGS] -p PID [-p PID…]'];
  static strict = false;
  static flags = {
    pid: Flags.string({ char: 'p', description: 'attach to this process id (repeatable; "1,2" and "1 2" also work)', multiple: true, multipleNonGreedy: true }),
    follow: Flags.boolean({ char: 'f', description: 'follow children and threads (default: on for a command, off for -p)', allowNo: true }),
    backend: Flags.string({ description: 'tracer: eBPF when it can run here, else strace (auto); or force one', options: ['auto', 'strace', 'ebpf'], default: 'auto' }),
    normalize: Flags.boolean({ description: 'canonical syscall names (newfstatat → fstat) with raw_name and category; --no-normalize keeps the raw names', default: true, allowNo: true }),
    'string-limit': Flags.integer({ char: 's', description: 'longest string printed in args (strace -s)', default: DEFAULT_STRING_LIMIT, min: 0 }),
    syscalls: Flags.string({ description: 'trace only these syscalls, comma-separated (aliases included: stat also traces newfstatat)', multiple: true, multipleNonGreedy: true, delimiter: ',' }),
    category: Flags.string({ description: 'trace only these categories, comma-separated (with --syscalls: both must match)', multiple: true, multipleNonGreedy: true, delimiter: ',', options: [...CATEGORIES] }),
    'errors-only': Flags.boolean({ description: 'only failed calls (strace -Z)', default: false }),
    'program-output': Flags.string({ description: 'where the traced command\'s stdout/stderr go: "stderr" (default), "null", or a FILE (truncated)' }),
    summary: Flags.boolean({ description: 'eBPF backend only: aggregate in the kernel and write stats snapshots instead of events', default: false }),
    interval: Flags.string({ description: 'eBPF backend only: summary snapshot interval (1s, 500ms); implies --summary' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Capture);
    // Taken from the raw argv, not oclif's argv (which reorders repeated words).
    const dashDash = this.argv.indexOf('--');
    const command = dashDash === -1 ? [] : this.argv.slice(dashDash + 1);
    if (argv.length > command.length) {
      const stray = argv.find((word) => !command.includes(String(word))) ?? argv[0];
      this.usageError(`unexpected argument "${String(stray)}"`, 'put the command to trace after --: stracectl capture [flags] -- CMD ARGS…');
    }

    const pids = parsePids(flags.pid ?? [], (message) => this.usageError(message));
    if (pids.length > 0 && command.length > 0) this.usageError('give either -p PID or a command after --, not both');
    if (pids.length === 0 && command.length === 0) this.usageError('nothing to trace: give -p PID or a command after --', 'e.g. stracectl capture -- ls /tmp, or stracectl capture -p $(pgrep -n nginx)');
    if (flags['program-output'] !== undefined && pids.length > 0) this.usageError('--program-output applies to a command started by capture, not to -p targets');

    const intervalMs = flags.interval === undefined ? undefined : this.durationFlag('interval', flags.interval, 10e6) / 1e6;
    const summary = flags.summary || intervalMs !== undefined;
    if (summary && flags.backend === 'strace') {
      this.usageError('--summary and --interval need the eBPF backend (in-kernel aggregation), not strace', 'use --backend ebpf, or pipe events into `stracectl aggregate --interval 1s`');
    }

    const output = flags['program-output'];
    const options: CaptureOptions = {
      pids,
      command: command.length > 0 ? command : undefined,
      follow: flags.follow ?? command.length > 0,
      normalize: flags.normalize,
      stringLimit: flags['string-limit'],
      syscalls: flags.syscalls,
      categories: flags.category as Category[] | undefined,
      errorsOnly: flags['errors-only'],
      programOutput: output === undefined || output === 'stderr' ? 'stderr' : output === 'null' ? 'null' : { file: output },
      summary,
      intervalMs,
    };

    const log = (message: string): void => this.diagnose(message);
    let session: CaptureSession | undefined;
    const early: NodeJS.Signals[] = [];
    // Every signal is passed on (runPipeline only reacts to the first): a second Ctrl-C forces a stuck detach.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (session) session.stop(signal);
      else early.push(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let readerGone = false;
    try {
      await runPipeline({
        command: this.commandName,
        onReaderGone: () => (readerGone = true),
        // Both backends build events the way parseStrace() (+ normalize) does: the fast writer applies.
        toLine: parsedRecordToJson,
        build: (ctx) =>
          from(startCapture(flags.backend as BackendChoice, { ...options, flow: ctx.flow, log }, log)).pipe(
            mergeMap((started) => {
              session = started;
              for (const signal of early.splice(0)) started.stop(signal);
              return started.records$;
            }),
          ),
      });
      // The capture's status, not the pipeline's 130/143: a detach is a success, a command's own status wins,
      // except when our reader went away (`| head`): that is a quiet success whatever the backend.
      const status = session ? await session.exitStatus : 0;
      process.exitCode = readerGone ? 0 : status;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** `-p 12 -p "13 14" -p 15,16` → [12, 13, 14, 15, 16]. */
export function parsePids(values: readonly string[], fail: (message: string) => never): number[] {
  const pids: number[] = [];
  for (const value of values) {
    for (const word of value.split(/[\s,]+/)) {
      if (word === '') continue;
      if (!/^\d+$/.test(word) || Number(word) <= 0 || !Number.isSafeInteger(Number(word))) fail(`-p: "${word}" is not a process id`);
      pids.push(Number(word));
    }
  }
  return [...new Set(pids)];
}
