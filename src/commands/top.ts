import { accessSync, constants, statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { NEVER, finalize, map, tap, type Observable } from 'rxjs';
import type { BackendChoice, CaptureOptions, CaptureSession } from '../capture/types.js';
import { StreamCommand, readRecords, strictFlag } from '../command.js';
import { parsePids } from './capture.js';
import { StracectlError } from '../errors.js';
import { CATEGORIES, type Category, type TraceRecord } from '../event.js';
import { Diagnostics, FlowControl, type PipelineContext } from '../io.js';
import { aggregate } from '../operators/aggregate.js';
import { normalize } from '../operators/normalize.js';
import { renderStatsTable } from '../render/statsTable.js';
import { TraceSession } from '../session.js';
import type { SortKey } from '../stats.js';
import type { SourceInfo } from '../tui/header.js';
import { TOP_SORT_KEYS, type TopSortKey } from '../tui/model.js';

export { TOP_SORT_KEYS };

/** Time the traced command gets to exit after we forward the user's quit, before it is killed. */
const COMMAND_EXIT_GRACE_MS = 5000;

const CAPTURE_FLAGS = ['pid', 'follow', 'backend', 'string-limit', 'syscalls', 'category', 'errors-only', 'program-output'] as const;

export default class Top extends StreamCommand {
  static summary = 'Per-syscall table of calls, errors and latency, like top for syscalls.';
  static description =
    'Reads SyscallEvents (NDJSON) from stdin or files, or traces a process itself (-p PID, or -- CMD ARGS, with the flags of `capture`). On a terminal it is a live full-screen view refreshed about once a second: header (source, elapsed, events/s, totals, lost events), a category bar, and the table NAME, CAT, CALLS, ERRORS, ERR%, AVG, P95, P99, MAX, TOTAL. Keys (read from the terminal even when stdin is the event pipe): ↑/↓ or j/k move, Enter or d detail (knowledge base, live stats, errno breakdown, last failing calls, triage hints), ? help, s cycle sort, / filter by name, c categories, l recent events, p pause, Esc close, q or Ctrl-C quit. When the input ends the view stays, with an "input ended" banner, until q. Otherwise (stdout not a terminal, --no-tui or --json) it prints one table when the input ends: rows red when ERR% ≥ 50 and yellow when AVG ≥ 5ms (colour only on a terminal); --json prints the stats records as one JSON array. Names are normalised (aliases summed into their canonical syscall).';
  static examples = [
    'stracectl capture -p 42 | stracectl top',
    'stracectl top -p 42',
    'stracectl top -- curl -s localhost:8080',
    'stracectl parse trace.txt | stracectl top --no-tui --sort errors --limit 10',
    'stracectl top --json run.ndjson | jq ".[0]"',
    'stracectl top --report run.html run.ndjson',
  ];
  static args = { files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    sort: Flags.string({ description: 'sort rows by this column (descending); `s` cycles it in the live view', options: [...TOP_SORT_KEYS], default: 'count' }),
    limit: Flags.integer({ description: 'show at most N rows (table and --json)', min: 1 }),
    json: Flags.boolean({ description: 'print the stats records as one JSON array' }),
    tui: Flags.boolean({ description: 'live full-screen view when stdout is a terminal (--no-tui: print the table when the input ends)', allowNo: true, default: true }),
    report: Flags.string({ description: 'also write the HTML report (as `stracectl report`) to FILE when top ends' }),
    strict: strictFlag,
    pid: Flags.string({ char: 'p', description: 'trace this running process, as `capture -p` (repeatable; "1,2" and "1 2" also work); with eBPF, stats are aggregated in the kernel (--summary)', multiple: true, multipleNonGreedy: true }),
    follow: Flags.boolean({ char: 'f', description: 'follow children and threads (default: on for -- CMD, off for -p)', allowNo: true }),
    backend: Flags.string({ description: 'tracer for -p / -- CMD (auto = eBPF when it can run, else strace)', options: ['auto', 'strace', 'ebpf'] }),
    'string-limit': Flags.integer({ char: 's', description: 'longest string strace prints in args (default 256)', min: 0 }),
    syscalls: Flags.string({ description: 'trace only these syscalls, comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',' }),
    category: Flags.string({ description: 'trace only these categories, comma-separated', multiple: true, multipleNonGreedy: true, delimiter: ',', options: [...CATEGORIES] }),
    'errors-only': Flags.boolean({ description: 'trace only failing calls' }),
    'program-output': Flags.string({ description: 'where the traced command\'s stdout/stderr go: "stderr", "null" or a FILE (default: stderr; "null" in the live view)' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Top);
    // The command comes from the raw argv (oclif's argv may reorder repeated words).
    const dashdash = this.argv.indexOf('--');
    const command = dashdash === -1 ? [] : this.argv.slice(dashdash + 1);
    const files = command.length === 0 ? (argv as string[]) : [];
    const pids = parsePids(flags.pid ?? [], (message) => this.usageError(message));
    const tracing = pids.length > 0 || command.length > 0;
    if (pids.length > 0 && command.length > 0) this.usageError('give either -p PID or -- CMD, not both');
    if (dashdash !== -1 && command.length === 0) this.usageError('nothing to run after --', 'stracectl top -- CMD ARGS…');
    if (command.length > 0 && argv.length > command.length) {
      const stray = argv.find((word) => !command.includes(String(word))) ?? argv[0];
      this.usageError(`unexpected argument "${String(stray)}": top reads events from files or traces a process (-p / -- CMD), not both`);
    }
    if (pids.length > 0 && files.length > 0) this.usageError(`unexpected argument "${files[0]}": top reads events from files or traces a process (-p / -- CMD), not both`);
    if (pids.length > 0 && flags['program-output'] !== undefined) this.usageError('--program-output applies to a command started by top, not to -p targets');
    if (!tracing) {
      const given = CAPTURE_FLAGS.filter((name) => flags[name] !== undefined && flags[name] !== false);
      if (given.length > 0) this.usageError(`--${given[0]} applies only when top traces a process itself`, 'add -p PID or -- CMD ARGS…, or pass the flag to `stracectl capture`');
    }

    const live = flags.tui && !flags.json && process.stdout.isTTY === true;
    if (live && !tracing && files.length === 0 && process.stdin.isTTY) {
      this.usageError('no input: stdin is the terminal', 'pipe events in (stracectl capture -p PID | stracectl top), give an NDJSON file, or use top -p PID / top -- CMD');
    }
    if (live) {
      // Fail before taking over the screen rather than show an empty view with an error banner.
      for (const file of files) {
        if (file !== '-' && !isReadableFile(file)) throw new StracectlError('FILE_NOT_FOUND', `cannot read ${file}: no such file or not readable`);
      }
    }
    if (flags.report !== undefined) {
      const { checkReportTarget } = await import('../report/write.js');
      await checkReportTarget(flags.report);
    }
    const session = flags.report === undefined ? new TraceSession() : new (await import('../report/timeline.js')).ReportSession();

    const capture = tracing ? await this.startCapture(flags, pids, command, live) : undefined;
    const info: SourceInfo = capture
      ? { source: pids.length > 0 ? `pid ${pids.join(',')}` : `$ ${command.join(' ')}`, backend: capture.backend }
      : { source: files.length > 0 ? files.join(', ') : 'stdin' };

    if (live) {
      await this.runLive({ session, info, capture, files, strict: flags.strict, sort: flags.sort as TopSortKey });
    } else {
      await this.runTable({ session, capture, files, flags, keepSession: flags.report !== undefined });
    }
    if (flags.report !== undefined) await this.writeReport(flags.report, session, info, pids, command);
  }

  private async startCapture(
    flags: { follow?: boolean; backend?: string; 'string-limit'?: number; syscalls?: string[]; category?: string[]; 'errors-only'?: boolean; 'program-output'?: string },
    pids: number[],
    command: string[],
    live: boolean,
  ): Promise<CaptureSession> {
    const { startCapture } = await import('../capture/index.js');
    const { DEFAULT_STRING_LIMIT } = await import('../capture/straceArgs.js');
    const target = flags['program-output'];
    const options: CaptureOptions = {
      pids,
      command: command.length > 0 ? command : undefined,
      follow: flags.follow ?? command.length > 0,
      normalize: true,
      stringLimit: flags['string-limit'] ?? DEFAULT_STRING_LIMIT,
      syscalls: flags.syscalls,
      categories: flags.category as Category[] | undefined,
      errorsOnly: flags['errors-only'],
      // A running process is watched at the kernel's cost only: with eBPF, stats are aggregated in the kernel.
      summaryIfEbpf: pids.length > 0 && flags['errors-only'] !== true,
      // The traced program writing to our terminal would tear up the live view.
      programOutput: target === undefined ? (live ? 'null' : 'stderr') : target === 'stderr' || target === 'null' ? target : { file: target },
    };
    const log = (message: string): void => {
      process.stderr.write(`stracectl top: ${message}\n`);
    };
    return startCapture((flags.backend ?? 'auto') as BackendChoice, options, log);
  }

  private async runLive(options: { session: TraceSession; info: SourceInfo; capture?: CaptureSession; files: string[]; strict: boolean; sort: TopSortKey }): Promise<void> {
    const { runTui } = await importTui();
    const { capture } = options;
    let records$: Observable<TraceRecord>;
    if (capture) {
      records$ = capture.records$;
    } else {
      // Signals are the view's to handle (it restores the terminal first), so the reader itself never stops on one.
      const ctx: PipelineContext = { flow: new FlowControl(), diagnostics: new Diagnostics(this.commandName), stop$: NEVER };
      records$ = readRecords(ctx, { files: options.files, strict: options.strict });
    }
    const result = await runTui({
      records$,
      info: options.info,
      session: options.session,
      sort: options.sort,
      colour: process.env.NO_COLOR === undefined,
      // Quitting top ends the trace: detach from -p targets, interrupt a command we started.
      onStop: (reason) => capture?.stop(reason === 'quit' ? 'SIGINT' : reason),
    });
    let exit = result.exit;
    if (capture) {
      const endedByItself = options.session.ended && result.inputError === undefined;
      const status = await settleCapture(capture);
      if (endedByItself && result.exit === 0 && status !== undefined) exit = status;
    }
    if (result.inputError !== undefined) throw result.inputError;
    process.exitCode = exit;
  }

  private async runTable(options: {
    session: TraceSession;
    capture?: CaptureSession;
    files: string[];
    flags: { sort: string; limit?: number; json: boolean; strict: boolean };
    keepSession: boolean;
  }): Promise<void> {
    const { capture, flags, session } = options;
    const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    await this.runStream(
      (ctx) => {
        let source: Observable<TraceRecord>;
        if (capture) {
          // Ctrl-C goes to the tracer (detach / forward) and the table comes when its output ends.
          const stopping = ctx.stop$.subscribe((signal) => capture.stop(signal));
          source = capture.records$.pipe(finalize(() => stopping.unsubscribe()));
        } else {
          source = readRecords(ctx, { files: options.files, strict: flags.strict });
        }
        return source.pipe(
          tap((record) => {
            if (options.keepSession) session.add(record);
          }),
          normalize(),
          aggregate({ sort: flags.sort as SortKey }),
          map((records) => {
            const shown = flags.limit === undefined ? records : records.slice(0, flags.limit);
            return flags.json ? JSON.stringify(shown, null, 2) : renderStatsTable(shown, { color });
          }),
        );
      },
      (text) => text,
    );
    if (capture) {
      const status = await settleCapture(capture);
      if (status !== undefined) process.exitCode = status;
    }
  }

  private async writeReport(file: string, session: TraceSession, info: SourceInfo, pids: number[], command: string[]): Promise<void> {
    const { writeReport } = await import('../report/write.js');
    await writeReport(file, session, {
      title: 'stracectl top',
      command: command.length > 0 ? command.join(' ') : info.source,
      pids: pids.length > 0 ? pids : undefined,
      generatedAt: new Date().toISOString(),
    });
    process.stderr.write(`stracectl top: wrote ${file}\n`);
  }
}

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return !statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The traced command's exit status once tracing has ended; a command that
 * ignores the forwarded signal is killed after a grace period. Undefined
 * when the capture failed (its error already reached the records stream).
 */
async function settleCapture(capture: CaptureSession): Promise<number | undefined> {
  const timer = setTimeout(() => capture.stop('SIGKILL'), COMMAND_EXIT_GRACE_MS);
  try {
    return await capture.exitStatus;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads the live view. ink decides once, when it is first loaded, whether it
 * runs "in CI" (env CI / CONTINUOUS_INTEGRATION) and then never redraws; we
 * only get here with a real terminal on stdout, so that guess is hidden
 * from it while it loads and the variables are put back for child processes.
 */
async function importTui(): Promise<typeof import('../tui/run.js')> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import('../tui/run.js');
  } finally {
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
  }
}
