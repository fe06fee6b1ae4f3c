import { Observable, takeWhile, type OperatorFunction } from 'rxjs';
import type { TraceRecord } from '../event.js';
import { DEFAULT_MAX_LINE_BYTES, type FlowControl, type LineBlock } from '../io.js';
import { decodeLines, transferableBytes } from '../lines.js';
import { ParseAssembler, type RecycledMemory, type ScannedBlock, type ScanOptions } from '../parallel/parseBlocks.js';
import type { ParsePool } from '../parallel/parsePool.js';
import { StraceParser } from '../strace/parser.js';

export interface ParseStraceOptions {
  /** YYYY-MM-DD for `-t`/`-tt` stamps, which carry no date (default 1970-01-01). */
  date?: string;
  /** ISO 8601 base that `-r` stamps add up from, also the time of stamp-less lines (default: `date` at 00:00:00Z). */
  start?: string;
  /** Told about each line that is not strace syntax; the line is skipped. Throwing from it errors the stream. */
  onInvalidLine?: (lineNumber: number, reason: string) => void;
  /** Also emit `--- SIG… ---` / `+++ … +++` lines as `{type: "signal"}` / `{type: "exit"}` records. */
  emitMeta?: boolean;
  /** Pid of unprefixed lines until the trace itself shows one (a live `-p PID` capture knows it). */
  pid?: number;
  /** How many events may wait for the pid of unprefixed lines to be learned (default 256; 0: never wait). */
  pidLookahead?: number;
}

/**
 * Parses strace text, one line per value, into SyscallEvents with strace's
 * RAW names (pipe `normalize()` after it for canonical names). One
 * `<unfinished ...>` / `<... resumed>` pair is one event; signal and exit
 * lines become meta records only with `emitMeta`. Calls never resumed by the
 * end of the input are emitted with `ret: "?"`, `latency_ns: 0` and
 * `unfinished: true` — like strace's own `= ?` for calls that never return.
 * Each subscription parses one trace (pairing and `-r` sums start afresh).
 * See src/strace/parser.ts for how unprefixed lines get their pid.
 *
 * @example
 * lines$.pipe(parseStrace({ date: '2026-11-27' }))
 * // '24951 20:53:07.739805 brk(NULL) = 0x56302b793000 <0.000039>'
 * // → { pid: 24951, name: 'brk', args: 'NULL', ret: '0x56302b793000', latency_ns: 39000,
 * //     error: '', timestamp: '2026-11-27T20:53:07.739805Z' }
 */
