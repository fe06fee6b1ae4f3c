/**
 * Worker side of the parallel `filter`: decodes a block of whole NDJSON
 * lines, validates each like `decodeRecords`, applies the same predicate as
 * `filterEvents`, and returns the kept lines as their original text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isMetaRecord, validateRecord, type TraceRecord } from '../event.js';
import { eventPredicate, type FilterEventsOptions } from '../operators/filterEvents.js';
import type { BlockRequest, BlockResult } from './protocol.js';

const { conditions, strict } = workerData as { conditions: FilterEventsOptions; strict: boolean };
const matches = eventPredicate(conditions);
const invert = conditions.invert === true;
const decoder = new TextDecoder('utf-8');

function invalidReason(line: string): string | null {
  try {
    return validateRecord(JSON.parse(line));
  } catch (error) {
    return `invalid JSON (${(error as Error).message.replace(/, ".*$|\s+in JSON at position.*$/s, '')})`;
  }
}

parentPort!.on('message', ({ seq, bytes }: BlockRequest) => {
  const text = decoder.decode(bytes);
  const kept: string[] = [];
  const invalid: Array<[lineIndex: number, reason: string]> = [];
  let lineIndex = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    const index = lineIndex++;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.trim().length === 0) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    const reason = record === undefined ? invalidReason(line) : validateRecord(record);
    if (reason !== null) {
      invalid.push([index, reason]);
      if (strict) break;
      continue;
    }
    const traceRecord = record as TraceRecord;
    if (isMetaRecord(traceRecord) || matches(traceRecord) !== invert) kept.push(line);
  }
  const result: BlockResult = { seq, kept: kept.join('\n'), keptCount: kept.length, invalid, lineCount: lineIndex };
  parentPort!.postMessage(result);
});
