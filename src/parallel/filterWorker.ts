/**
 * Worker side of the parallel `filter`: decodes a block of whole NDJSON
 * lines, validates each like `decodeRecords`, applies the same predicate as
 * `filterEvents`, and returns the kept lines as their original text.
 */
import { isAscii } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { isMetaRecord, validateRecord, type TraceRecord } from '../event.js';
import { eventPredicate, type FilterEventsOptions } from '../operators/filterEvents.js';
import type { BlockRequest, BlockResult } from './protocol.js';

const { conditions, strict } = workerData as { conditions: FilterEventsOptions; strict: boolean };
const matches = eventPredicate(conditions);
const invert = conditions.invert === true;
const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

function invalidReason(line: string): string | null {
  try {
    return validateRecord(JSON.parse(line));
  } catch (error) {
    return `invalid JSON (${(error as Error).message.replace(/, ".*$|\s+in JSON at position.*$/s, '')})`;
  }
}

parentPort!.on('message', ({ seq, bytes }: BlockRequest) => {
  // Pure-ASCII blocks (the usual case) decode as latin1 (no UTF-8 state machine) and have byte
  // offsets equal to string offsets: kept lines are then compacted inside the received buffer and
  // sent back without copying or encoding.
  const ascii = isAscii(bytes);
  const text = ascii ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') : decoder.decode(bytes);
  let compacted = 0;
  const kept: string[] = [];
  const invalid: Array<[lineIndex: number, reason: string]> = [];
  let keptCount = 0;
  let lineIndex = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const lineStart = start;
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
    if (isMetaRecord(traceRecord) || matches(traceRecord) !== invert) {
      if (ascii) {
        bytes.copyWithin(compacted, lineStart, lineStart + line.length);
        compacted += line.length;
        bytes[compacted++] = 10;
      } else {
        kept.push(line);
      }
      keptCount++;
    }
  }
  const out = ascii ? bytes.subarray(0, compacted) : encoder.encode(kept.length === 0 ? '' : kept.join('\n') + '\n');
  const result: BlockResult = { seq, kept: out, keptCount, invalid, lineCount: lineIndex };
  parentPort!.postMessage(result, [out.buffer as ArrayBuffer]);
});
