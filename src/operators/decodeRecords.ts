import { defer, filter, map, type OperatorFunction } from 'rxjs';
import { StracectlError } from '../errors.js';
import { sourceText, validateRecord, type TraceRecord } from '../event.js';

export interface DecodeRecordsOptions {
  /** Name for diagnostics (`stdin`, a file path). */
  source?: string;
  /** Fail on the first invalid line instead of skipping it. */
  strict?: boolean;
  /** Told about each skipped line; the line number counts blank lines too. */
  onInvalidLine?: (location: string, reason: string) => void;
}

/**
 * Decodes NDJSON lines into records. A line that is not a valid SyscallEvent
 * or meta record is reported through `onInvalidLine` and skipped (nothing
 * valid is lost); with `strict` the stream errors with INVALID_INPUT instead.
 * Blank lines are skipped silently. Each record remembers its source text so
 * an unchanged record is written back byte for byte.
 *
 * @example
 * lines$.pipe(decodeRecords({ source: 'stdin', onInvalidLine: (at, why) => warn(`${at}: ${why}`) }))
 */
export function decodeRecords(options: DecodeRecordsOptions = {}): OperatorFunction<string, TraceRecord> {
  const source = options.source ?? 'stdin';
  return (lines) =>
    defer(() => {
      let lineNumber = 0;
      return lines.pipe(
        map((line): TraceRecord | undefined => {
          lineNumber++;
          if (line.length === 0 || line.trim().length === 0) return undefined;
          let value: unknown;
          let reason: string | null;
          try {
            value = JSON.parse(line);
            reason = validateRecord(value);
          } catch (error) {
            reason = `invalid JSON (${(error as Error).message.replace(/, ".*$|\s+in JSON at position.*$/s, '')})`;
          }
          if (reason === null) {
            sourceText.set(value as object, line);
            return value as TraceRecord;
          }
          const location = `${source}:${lineNumber}`;
          if (options.strict) throw new StracectlError('INVALID_INPUT', `${location}: ${reason}`);
          options.onInvalidLine?.(location, reason);
          return undefined;
        }),
        filter((record): record is TraceRecord => record !== undefined),
      );
    });
}
