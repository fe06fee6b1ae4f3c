/**
 * What every stracectl command shares: error reporting by the catalog, the
 * `--strict` flag, and reading records from stdin or files into a pipeline.
 */
import { Command, Flags, Errors, type Interfaces } from '@oclif/core';
import { finalize, takeUntil, type Observable, type OperatorFunction } from 'rxjs';
import { formatDuration, parseDuration } from './duration.js';
import { EXIT, StracectlError, diagnostic } from './errors.js';
import type { StatsRecord, TraceRecord } from './event.js';
import { linesFromInputs, runPipeline, type PipelineContext } from './io.js';
import { decodeRecords } from './operators/decodeRecords.js';

export const strictFlag = Flags.boolean({
  description: 'fail with exit status 65 on the first invalid input line instead of skipping it',
  default: false,
});

/** Base class: prints errors as `stracectl <cmd>: <message>` + `hint:`, maps them to exit statuses. */
export abstract class BaseCommand extends Command {
  /** The command's name as users type it, for diagnostics. */
  protected get commandName(): string {
    return this.id ?? 'stracectl';
  }

  protected diagnose(message: string): void {
    process.stderr.write(diagnostic(this.commandName, message) + '\n');
  }

  /** Throws a usage error (exit 2) with a hint. */
  protected usageError(message: string, hint?: string): never {
    throw new StracectlError('USAGE', message, { hint: hint ?? `see \`stracectl ${this.commandName} --help\`` });
  }

  /** A duration flag (`5ms`, `1s`) in nanoseconds; a usage error when malformed or below `minNs`. */
  protected durationFlag(flag: string, value: string, minNs = 0): number {
    let ns = 0;
    try {
      ns = parseDuration(value);
    } catch (error) {
      this.usageError(`--${flag}: ${(error as Error).message}`);
    }
    if (ns < minNs) this.usageError(`--${flag} must be at least ${formatDuration(minNs)}`);
    return ns;
  }

  async catch(error: Error & { oclif?: { exit?: number }; code?: string }): Promise<void> {
    const name = this.commandName;
    if (error instanceof StracectlError) {
      process.stderr.write(diagnostic(name, error.message) + '\n');
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      process.exitCode = error.exit;
      return;
    }
    if (error instanceof Errors.CLIError && (error.oclif?.exit === 2 || /flag|argument|Expected/i.test(error.message))) {
      // oclif wraps some messages ("The following error occurred:\n  Missing required flag…\nSee more help…"): keep the substance.
      const firstLine =
        error.message.split('\n').find((line) => line.trim() !== '' && !/^The following errors? occurred|^See more help/.test(line.trim())) ?? error.message;
      process.stderr.write(diagnostic(name, firstLine.trim()) + '\n');
      process.stderr.write(`hint: see \`stracectl ${name} --help\`\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    if (error.code === 'EEXIT' || error instanceof Errors.ExitError) {
      process.exitCode = error.oclif?.exit ?? 0;
      return;
    }
    process.stderr.write(diagnostic(name, `internal error: ${error.stack ?? error.message}`) + '\n');
    process.stderr.write('hint: this is a bug in stracectl; please report it with the command line and input\n');
    process.exitCode = EXIT.INTERNAL;
  }
}

export interface ReadRecordsOptions {
  files?: readonly string[];
  strict?: boolean;
}

/**
 * Records from the given NDJSON files (or stdin), with bad lines reported on
 * stderr and counted; stops reading on SIGINT/SIGTERM so later stages flush.
 */
export function readRecords(ctx: PipelineContext, options: ReadRecordsOptions = {}): Observable<TraceRecord> {
  const report = invalidLineReporter(ctx);
  return (
    linesFromInputs(
      options.files ?? [],
      { flow: ctx.flow, onOversizedLine: (location, length) => report.onInvalidLine(location, `line too long (${length} characters)`) },
      (name) => decodeRecords({ source: name, strict: options.strict, onInvalidLine: report.onInvalidLine }) as OperatorFunction<string, TraceRecord>,
    ) as Observable<TraceRecord>
  ).pipe(takeUntil(ctx.stop$), finalize(report.summarize));
}

/** Warns about each skipped line (`stdin:12: reason`) and sums them up at the end. */
function invalidLineReporter(ctx: PipelineContext): { onInvalidLine: (location: string, reason: string) => void; summarize: () => void } {
  let invalid = 0;
  return {
    onInvalidLine(location, reason) {
      invalid++;
      ctx.diagnostics.warn(`${location}: ${reason} (line skipped)`);
    },
    summarize() {
      if (invalid > 0) ctx.diagnostics.info(`skipped ${invalid} invalid line${invalid === 1 ? '' : 's'}`);
    },
  };
}

/** A command that streams stdin/files → operators → stdout. */
export abstract class StreamCommand extends BaseCommand {
  protected async runStream<T>(build: (ctx: PipelineContext) => Observable<T>, toLine?: (item: T) => string): Promise<void> {
    process.exitCode = await runPipeline({ command: this.commandName, build, toLine });
  }
}

export type StatsOrRecord = TraceRecord | StatsRecord;
export type FlagOutput<T extends Interfaces.FlagInput> = Interfaces.InferredFlags<T>;