export function parseStrace(options: ParseStraceOptions = {}): OperatorFunction<string, TraceRecord> {
  return (lines) =>
    new Observable<TraceRecord>((subscriber) => {
      const parser = new StraceParser(options, (record) => subscriber.next(record));
      // takeWhile lets a synchronous source see an unsubscribe that happens before subscribe() returns.
      return lines.pipe(takeWhile(() => !subscriber.closed)).subscribe({
        next(line) {
          try {
            parser.push(line);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error) => subscriber.error(error),
        complete() {
          try {
            parser.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.complete();
        },
      });
    });
}

export interface ParseStraceToNdjsonOptions extends ParseStraceOptions {
  /** Canonical names, category and raw_name (normalize()'s fields) rather than strace's names. */
  normalize: boolean;
  /** Lines longer than this (characters) are skipped (default: DEFAULT_MAX_LINE_BYTES, as the chunk source's). */
  maxLineBytes?: number;
  /** Told about each line skipped for its length (1-based line number, characters). Throwing from it errors the stream. */
  onOversizedLine?: (lineNumber: number, length: number) => void;
  /** Worker threads to scan blocks of lines on (src/parallel): without them every line is parsed on this thread. */
  pool?: ParsePool;
  /** Paused while the workers have enough blocks to do (the flow of the chunks' source). */
  flow?: FlowControl;
  /** Bytes parsed on this thread before blocks go to the pool (default SEQUENTIAL_PARSE_BYTES): small inputs never start workers. */
  sequentialBytes?: number;
  /** Bytes of lines handed to a worker at a time (default 1 Mi, what a read from a file brings): smaller reads are gathered. */
  blockBytes?: number;
}

/**
 * `parseStrace()` followed by serialisation, for bulk input: takes runs of
 * whole lines (`lineBlocksFromStream`) and emits the NDJSON bytes of the
 * records each run completes (nothing for a run that completed none), so a
 * live pipe is not held back. Records, warnings and line numbers are exactly
 * `parseStrace()`'s — the same StraceParser decides every event — but
 * nothing is emitted per line. With a `pool`, runs past `sequentialBytes`
 * are scanned on worker threads and put back in order (src/parallel/parseBlocks.ts).
 *
 * @example
 * lineBlocksFromStream(stream, { name }).pipe(parseStraceToNdjson({ date: '2026-11-27', normalize: false }))
 * // '24951 brk(NULL) = 0x56302b793000\n…' → <Buffer '{"pid":24951,"name":"brk",…}\n…'>
 */
/** What parseStraceToNdjson parses on its own thread before it hands blocks to a pool. */
export const SEQUENTIAL_PARSE_BYTES = 4 * 1024 * 1024;

/** How long smaller reads wait to be handed out together. */
const BATCH_WAIT_MS = 10;

export function parseStraceToNdjson(options: ParseStraceToNdjsonOptions): OperatorFunction<LineBlock, Uint8Array> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const scanOptions: ScanOptions = { date: options.date, start: options.start, normalize: options.normalize, maxLineBytes };
  const sequentialBytes = options.sequentialBytes ?? SEQUENTIAL_PARSE_BYTES;
  const blockBytes = options.blockBytes ?? 1024 * 1024;
  return (chunks) =>
    new Observable<Uint8Array>((subscriber) => {
      const assembler = new ParseAssembler({ ...options, maxLineBytes });
      const pool = options.pool !== undefined && options.pool.size > 0 ? options.pool : undefined;
      const maxQueued = (pool?.size ?? 0) * 3;
      /** Chunks handed to the pool (or behind one that was), in input order. */
      const queue: Array<{ block?: ScannedBlock; oversized?: number; error?: unknown; done: boolean }> = [];
      let parsedHere = 0;
      /** Memory of blocks done with, sent back to the workers with the next blocks. */
      const recycled: RecycledMemory[] = [];
      let sourceDone = false;
      let paused = false;

      const emit = (): void => {
        const ndjson = assembler.take();
        if (ndjson !== undefined) subscriber.next(ndjson);
      };
      const fail = (error: unknown): void => {
        // Whatever was parsed before the failing line still goes out, as with one emission per line.
        emit();
        subscriber.error(error);
      };
      const drain = (): void => {
        while (queue.length > 0 && queue[0]!.done && !subscriber.closed) {
          const item = queue.shift()!;
          try {
            if (item.error !== undefined) throw item.error;
            if (item.block !== undefined) {
              assembler.pushBlock(item.block);
              const memory = assembler.recyclable(item.block);
              if (memory !== undefined && recycled.length < maxQueued) recycled.push(memory);
            } else {
              assembler.pushOversized(item.oversized!);
            }
          } catch (error) {
            fail(error);
            return;
          }
          emit();
        }
        if (paused && queue.length < maxQueued) {
          paused = false;
          options.flow?.resume();
        }
        if (sourceDone && queue.length === 0 && !subscriber.closed) {
          try {
            assembler.end();
          } catch (error) {
            fail(error);
            return;
          }
          emit();
          subscriber.complete();
        }
      };

      /** Blocks read but not handed out yet: reads from a pipe are small, and each block handed out has a cost. */
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      let batchTimer: NodeJS.Timeout | undefined;
      const handOut = (): void => {
        if (batchTimer !== undefined) clearTimeout(batchTimer);
        batchTimer = undefined;
        if (batchBytes === 0 || pool === undefined) return;
        // Its memory goes to the worker.
        const bytes = transferableBytes(batch.length > 1 ? Buffer.concat(batch, batchBytes) : batch[0]!);
        batch = [];
        batchBytes = 0;
        const item: (typeof queue)[number] = { done: false };
        queue.push(item);
        pool.scan(bytes, scanOptions, assembler.hint(), recycled.pop()).then(
          (block) => {
            item.block = block;
            item.done = true;
            drain();
          },
          (error: unknown) => {
            item.error = error;
            item.done = true;
            drain();
          },
        );
        if (!paused && queue.length >= maxQueued && options.flow !== undefined) {
          paused = true;
          options.flow.pause();
        }
      };

      const subscription = chunks.pipe(takeWhile(() => !subscriber.closed)).subscribe({
        next(chunk) {
          if (pool === undefined || (queue.length === 0 && batchBytes === 0 && parsedHere < sequentialBytes)) {
            try {
              if (chunk instanceof Uint8Array) {
                parsedHere += chunk.length;
                assembler.pushLines(decodeLines(chunk));
              } else {
                assembler.pushOversized(chunk.oversized);
              }
            } catch (error) {
              fail(error);
              return;
            }
            emit();
            return;
          }
          if (!(chunk instanceof Uint8Array)) {
            handOut();
            queue.push({ oversized: chunk.oversized, done: true });
            drain();
            return;
          }
          batch.push(chunk);
          batchBytes += chunk.length;
          // A live pipe is not held back for long.
          if (batchBytes >= blockBytes) handOut();
          else batchTimer ??= setTimeout(handOut, BATCH_WAIT_MS);
        },
        error: fail,
        complete() {
          handOut();
          sourceDone = true;
          drain();
        },
      });
      return () => {
        subscription.unsubscribe();
        if (batchTimer !== undefined) clearTimeout(batchTimer);
        if (paused) options.flow?.resume();
      };
    });
}
