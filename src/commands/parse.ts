import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Args, Flags } from '@oclif/core';
import { ReplaySubject, finalize, takeUntil, type Observable, type OperatorFunction } from 'rxjs';
import { StreamCommand, strictFlag } from '../command.js';
import { StracectlError } from '../errors.js';
import { DEFAULT_MAX_LINE_BYTES, lineBlocksFromInputs, type LineBlock } from '../io.js';
import { parseStraceToNdjson, SEQUENTIAL_PARSE_BYTES } from '../operators/parseStrace.js';
import { ParsePool, parseWorkerCount } from '../parallel/parsePool.js';
import { parseDate, parseInstant } from '../strace/timestamps.js';

export default class Parse extends StreamCommand {
  static summary = 'Turn strace text output into SyscallEvents (NDJSON).';
  static description =
    'Reads strace output (files or stdin) in any of its forms — -f pid prefixes, -t/-tt/-ttt/-r, -T, -y/-yy, -x/-xx, ' +
    'truncated strings, <unfinished ...>/<... resumed> pairs (joined into one event) — and writes one SyscallEvent per ' +
    'completed call, names normalised (raw name kept in raw_name) unless --no-normalize. Signal (--- SIG… ---) and exit ' +
    '(+++ … +++) lines are not events; --meta writes them as records with a "type" field.\n\n' +
    '-t/-tt stamps carry no date: --date gives it (default: the file\'s modification date in UTC, today for stdin). ' +
    '-r stamps add up from --start (default: that date at 00:00:00Z), which is also the time of every event of a trace ' +
    'without stamps. A line that is not strace syntax is skipped with a FILE:LINE warning (--strict: exit 65).\n\n' +
    'Input past its first 4 MiB is scanned on worker threads when the machine has several cores (one per core, at ' +
    'most 4; STRACECTL_WORKERS=N sets how many, 0 keeps it all on one thread). The output is the same either way.';
  static examples = [
    'stracectl parse trace.txt | stracectl top',
    'strace -f -tt -T -o trace.txt -- curl -s example.com >/dev/null; stracectl parse --date 2026-11-27 trace.txt',
    'stracectl parse --no-normalize --start 2026-11-27T20:53:07Z relative-stamps.txt',
    'strace -f -T ls 2>&1 >/dev/null | stracectl parse | stracectl filter --errors',
  ];
  static args = { files: Args.string({ description: 'strace output files (default: stdin; - is stdin)', required: false, ignoreStdin: true }) };
  static strict = false;
  static flags = {
    normalize: Flags.boolean({
      description: 'rewrite alias names to their canonical name (raw name in raw_name) and add category; --no-normalize keeps strace\'s names',
      default: true,
      allowNo: true,
    }),
    date: Flags.string({ description: 'the day (YYYY-MM-DD, UTC) of -t/-tt time stamps', helpValue: 'YYYY-MM-DD' }),
    start: Flags.string({ description: 'ISO 8601 time that -r stamps count from (and the time of stamp-less events)', helpValue: 'ISO' }),
    meta: Flags.boolean({ description: 'also write signal and exit lines as records with "type": "signal" / "exit"', default: false }),
    strict: strictFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Parse);
    if (flags.date !== undefined) {
      try {
        parseDate(flags.date);
      } catch (error) {
        this.usageError(`--date: ${(error as Error).message}`, 'give the day as YYYY-MM-DD, e.g. --date 2026-11-27');
      }
    }
    if (flags.start !== undefined) {
      try {
        parseInstant(flags.start);
      } catch (error) {
        this.usageError(`--start: ${(error as Error).message}`, 'give a time like 2026-11-27T20:53:07.000000Z');
      }
    }
    const files = argv as string[];
    const strict = flags.strict;
    // Big inputs are scanned on worker threads; records never exist as lines in between.
    const pool = new ParsePool(parseWorkerCount());
    // Files big enough for the workers: they start at once and get the first block too.
    const bigFiles = new Set(files.filter((file) => file !== '-' && sizeOf(file) > SEQUENTIAL_PARSE_BYTES));
    if (pool.size > 0) {
      // The main thread then keeps a small heap (~10 MB) while every block's buffers pass through it, and
      // V8's default growing factor sized its old generation so tightly that it was marked and compacted
      // every ~50 ms: 114 mark-compacts in a 5M-line parse (bench/parse.ts's file), 16 with this.
      // The flag is read whenever V8 sets its heap limits, so setting it now takes effect.
      setFlagsFromString('--heap-growing-percent=400');
      if (bigFiles.size > 0) pool.warmUp();
    }

    await this.runStream((ctx): Observable<Uint8Array> => {
      // Stop reading on SIGINT/SIGTERM but let the parser flush (held and unfinished calls)
      // and skip the files not read yet: a replaying subject, as later files subscribe after the signal.
      const stopped = new ReplaySubject<void>(1);
      const stopWatch = ctx.stop$.subscribe(() => stopped.next());
      let invalid = 0;
      const report = (location: string, reason: string): void => {
        if (strict) throw new StracectlError('INVALID_INPUT', `${location}: ${reason}`);
        invalid++;
        ctx.diagnostics.warn(`${location}: ${reason} (line skipped)`);
      };

      const perFile = (name: string): OperatorFunction<LineBlock, Uint8Array> => (chunks) =>
        chunks.pipe(
          takeUntil(stopped),
          parseStraceToNdjson({
            date: flags.date ?? defaultDate(name),
            start: flags.start,
            emitMeta: flags.meta,
            normalize: flags.normalize,
            maxLineBytes: DEFAULT_MAX_LINE_BYTES,
            pool,
            sequentialBytes: bigFiles.has(name) ? 0 : undefined,
            flow: ctx.flow,
            onInvalidLine: (lineNumber, reason) => report(`${name}:${lineNumber}`, reason),
            onOversizedLine: (lineNumber, length) => report(`${name}:${lineNumber}`, `line too long (${length} characters)`),
          }),
        );

      return lineBlocksFromInputs(files, { flow: ctx.flow, maxLineBytes: DEFAULT_MAX_LINE_BYTES }, perFile).pipe(
        finalize(() => {
          pool.close();
          stopWatch.unsubscribe();
          if (invalid > 0) ctx.diagnostics.info(`skipped ${invalid} invalid line${invalid === 1 ? '' : 's'}`);
        }),
      );
    });
  }
}

/** Size of a regular file, 0 for anything else (or unreadable: opening it reports that). */
function sizeOf(file: string): number {
  try {
    const stat = statSync(file);
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}

/** The day of -t/-tt stamps when --date is not given: the file's mtime (UTC), today for stdin. */
function defaultDate(name: string): string {
  if (name !== 'stdin') {
    try {
      return statSync(name).mtime.toISOString().slice(0, 10);
    } catch {
      // Unreadable: opening it fails next with the proper error.
    }
  }
  return new Date().toISOString().slice(0, 10);
}
