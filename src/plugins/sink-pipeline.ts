/**
 * The engine under every sink command: records in (validated, bad lines
 * reported), optionally teed to stdout unchanged, SyscallEvents turned into
 * the sink's items, batched by size and time, written one batch at a time
 * with retries, and on EOF / SIGINT / SIGTERM / a closed stdout: the last
 * batch written and the sink closed before the process exits.
 */
import type { Writable } from 'node:stream';
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { EXIT } from '../errors.js';
import { isSyscallEvent, type SyscallEvent, type TraceRecord } from '../event.js';
import { runPipeline, type PipelineContext } from '../io.js';
import { errorMessage, type SinkLogger } from './logger.js';
import { withRetry } from './retry.js';

export interface SinkPipelineOptions<T> {
  command: string;
  /** The input records (e.g. `readRecords(ctx, …)`); completing it means "input ended". */
  records: (ctx: PipelineContext) => Observable<TraceRecord>;
  /** SyscallEvents → the items the sink delivers. Meta records never reach it. */
  transform: OperatorFunction<SyscallEvent, T>;
  write: (batch: T[]) => Promise<void>;
  close: () => Promise<void>;
  logger: SinkLogger;
  /** Pass every input record through to stdout unchanged. */
  tee: boolean;
  batchSize: number;
  flushIntervalMs: number;
  retries: number;
  retryBaseDelayMs: number;
  /** Batches waiting for `write` before the input is paused. */
  maxPendingBatches?: number;
  /** Where teed records go (default stdout). */
  output?: Writable;
}

export interface SinkPipelineResult {
  exitCode: number;
  /** Batches (and their items) that could not be written after retries. */
  failedBatches: number;
  failedItems: number;
  deliveredItems: number;
}

/**
 * Runs a sink to completion and resolves with its exit status: 0, or
 * 130/143 after a signal, or 1 when something could not be delivered (the
 * signal status wins). Invalid input under --strict rejects (after the sink
 * has flushed and closed), as other errors of the input do.
 */
export async function runSinkPipeline<T>(options: SinkPipelineOptions<T>): Promise<SinkPipelineResult> {
  const { logger } = options;
  const maxPending = options.maxPendingBatches ?? 4;
  const abort = new AbortController();
  // A second Ctrl-C while the sink is still flushing (a collector that does not answer) means "quit now".
  const forceQuit = (signal: NodeJS.Signals): void => {
    logger.warn(`${signal} again: exiting without waiting for the sink to flush`);
    process.exit(signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM);
  };
  let finished: Promise<void> | undefined;
  let closeError: unknown;
  let failedBatches = 0;
  let failedItems = 0;
  let deliveredItems = 0;

  const writeBatch = async (batch: T[]): Promise<void> => {
    const size = batch.length;
    try {
      await withRetry(() => options.write(batch), {
        retries: options.retries,
        baseDelayMs: options.retryBaseDelayMs,
        signal: abort.signal,
        onRetry: (error, attempt, delayMs) =>
          logger.warn(`delivery failed (${errorMessage(error)}); retry ${attempt} of ${options.retries} in ${delayMs} ms`),
      });
      deliveredItems += size;
    } catch (error) {
      // A write may have removed what it did deliver from the batch (see SinkCommand.write).
      const undelivered = batch.length;
      failedBatches++;
      failedItems += undelivered;
      deliveredItems += size - undelivered;
      const items = `${size} item${size === 1 ? '' : 's'}`;
      logger.error(`could not deliver ${undelivered === size ? `a batch of ${items}` : `${undelivered} of a batch of ${items}`}: ${errorMessage(error)}`);
    }
  };

  const exitCode = await runPipeline<TraceRecord>({
    command: options.command,
    output: options.output,
    build: (ctx) =>
      new Observable<TraceRecord>((subscriber) => {
        const stopSubscription = ctx.stop$.subscribe(() => {
          abort.abort();
          process.on('SIGINT', forceQuit);
          process.on('SIGTERM', forceQuit);
        });
        const events = new Subject<SyscallEvent>();
        const queue: T[][] = [];
        let batch: T[] = [];
        let timer: NodeJS.Timeout | undefined;
        let draining: Promise<void> | undefined;
        let pausedInput = false;
        let failure: { error: unknown } | undefined;

        const drain = (): Promise<void> =>
          (draining ??= (async () => {
            for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
              if (pausedInput && queue.length < maxPending) {
                pausedInput = false;
                ctx.flow.resume();
              }
              await writeBatch(next);
            }
            draining = undefined;
          })());

        const flushBatch = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          if (batch.length === 0) return;
          queue.push(batch);
          batch = [];
          // Like stdout, a slow sink holds the input back instead of buffering without bound.
          if (queue.length >= maxPending && !pausedInput) {
            pausedInput = true;
            ctx.flow.pause();
          }
          void drain();
        };

        const finish = (): Promise<void> =>
          (finished ??= (async () => {
            flushBatch();
            while (draining !== undefined) await draining;
            if (pausedInput) ctx.flow.resume();
            try {
              await options.close();
            } catch (error) {
              closeError = error;
              logger.error(`could not flush and close: ${errorMessage(error)}`);
            }
            stopSubscription.unsubscribe();
            if (failure !== undefined) subscriber.error(failure.error);
            else subscriber.complete();
          })());

        events.pipe(options.transform).subscribe({
          next(item) {
            batch.push(item);
            if (batch.length >= options.batchSize) flushBatch();
            else timer ??= setTimeout(flushBatch, options.flushIntervalMs);
          },
          error(error) {
            failure ??= { error };
            void finish();
          },
          complete: () => void finish(),
        });

        const input = options.records(ctx).subscribe({
          next(record) {
            if (options.tee) subscriber.next(record);
            if (isSyscallEvent(record)) events.next(record);
          },
          error(error) {
            failure = { error };
            events.complete();
          },
          complete: () => events.complete(),
        });

        // Unsubscribed early (the reader of a --tee'd stdout went away): stop reading, but still deliver.
        return () => {
          input.unsubscribe();
          events.complete();
        };
      }),
  }).finally(async () => {
    if (finished !== undefined) await finished.catch(() => undefined);
    process.off('SIGINT', forceQuit);
    process.off('SIGTERM', forceQuit);
  });

  let status = exitCode;
  if (failedBatches > 0 || closeError !== undefined) {
    if (failedItems > 0) logger.error(`${failedItems} item${failedItems === 1 ? ' was' : 's were'} not delivered`);
    if (status === EXIT.OK) status = EXIT.RUNTIME;
  }
  return { exitCode: status, failedBatches, failedItems, deliveredItems };
}
