/**
 * The base class of sink commands: a plugin writes `write(batch)` (and
 * `close()` when it buffers), the base does the rest — NDJSON input from
 * stdin or files with validation, batching, `--tee`, retries with backoff,
 * flushing on EOF / SIGINT / SIGTERM, and a stderr-only logger.
 */
import { format } from 'node:util';
import { Args, Flags, type Interfaces } from '@oclif/core';
import { identity, type OperatorFunction } from 'rxjs';
import { BaseCommand, readRecords, strictFlag } from '../command.js';
import { parseDuration } from '../duration.js';
import type { SyscallEvent } from '../event.js';
import { assertPluginCompatible, type PluginCommandInfo } from './api-version.js';
import { createLogger, type SinkLogger } from './logger.js';
import { runSinkPipeline, type SinkPipelineResult } from './sink-pipeline.js';

/**
 * The flags every sink has. A sink changes a default by redefining the flag
 * in its own `flags` (e.g. `'batch-size': Flags.integer({ …, default: 1 })`).
 */
export const sinkFlags = {
  tee: Flags.boolean({
    description: 'also pass every input record through to stdout unchanged, so the sink can sit in the middle of a pipeline',
    default: false,
  }),
  'batch-size': Flags.integer({ description: 'deliver at most this many items per write', default: 100, min: 1 }),
  'flush-interval': Flags.string({ description: 'deliver a partial batch after this long (500ms, 2s)', default: '1s' }),
  retries: Flags.integer({ description: 'retries of a failed delivery, with exponential backoff', default: 3, min: 0 }),
  strict: strictFlag,
};

/** oclif's FlagOutput / ArgOutput, which its Interfaces namespace does not export. */
type OutputRecord = Record<string, unknown>;

/** The parsed values of `sinkFlags`. */
export interface SinkFlagValues {
  tee: boolean;
  'batch-size': number;
  'flush-interval': string;
  retries: number;
  strict: boolean;
}

/** The positional argument of a sink: input files (stdin when none). */
export const sinkArgs = {
  files: Args.string({ description: 'NDJSON event files (default: stdin)', required: false, ignoreStdin: true }),
};

/**
 * Extend this to write a sink. `T` is what `write` receives: SyscallEvents
 * unless `transform()` turns them into something else (alerts, metrics).
 *
 * @example
 * export default class JsonlSink extends SinkCommand {
 *   static flags = { out: Flags.string({ required: true }) };
 *   private file?: FileHandle;
 *   async run() {
 *     const { flags, argv } = await this.parse(JsonlSink);
 *     this.file = await open(flags.out, 'a');
 *     await this.runSink({ files: argv as string[], flags });
 *   }
 *   protected async write(batch: SyscallEvent[]) {
 *     await this.file!.appendFile(batch.map((e) => JSON.stringify(e) + '\n').join(''));
 *   }
 *   protected async close() { await this.file?.close(); }
 * }
 */
export abstract class SinkCommand<T = SyscallEvent> extends BaseCommand {
  static baseFlags = sinkFlags;
  static args = sinkArgs;
  /** Sinks take any number of input files. */
  static strict = false;
  /**
   * The plugin API version the command needs (`'^1.0'`); the host refuses
   * to run it when it cannot provide that. The plugin's package.json
   * `stracectl.apiVersion` does the same for all its commands.
   */
  static apiVersion: string | undefined;

  /** Writes to stderr only; see `SinkLogger`. */
  protected logger!: SinkLogger;
  /** First backoff wait; doubles on each retry. */
  protected retryBaseDelayMs = 250;
  /** Outcome of the last `runSink`, for subclasses that report totals. */
  protected sinkResult: SinkPipelineResult | undefined;

  async init(): Promise<void> {
    await super.init();
    this.logger = createLogger(this.commandName);
    assertPluginCompatible(this.ctor as unknown as PluginCommandInfo);
  }

  /**
   * oclif copies the parser input with an object spread, which drops the
   * statics a subclass inherits from here (`args`, `strict`): pass them on.
   */
  protected async parse<F extends OutputRecord, B extends OutputRecord, A extends OutputRecord>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = options ?? (this.ctor as unknown as Interfaces.Input<F, B, A>);
    return super.parse(
      {
        ...input,
        flags: input.flags,
        baseFlags: input.baseFlags,
        args: input.args,
        strict: input.strict,
        constraints: input.constraints,
        enableJsonFlag: input.enableJsonFlag,
        '--': input['--'],
      },
      argv,
    );
  }

  /** oclif's `this.log` writes to stdout, which belongs to the data (`--tee`): send it to stderr instead. */
  log(message = '', ...args: unknown[]): void {
    this.logger.info(format(message, ...args));
  }

  /**
   * Turns the incoming SyscallEvents into the items `write` receives; a pure
   * RxJS operator. Default: the events themselves.
   */
  protected transform(): OperatorFunction<SyscallEvent, T> {
    return identity as unknown as OperatorFunction<SyscallEvent, T>;
  }

  /**
   * Delivers one batch. A rejection is retried with the same array after a
   * backoff (unless the error has `retryable: false`, see `SinkError`), so a
   * write either delivers everything or removes from the array what it
   * already delivered.
   */
  protected abstract write(batch: T[]): Promise<void>;

  /** Called once after the last write (input ended, or a signal): flush buffers, end connections. */
  protected async close(): Promise<void> {}

  /**
   * Runs the sink until the input ends or a signal arrives, then sets the
   * exit status (0; 1 when data could not be delivered; 130/143 on signals).
   */
  protected async runSink(options: { files?: readonly string[]; flags: SinkFlagValues }): Promise<SinkPipelineResult> {
    const { flags } = options;
    let flushIntervalMs = 0;
    try {
      flushIntervalMs = parseDuration(flags['flush-interval']) / 1e6;
    } catch (error) {
      this.usageError(`--flush-interval: ${(error as Error).message}`);
    }
    if (flushIntervalMs < 1) this.usageError('--flush-interval must be at least 1ms');
    const result = await runSinkPipeline<T>({
      command: this.commandName,
      records: (ctx) => readRecords(ctx, { files: options.files, strict: flags.strict }),
      transform: this.transform(),
      write: (batch) => this.write(batch),
      close: () => this.close(),
      logger: this.logger,
      tee: flags.tee,
      batchSize: flags['batch-size'],
      flushIntervalMs,
      retries: flags.retries,
      retryBaseDelayMs: this.retryBaseDelayMs,
    });
    this.sinkResult = result;
    process.exitCode = result.exitCode;
    return result;
  }
}
