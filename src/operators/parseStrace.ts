import { Observable, takeWhile, type OperatorFunction } from 'rxjs';
import type { TraceRecord } from '../event.js';
import { DEFAULT_MAX_LINE_BYTES, type LineChunk } from '../io.js';
import { StraceChunkParser } from '../strace/chunks.js';
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
  /** A record as one JSON line without its newline: parsedRecordToJson, or normalizedRecordToJson for `parse`'s default. */
  toJson: (record: TraceRecord) => string;
  /** Lines longer than this (characters) are skipped (default: DEFAULT_MAX_LINE_BYTES, as the chunk source's). */
  maxLineBytes?: number;
  /** Told about each line skipped for its length (1-based line number, characters). Throwing from it errors the stream. */
  onOversizedLine?: (lineNumber: number, length: number) => void;
}

/**
 * `parseStrace()` followed by serialisation, for bulk input: takes runs of
 * whole lines (`lineChunksFromStream`) and emits the NDJSON bytes of the
 * records completed, in batches of about 64 KiB and at the end of each run
 * (nothing for a run that completed none), so a live pipe is not held back.
 * Records, warnings and line numbers are exactly `parseStrace()`'s — the
 * same StraceParser does the work — but nothing is emitted per line.
 *
 * @example
 * lineChunksFromStream(stream, { name }).pipe(parseStraceToNdjson({ date: '2026-11-27', toJson: parsedRecordToJson }))
 * // '24951 brk(NULL) = 0x56302b793000\n…' → <Buffer '{"pid":24951,"name":"brk",…}\n…'>
 */
export function parseStraceToNdjson(options: ParseStraceToNdjsonOptions): OperatorFunction<LineChunk, Uint8Array> {
  return (chunks) =>
    new Observable<Uint8Array>((subscriber) => {
      const parser = new StraceChunkParser({
        ...options,
        maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        onText: (text) => subscriber.next(Buffer.from(text)),
      });
      const flush = (): void => parser.flush();
      const fail = (error: unknown): void => {
        // Whatever was parsed before the failing line still goes out, as with one emission per line.
        flush();
        subscriber.error(error);
      };
      return chunks.pipe(takeWhile(() => !subscriber.closed)).subscribe({
        next(chunk) {
          try {
            if (typeof chunk === 'string') parser.pushLines(chunk);
            else parser.pushOversized(chunk.oversized);
          } catch (error) {
            fail(error);
            return;
          }
          flush();
        },
        error: fail,
        complete() {
          try {
            parser.end();
          } catch (error) {
            fail(error);
            return;
          }
          flush();
          subscriber.complete();
        },
      });
    });
}
