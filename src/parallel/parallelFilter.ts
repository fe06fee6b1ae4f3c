/**
 * `filter`'s hot path on more than one core. Decoding NDJSON costs ~1 µs a
 * line in JSON.parse alone, so one thread cannot keep up with a fast
 * producer. The main thread only cuts the input into blocks of whole lines
 * and writes results; workers decode, validate and filter, and results are
 * put back in input order. Output, diagnostics and exit statuses are the same
 * as `readRecords(…).pipe(filterEvents(…))` (test/parallel/parallelFilter.test.ts).
 */
import { availableParallelism } from 'node:os';
import { Observable, Subscription, map, takeUntil } from 'rxjs';
import { StracectlError } from '../errors.js';
import { DEFAULT_MAX_LINE_BYTES, lineBlocksFromInputs, type LineBlock, type PipelineContext } from '../io.js';
import { transferableBytes } from '../lines.js';
import type { FilterEventsOptions } from '../operators/filterEvents.js';
import type { BlockRequest, BlockResult } from './protocol.js';
import { startWorker } from './workers.js';

export interface ParallelFilterOptions {
  files: readonly string[];
  conditions: FilterEventsOptions;
  strict?: boolean;
  /** Worker threads (default: the machine's parallelism, at least 1, at most 4). */
  workers?: number;
  maxLineBytes?: number;
}

/**
 * The kept lines of every input, in order, as UTF-8 chunks of whole lines. Bad lines are reported through the pipeline's
 * diagnostics exactly like `readRecords` does.
 */
export function parallelFilter(ctx: PipelineContext, options: ParallelFilterOptions): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    const inputs = options.files.length === 0 ? ['-'] : [...options.files];
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const workerCount = Math.max(1, Math.min(4, options.workers ?? availableParallelism()));
    const maxInFlight = workerCount * 3;
    const workers = Array.from(
      { length: workerCount },
      () => startWorker('filterWorker', { conditions: options.conditions, strict: options.strict === true }),
    );

    let nextSeq = 0; // next block number to hand out
    let nextToEmit = 0; // next block number whose result goes out
    let inFlight = 0;
    let heldForWorkers = false;
    let readingDone = false;
    let invalidLines = 0;
    const blockInput = new Map<number, number>(); // seq → input index
    const results = new Map<number, BlockResult>();
    let lineBase = 0;
    let lineBaseInput = 0;
    /** Reading the inputs (closed on failure: nothing more is read). */
    const reading = new Subscription();

    const fail = (error: unknown): void => {
      reading.unsubscribe();
      subscriber.error(error);
    };

    const finishIfDone = (): void => {
      if (readingDone && nextToEmit === nextSeq && !subscriber.closed) {
        if (invalidLines > 0) ctx.diagnostics.info(`skipped ${invalidLines} invalid line${invalidLines === 1 ? '' : 's'}`);
        subscriber.complete();
      }
    };

    const emitInOrder = (): void => {
      for (let result = results.get(nextToEmit); result !== undefined; result = results.get(nextToEmit)) {
        results.delete(nextToEmit);
        const input = blockInput.get(nextToEmit)!;
        blockInput.delete(nextToEmit);
        nextToEmit++;
        if (input !== lineBaseInput) {
          lineBaseInput = input;
          lineBase = 0;
        }
        if (result.keptCount > 0) subscriber.next(result.kept);
        const name = inputs[input] === '-' ? 'stdin' : inputs[input]!;
        for (const [lineIndex, reason] of result.invalid) {
          const location = `${name}:${lineBase + lineIndex + 1}`;
          if (options.strict) return fail(new StracectlError('INVALID_INPUT', `${location}: ${reason}`));
          invalidLines++;
          ctx.diagnostics.warn(`${location}: ${reason} (line skipped)`);
        }
        lineBase += result.lineCount;
      }
      finishIfDone();
    };

    const onResult = (result: BlockResult): void => {
      inFlight--;
      results.set(result.seq, result);
      if (heldForWorkers && inFlight < maxInFlight) {
        heldForWorkers = false;
        ctx.flow.resume();
      }
      emitInOrder();
    };
    for (const worker of workers) {
      worker.on('message', onResult);
      worker.on('error', fail);
    }

    const post = (input: number, bytes: Uint8Array): void => {
      const seq = nextSeq++;
      blockInput.set(seq, input);
      inFlight++;
      const request: BlockRequest = { seq, bytes };
      workers[seq % workerCount]!.postMessage(request, [bytes.buffer as ArrayBuffer]);
      if (!heldForWorkers && inFlight >= maxInFlight) {
        heldForWorkers = true;
        ctx.flow.pause();
      }
    };

    /** A line that outgrew the cap: reported as invalid without ever being held whole in memory. */
    const postOversized = (input: number, length: number): void => {
      const seq = nextSeq++;
      blockInput.set(seq, input);
      results.set(seq, { seq, kept: new Uint8Array(0), keptCount: 0, invalid: [[0, `line too long (${length} bytes)`]], lineCount: 1 });
    };

    // Each input's blocks of whole lines, tagged with the input's index (files are read one after the other).
    let inputIndex = -1;
    const blocks = lineBlocksFromInputs(inputs, { flow: ctx.flow, maxLineBytes }, () => {
      const input = ++inputIndex;
      return map((block: LineBlock) => ({ input, block }));
    });
    reading.add(
      blocks.pipe(takeUntil(ctx.stop$)).subscribe({
        next: ({ input, block }) => {
          if (block instanceof Uint8Array) post(input, transferableBytes(block));
          else postOversized(input, block.oversized);
          emitInOrder();
        },
        error: fail,
        complete: () => {
          readingDone = true;
          emitInOrder();
        },
      }),
    );

    return () => {
      reading.unsubscribe();
      if (heldForWorkers) ctx.flow.resume();
      for (const worker of workers) void worker.terminate();
    };
  });
}
